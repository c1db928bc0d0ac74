"""The Canvas page's "Your handwriting" section: save sketches with their digit, and score a
model on the collection next to its MNIST test accuracy."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

from core.canvas import figures as figs
from core.canvas import handwriting as hw
from core.engine.products.predictor import Predictor
from core.errors import TorchlabError
from ui.common import code_ui, errors_ui

MAX_MISTAKES_SHOWN = 12  # thumbnails of misread sketches under the evaluation


def handwriting_ui(
    predictor: Predictor,
    folder: str,
    stamp: float,
    ink: np.ndarray | None,
    has_digit: bool,
    mnist_accuracy: Callable[[], float],
) -> None:
    """The section, for the model in `folder` (its file `stamp`) and the drawing `ink`."""
    st.subheader("Your handwriting")
    st.markdown(
        "A model's MNIST test accuracy says how well it reads the handwriting of *MNIST's* "
        "writers. Save your own sketches with the digit they really are, then score any model on "
        "the collection: the gap between the two numbers is how far your handwriting (and a "
        "mouse on a canvas) is from MNIST. The sketches stay on this machine, as PNG files."
    )
    sketches = hw.list_sketches()
    left, mid, right = st.columns([1, 1, 2], vertical_alignment="bottom")
    label = left.selectbox(
        "This sketch is a",
        list(range(10)),
        index=None,
        placeholder="pick the digit",
        key="canvas_hw_label",
    )
    if mid.button(
        "Save to my collection", disabled=not has_digit or label is None, key="canvas_hw_save"
    ):
        with errors_ui():
            saved = hw.save_sketch(ink, label)
            st.session_state["canvas_last_saved"] = str(saved.path)
            st.toast(f"Saved as a {label}.")
            sketches = hw.list_sketches()
    last = next((s for s in sketches if str(s.path) == st.session_state["canvas_last_saved"]), None)
    if last is not None and mid.button(
        f"Undo: remove the {last.label} just saved", key="canvas_hw_undo"
    ):
        with errors_ui():
            hw.delete_sketch(last)
            st.session_state["canvas_last_saved"] = None
            sketches = hw.list_sketches()
    right.caption(hw.describe_collection(sketches))

    score = "Score this model on my handwriting"
    if st.button(score, disabled=not sketches, key="canvas_hw_score"):
        with errors_ui():
            report = hw.evaluate_collection(predictor, sketches)
            try:
                mnist = mnist_accuracy()
            except TorchlabError as exc:  # no MNIST files here: fall back to the saved figure
                st.warning(
                    f"Could not score MNIST here ({exc}); showing the accuracy saved with the "
                    "model."
                )
                mnist = predictor.accuracy
            st.session_state["canvas_report"] = (folder, stamp, len(sketches), report, mnist)
    stored = st.session_state["canvas_report"]
    if stored is not None and stored[:2] == (folder, stamp) and stored[2] != len(sketches):
        st.caption("The collection changed since the last score: score it again to update.")
    elif stored is not None and stored[:2] == (folder, stamp):
        _, _, _, report, mnist = stored
        a, b, c = st.columns(3)
        a.metric(
            "Your handwriting",
            "—" if report.accuracy is None else f"{report.accuracy:.1%}",
            hw.plural(report.total, "sketch", "sketches"),
            delta_color="off",
            delta_arrow="off",
        )
        b.metric(
            "MNIST test set",
            "—" if mnist is None else f"{mnist:.2%}",
            "10,000 digits",
            delta_color="off",
            delta_arrow="off",
        )
        if report.accuracy is not None and mnist is not None:
            c.metric(
                "Gap",
                f"{(report.accuracy - mnist) * 100:+.1f} points",
                "yours − MNIST",
                delta_color="off",
                delta_arrow="off",
            )
        if report.total and report.total < hw.FEW_SKETCHES:
            st.caption(
                f"With {hw.plural(report.total, 'sketch', 'sketches')}, each one moves your score "
                f"by {100 / report.total:.0f} points: save {hw.FEW_SKETCHES} or more, a few of "
                "each digit, before reading much into the gap."
            )
        for why in report.skipped:
            st.caption(f"Skipped {why}")
        if report.per_class:
            st.plotly_chart(figs.per_class_figure(report.per_class), key="canvas_hw_classes")
        if report.mistakes:
            st.markdown("**Misread sketches.** A wrong label is a mistake too: remove it here.")
            shown = report.mistakes[:MAX_MISTAKES_SHOWN]
            if len(report.mistakes) > len(shown):
                st.caption(f"The first {len(shown)} of {len(report.mistakes)} misread sketches.")
            columns = [c for _ in range(0, len(shown), 6) for c in st.columns(6)]
            for column, (sketch, y_hat) in zip(columns, shown, strict=False):
                with errors_ui():
                    column.image(
                        figs.display_pixels(hw.load_sketch(sketch), 80),
                        caption=f"a {sketch.label}, read as {predictor.classes[y_hat]}",
                    )
                if column.button("Remove", key=f"canvas_hw_rm_{sketch.path.name}"):
                    with errors_ui():
                        hw.delete_sketch(sketch)
                        st.session_state["canvas_report"] = None
                        st.rerun()
        code_ui(hw.evaluate_collection)
