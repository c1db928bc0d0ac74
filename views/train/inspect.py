"""After a run: where the model errs (confusion matrix, per-class accuracy, the misclassified
images with their probabilities), the metrics as CSV, the run as a notebook, and deleting a
run."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.engine.looks.figures import confusion_figure, per_class_figure
from core.engine.products.notebook import MIME as NOTEBOOK_MIME
from core.engine.products.notebook import run_notebook
from core.engine.runs.folder import WEIGHTS_FILE, delete_run, metrics_csv
from core.engine.runs.record import Run
from core.train.analysis import MAX_GALLERY, Analysis, analyze, analyze_run, gallery_images
from ui.common import code_ui, errors_ui
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


def inspect_ui(owner: str) -> None:
    """Pick a finished run; see its mistakes; download or delete it."""
    runs = {
        i: r for i, r in catalog(owner).items() if r.status != "running" and r.status != "queued"
    }
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
    analysis_tab, gallery_tab, inside_tab, files_tab = st.tabs(
        [
            "Confusion matrix and per-class accuracy",
            "Misclassified images",
            "Inside the network",
            "Metrics and files",
        ]
    )
    with inside_tab:
        st.markdown(
            "What the run's layers, gradients and updates did while it trained, from its "
            "probes (one about every 1.5 s): each layer's values over time, its dead units, "
            "how big each step was against the weights, conv1's filters and the probe digit."
        )
        live_chart_ui([run], key=P + "inspect_chart", mode="single", settings="train_inspect")
    with files_tab:
        files_ui(run, folder)
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
                "off the diagonal are the mix-ups (which digits look alike to it?)."
            )
            c1, c2 = st.columns(2)
            c1.plotly_chart(confusion_figure(result.confusion, classes), key=P + "confusion")
            c2.plotly_chart(
                per_class_figure(result.per_class_accuracy, classes), key=P + "per_class"
            )
            code_ui(analyze)
        with gallery_tab:
            gallery_ui(result, run.config.dataset)
