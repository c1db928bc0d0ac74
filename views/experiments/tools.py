"""The two tabs that are not run sets: the data-pipeline race and the test-set browser."""

from __future__ import annotations

import streamlit as st

from core.devices import BUSY_LOAD, machine_load
from core.engine.learning.data import DATASETS
from core.engine.products.predictor import PRETRAINED_DIR, pretrained_present
from core.experiments import figures as figs
from core.experiments import pipelines as P
from core.experiments import testset as T
from ui.common import code_ui, device_name, errors_ui, ranged
from ui.predictor import model_choices
from ui.runner import get_runner
from views.experiments.launch import numbers_show_ui

RESULTS_KEY = "experiments_pipeline_results"
PAGE_SIZES = (12, 24, 48, 96)
THUMB_PX = 84  # each test image drawn 3× its 28 pixels


def pipelines_ui() -> None:
    c1, c2, c3 = st.columns(3)
    dataset = c1.selectbox("Dataset", list(DATASETS), key="experiments_pipe_dataset")
    samples = int(
        c2.number_input(
            ranged("Samples", 1, P.MAX_SAMPLES), 1, P.MAX_SAMPLES, 2_000, step=1_000,
            key="experiments_pipe_n",
        )
    )  # fmt: skip
    batch = int(
        c3.number_input(
            ranged("Batch size", 1, P.MAX_BATCH), 1, P.MAX_BATCH, 64, key="experiments_pipe_batch"
        )
    )
    device = device_name()
    st.caption(P.measuring_text(samples, st.session_state.get(RESULTS_KEY)))
    load = machine_load()
    if any(s.status == "running" for s in get_runner().jobs()):
        st.warning("A training run is using the processor right now: the figures will be low.")
    elif load is not None and load > BUSY_LOAD:
        st.warning(
            f"This machine is busy ({load:.1f} processes per core over the last minute): the "
            "figures will be low and spread out, and the page gives a verdict only where the "
            "rounds do not overlap."
        )
    if st.button("Measure the three pipelines", key="experiments_pipe_run", type="primary"):
        with errors_ui(), st.spinner(f"Delivering {samples:,} images three ways to {device}…"):
            st.session_state[RESULTS_KEY] = P.compare(
                dataset=dataset, samples=samples, batch_size=batch, device=device
            )
    results = st.session_state.get(RESULTS_KEY)
    if results:
        st.plotly_chart(
            figs.bar_figure(
                [r.title for r in results],
                [r.samples_per_s for r in results],
                f"Samples per second to {device} ({results[0].samples:,} images)",
                "samples / s (median; the bars span the rounds)",
                spread=[(r.low, r.high) for r in results],
            ),
            key="experiments_pipe_chart",
        )
        numbers_show_ui(P.findings(results))
        st.dataframe(
            [
                {
                    "pipeline": r.title,
                    "samples/s (median)": round(r.samples_per_s),
                    "slowest round": round(r.low),
                    "fastest round": round(r.high),
                    "batches": r.batches,
                }
                for r in results
            ],
            hide_index=True,
            column_config={
                k: st.column_config.NumberColumn(format="localized")
                for k in ("samples/s (median)", "slowest round", "fastest round")
            },
        )
        st.caption(
            f"Each pipeline was warmed up, then measured {results[0].rounds} times, a "
            "different one first in each round; the chart shows the median on a linear axis "
            "from 0 (the per-sample pipelines are the short bars), the table the spread."
        )
    for p in P.PIPELINES.values():
        st.markdown(f"**{p.title}**: {p.note}")
        code_ui(p.source, label=f"The code: {p.title}")
    code_ui(P.measure, label="The code: how each one is timed")


@st.cache_resource(max_entries=4, show_spinner="Scoring the whole test set…")
def _predictions(folder: str, stamp: float, device: str) -> T.Predictions:
    return T.predict_test_set(folder, device)


def _model_ui() -> T.Predictions | None:
    choices = model_choices(datasets=None)  # any dataset: each run is scored on its own
    if not pretrained_present():
        st.info(
            f"The pretrained digit model is not here yet (`assets/{PRETRAINED_DIR.name}` is "
            "missing). "
            "Browse a run you trained instead; runs appear here as they save."
        )
    if not choices:
        st.warning("No model to browse: train a run on the **Train** page or an experiment.")
        return None
    picked = st.selectbox(
        "Model", choices, format_func=lambda c: c.label, key="experiments_browse_model"
    )
    with errors_ui():  # a retrained run has a new stamp, so it is scored again
        return _predictions(str(picked.folder), picked.stamp, device_name())
    return None


def testset_ui() -> None:
    preds = _model_ui()
    if preds is None:
        return
    classes = ["any", *preds.classes]
    c1, c2, c3, c4 = st.columns(4)
    true = c1.selectbox("True class", classes, key="experiments_browse_true")
    guess = c2.selectbox("Predicted class", classes, key="experiments_browse_pred")
    below = c3.slider(
        "Confidence below (%)",
        1,
        100,
        100,
        key="experiments_browse_conf",
        help="Keep only predictions the model was less sure of; 100 keeps all.",
    )
    order = c4.selectbox("Order", T.ORDERS, key="experiments_browse_order")
    wrong = st.toggle("Only wrong predictions", key="experiments_browse_wrong")
    with errors_ui():
        idx = T.select(
            preds,
            true_class=None if true == "any" else classes.index(true) - 1,
            predicted_class=None if guess == "any" else classes.index(guess) - 1,
            wrong_only=wrong,
            max_confidence=None if below == 100 else below / 100,
            order=order,
        )
        c1, c2 = st.columns(2)
        size = c1.selectbox("Images per page", PAGE_SIZES, index=1, key="experiments_browse_size")
        pages = T.page_count(len(idx), size)
        page = int(
            c2.number_input(f"Page (of {pages})", 1, pages, 1, key="experiments_browse_page")
        )
        st.caption(
            f"{len(idx):,} of {len(preds.labels):,} test images match · accuracy on the whole "
            f"test set {100 * preds.accuracy:.2f}% · ✓ right, ✗ wrong (true → predicted)."
        )
        shown = T.items(preds, T.page_of(idx, page, size))
        if not shown:
            st.info("No test image passes these filters.")
            return
        st.image(
            [item.image for item in shown],
            caption=[
                f"{'✓' if item.correct else '✗'} #{item.index}: {preds.classes[item.label]} → "
                f"{preds.classes[item.predicted]} ({100 * item.confidence:.0f}%)"
                for item in shown
            ],
            width=THUMB_PX,
        )
        by_index = {item.index: item for item in shown}
        pick = by_index[
            st.selectbox(
                "Look closer at",
                list(by_index),
                format_func=lambda i: f"#{i} ({preds.classes[by_index[i].label]})",
                key="experiments_browse_pick",
            )
        ]
        left, right = st.columns([1, 3])
        left.image(pick.image, width=THUMB_PX * 2, caption=f"test image #{pick.index}")
        right.plotly_chart(
            figs.probabilities_figure(pick.probs, preds.classes, pick.label, pick.predicted),
            key="experiments_browse_probs",
        )
    code_ui(T.predict_test_set, T.select, label="The code: scoring and filtering")
