"""After a run: where the model errs (a confusion matrix whose cells open their images, each
of which opens on the Canvas page or layer by layer; per-class accuracy; the misclassified
images with their probabilities), what it did while training, the trained network layer by
layer (views/train/insides.py), the metrics as CSV, the run as a notebook, and deleting a run.
The shipped pretrained model can be looked inside too (never deleted)."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from pathlib import Path

import streamlit as st

from core import links
from core.engine.looks.figures import per_class_figure
from core.engine.products import predictor as pr
from core.engine.products.notebook import MIME as NOTEBOOK_MIME
from core.engine.products.notebook import run_notebook
from core.engine.runs.folder import WEIGHTS_FILE, delete_run, load_run, metrics_csv
from core.engine.runs.record import Run
from core.errors import TorchlabError
from core.train.analysis import MAX_GALLERY, Analysis, analyze, analyze_run, gallery_images
from core.train.figures import clickable_confusion_figure
from core.train.insides import MAX_CELL_IMAGES, biggest_mixup, cell_images
from ui.common import code_ui, errors_ui
from ui.links import open_page
from ui.live_chart import live_chart_ui
from ui.runner import (
    attach_job,
    attached_job,
    can_control,
    forget_saved_runs,
    get_runner,
    not_yours_text,
)
from views.train import KEY_PREFIX
from views.train.insides import (
    CELL_TAB,
    INDEX_KEY,
    LAYERS_TAB,
    SHIPPED,
    SOURCE_KEY,
    TEST_SOURCE,
    insides_link,
    insides_ui,
)
from views.train.run_list import catalog, label

P = KEY_PREFIX
GALLERY_COLUMNS = 8


@st.cache_data(max_entries=4, show_spinner="Testing the model on every test image…")
def _analysis(run_dir: str, stamp: float) -> Analysis:
    # `stamp` (the weights' modification time) makes a re-saved model a new cache entry.
    return analyze_run(run_dir)


def gallery_ui(result: Analysis, dataset: str) -> None:
    if not result.wrong:
        st.success("Not a single test image is misclassified.")
        return
    count = st.slider(
        "Images to show", 8, MAX_GALLERY, 16, step=8, key=P + "gallery_n",
        help="The most confident mistakes come first: often an ambiguous or mislabelled image.",
    )  # fmt: skip
    rows = result.gallery(count)
    images = gallery_images(dataset, [r["index"] for r in rows])
    for start in range(0, len(rows), GALLERY_COLUMNS):
        cols = st.columns(GALLERY_COLUMNS)
        for col, row, image in zip(
            cols, rows[start : start + GALLERY_COLUMNS], images[start:], strict=False
        ):
            col.image(image, width=84)
            col.caption(
                f"predicted **{row['predicted']}** ({row['p_predicted']:.0%})  \n"
                f"true {row['true']} ({row['p_true']:.0%})"
            )


def files_ui(run: Run, folder: Path | None) -> None:
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download metrics (CSV)",
        metrics_csv(run.train, run.test),
        file_name=f"{run.id}-metrics.csv",
        mime="text/csv",
        key=P + "download_csv",
    )
    c2.download_button(
        "Download as a notebook",
        run_notebook(run.config),
        file_name=f"{run.id}.ipynb",
        mime=NOTEBOOK_MIME,
        key=P + "download_notebook",
        help="This run's exact settings as a Jupyter notebook in plain PyTorch (torch and "
        "torchvision only): run at home, it trains the same way and ends predicting one "
        "test image.",
    )
    if run.id == SHIPPED:
        st.caption(
            "The shipped model comes with Torchlab (config.json, metrics.csv, "
            "model.safetensors): it is never deleted from here."
        )
        return
    if folder is not None:
        st.caption(
            f"Saved on the server as run `{run.id}` (config.json, metrics.csv, model.safetensors)."
        )
    if not can_control(run):
        st.caption(not_yours_text("delete"))
        return
    sure = st.checkbox("Yes, delete this run for good", key=P + "delete_sure")
    if st.button("Delete run", key=P + "delete", disabled=not sure, type="secondary"):
        with errors_ui():
            runner = get_runner()
            if runner.has(run.id) and not runner.snapshot(run.id).finished:
                st.error("This run is still training: stop it before deleting it.")
                return
            if folder is not None and folder.exists():
                delete_run(folder)
            runner.forget(run.id)
            forget_saved_runs()
            if attached_job("training") == run.id:
                attach_job("training", None)
            st.session_state.pop(P + "delete_sure", None)
            st.rerun()


CONFUSION_KEY = P + "confusion"
CELL_TRUE, CELL_PRED = P + "cell_true", P + "cell_pred"
CANVAS_TEST_SOURCE = "A test image"  # the Canvas page's source tab for a test image


def _cell(result: Analysis) -> tuple[int, int]:
    """The confusion-matrix cell whose images are shown: the one clicked or picked, else the
    commonest mistake."""
    n = len(result.classes)
    state = st.session_state
    if not all(isinstance(state.get(k), int) and 0 <= state[k] < n for k in (CELL_TRUE, CELL_PRED)):
        state[CELL_TRUE], state[CELL_PRED] = biggest_mixup(result.confusion) or (0, 0)
    return state[CELL_TRUE], state[CELL_PRED]


def _cell_picked(n: int) -> None:
    """A click on the matrix: its marker's index is true · n + predicted."""
    points = (st.session_state.get(CONFUSION_KEY) or {}).get("selection", {}).get("points", [])
    if points:
        st.session_state[CELL_TRUE], st.session_state[CELL_PRED] = divmod(
            int(points[0]["point_index"]), n
        )


def _look_inside(index: int) -> None:
    """An image's "Inside" button: the Layer by layer tab, on that test image."""
    st.session_state[TAB_KEY] = LAYERS_TAB
    st.session_state[SOURCE_KEY] = TEST_SOURCE
    st.session_state[INDEX_KEY] = index


def cell_ui(result: Analysis, run: Run, cell: tuple[int, int]) -> None:
    """The test images of one confusion-matrix cell, each one click from the Canvas page
    (with its preprocessing and this model's answer) and from the Layer by layer tab."""
    classes = result.classes
    names = list(range(len(classes)))
    c1, c2, c3 = st.columns(3)
    true = c1.selectbox("True class", names, key=CELL_TRUE, format_func=classes.__getitem__)
    predicted = c2.selectbox(
        "Predicted class", names, key=CELL_PRED, format_func=classes.__getitem__
    )
    indices = cell_images(result.probabilities, result.labels, true, predicted)
    what = "hits" if true == predicted else "mistakes"
    if not indices:
        st.caption(f"No test image is true {classes[true]} and predicted {classes[predicted]}.")
        return
    count = c3.slider("Images to show", 1, min(MAX_CELL_IMAGES, len(indices)),
                      min(16, len(indices)), key=P + "cell_n")  # fmt: skip
    canvas = run.config.dataset == "MNIST" and run.run_dir is not None
    st.markdown(
        f"**True {classes[true]}, predicted {classes[predicted]}**: {len(indices):,} test "
        f"images, the surest {what} first (the model's probability for {classes[predicted]} "
        "under each). *Canvas* opens one on the Canvas page with this model; *Inside*, "
        "layer by layer here."
        + ("" if canvas else " The Canvas page reads digits only: this run's images open "
           "layer by layer.")
    )  # fmt: skip
    shown = indices[:count]
    images = gallery_images(run.config.dataset, shown)
    for start in range(0, len(shown), GALLERY_COLUMNS):
        cols = st.columns(GALLERY_COLUMNS)
        for col, index, image in zip(cols, shown[start:], images[start:], strict=False):
            p = float(result.probabilities[index, predicted])
            col.image(image, width=84)
            col.caption(f"#{index:,} · {p:.0%}")
            if canvas and col.button("Canvas", key=f"{P}cell_canvas_{index}", type="tertiary",
                                     icon=":material/draw:"):  # fmt: skip
                open_page("canvas", "canvas", {"source": CANVAS_TEST_SOURCE,
                          "test": str(index), "model": run.run_dir.name})  # fmt: skip
            col.button("Inside", key=f"{P}cell_inside_{index}", type="tertiary",
                       icon=":material/layers:", on_click=_look_inside, args=(index,))  # fmt: skip


TABS = (
    "Confusion matrix and per-class accuracy",
    "Misclassified images",
    "Inside the network",
    LAYERS_TAB,
    CELL_TAB,
    "Metrics and files",
)
TAB_KEY = P + "inspect_tab"


@st.cache_data(max_entries=2, show_spinner=False)
def _shipped(folder: str, stamp: float) -> Run:
    return load_run(folder)


def shipped_run() -> Run | None:
    """The shipped pretrained model as a finished run (its folder has the run files too)."""
    if not pr.pretrained_present():
        return None
    folder = pr.PRETRAINED_DIR
    try:
        run = _shipped(str(folder), (folder / WEIGHTS_FILE).stat().st_mtime)
    except (TorchlabError, OSError):
        return None
    return replace(run, id=SHIPPED, config=run.config.with_changes(name="Shipped digit model"))


def finished_runs(owner: str) -> dict[str, Run]:
    """id -> the runs there is something to look inside: finished ones, then the shipped model."""
    runs = {i: r for i, r in catalog(owner).items() if r.status not in ("running", "queued")}
    shipped = shipped_run()
    if shipped is not None:
        runs[SHIPPED] = shipped
    return runs


def inspect_link(owner: str) -> list[links.Field]:
    """The section's settings in the Train page's link: the run (by id; the shipped model is
    `digit_model`), the tab, the image and the cell looked at. The default run is the one the
    picker starts on, so a fresh page's link carries none."""
    runs = finished_runs(owner)

    def read_run(text: str) -> str:
        if text not in runs:
            raise ValueError("no such finished run on this server")
        return text

    return [
        links.Field("run", P + "inspect", next(iter(runs), None), read_run),
        links.choice("itab", TAB_KEY, TABS[0], TABS),
        *insides_link(),
    ]


def inspect_ui(owner: str) -> None:
    """Pick a finished run (or the shipped model); see its mistakes and inside it; download
    or delete it."""
    runs = finished_runs(owner)
    if not runs:
        st.caption("When a run has finished, its confusion matrix and mistakes appear here.")
        return
    ids = list(runs)
    attached = attached_job("training")
    # Follow the run shown above when it has just finished (or on the first visit).
    if attached in runs and st.session_state.get(P + "inspect_follow") != attached:
        st.session_state[P + "inspect_follow"] = attached
        st.session_state[P + "inspect"] = attached
    if st.session_state.get(P + "inspect") not in runs:
        st.session_state[P + "inspect"] = ids[0]
    run_id = st.selectbox("Run", ids, key=P + "inspect", format_func=lambda i: label(runs[i]))
    run = runs[run_id]
    folder = run.run_dir
    for problem in run.problems:
        st.warning(f"Part of this run's folder could not be read: {problem}.")
    analysis_tab, gallery_tab, inside_tab, layers_tab, cell_tab, files_tab = st.tabs(
        TABS, key=TAB_KEY, on_change="rerun"
    )
    with inside_tab:
        if run.id == SHIPPED:
            st.caption(
                "The shipped model was trained before Torchlab recorded probes: there is no "
                "record of its training to show. Its trained layers are in *Layer by layer*."
            )
        else:
            st.markdown(
                "What the run's layers, gradients and updates did while it trained, from its "
                "probes (one about every 1.5 s): each layer's values over time, its dead units, "
                "how big each step was against the weights, conv1's filters and the probe digit."
            )
            live_chart_ui([run], key=P + "inspect_chart", mode="single", settings="train_inspect")
    with files_tab:
        files_ui(run, folder)
    for name, tab in ((LAYERS_TAB, layers_tab), (CELL_TAB, cell_tab)):
        if tab.open and folder is not None:
            with tab, errors_ui():
                insides_ui(folder, name)
    if folder is None or not (folder / WEIGHTS_FILE).exists():
        with analysis_tab:
            st.info("This run has no saved model: it ended before it could save one.")
        return
    with errors_ui():
        result = _analysis(str(folder), (folder / WEIGHTS_FILE).stat().st_mtime)
        classes = result.classes
        with analysis_tab:
            st.markdown(
                f"On {len(result.labels):,} test images the model is right "
                f"**{result.accuracy:.2%}** of the time. Each row of the matrix is a true class; "
                "off the diagonal are the mix-ups (which digits look alike to it?). **Click a "
                "cell** to see its images."
            )
            c1, c2 = st.columns(2)
            cell = _cell(result)
            c1.plotly_chart(
                clickable_confusion_figure(result.confusion, classes, cell), key=CONFUSION_KEY,
                on_select=partial(_cell_picked, len(classes)), selection_mode="points",
            )  # fmt: skip
            c2.plotly_chart(
                per_class_figure(result.per_class_accuracy, classes), key=P + "per_class"
            )
            cell_ui(result, run, cell)
            code_ui(analyze, cell_images)
        with gallery_tab:
            gallery_ui(result, run.config.dataset)
