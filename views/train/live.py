"""The live view of one run: Stop, and the live chart (ui/live_chart.py) of its status,
progress, test numbers, curves and log.

While the run trains the chart updates itself in the browser from the app's live route: the
page reruns no script (Chromium's cost of a live update was 0.6 s of CPU per 4 s poll when a
fragment reran and re-sent two Plotly figures). When the run ends the chart asks for one full
rerun, so the results below it and the buttons follow.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui.live_chart import POLL_MS, live_chart_ui
from ui.runner import can_control, get_runner, not_yours_text
from views.train import KEY_PREFIX

P = KEY_PREFIX
SAVED = "__kept"  # suffix of a widget value's copy that outlives the widget (see `keep`)


def recall(key: str, default: Any) -> None:
    """Give widget `key` its value from before a visit to another page. Streamlit drops the
    state of widgets a run did not draw, but keeps plain entries: `keep` writes one."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(key + SAVED, default)


def keep(*keys: str) -> None:
    """Copy the widgets' values where a visit to another page does not erase them."""
    for key in keys:
        st.session_state[key + SAVED] = st.session_state[key]


def _stop(job_id: str) -> None:
    runner = get_runner()
    if can_control(runner.snapshot(job_id)):  # checked again: the click is the browser's word
        runner.stop(job_id)


def live_ui(job_id: str) -> None:
    """The attached run's live chart, with Stop for whoever may stop it (the chart's own
    button; a Streamlit one beside the text copy, for a page that cannot run the chart)."""
    snap = get_runner().snapshot(job_id)
    may_stop = can_control(snap) and not snap.finished

    def streamlit_stop() -> None:
        st.button(
            "Stop", key=P + "stop", on_click=_stop, args=(job_id,), icon=":material/stop:",
            help="Stops before the next batch; the run is kept as 'stopped'.",
        )  # fmt: skip

    if not can_control(snap):
        st.caption(not_yours_text("stop"))
    live_chart_ui(
        [snap],
        key=P + "live_chart",
        mode="single",
        settings="train_live",
        stop=may_stop,
        text_extra=streamlit_stop if may_stop else None,
    )
    if not snap.finished:
        st.caption(
            f"The chart updates itself every {POLL_MS / 1000:g} s while the run trains; "
            "the page reloads once, when the run ends."
        )
