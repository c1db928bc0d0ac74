"""The live view of one job: status, progress, log and curves, redrawn by a polling fragment.

The fragment re-runs on its own every POLL_S seconds while the job trains (not the whole page),
reads a snapshot from the runner and redraws. A poll that finds no newly logged row reuses the
figures it drew last (`live_figures`): nothing is built, and the browser gets the same chart.
When the job ends it asks for one full rerun, and the next fragment is created without
`run_every`, so polling stops.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import streamlit as st

from core.engine.looks.figures import X_AXES, accuracy_figure, fitted_smoothing, loss_figure
from core.engine.runs.record import Run, RunStatus
from ui.runner import can_control, get_runner, not_yours_text
from views.train import KEY_PREFIX

P = KEY_PREFIX
# While a job trains the browser redraws the live view every POLL_S seconds; the runs list
# (every LIST_POLL_S) waits while the live view polls, and is redrawn by the full rerun at the
# run's end. Chromium's CPU, not the server's, is the cost, taken from the training process on
# a learner's laptop (benchmarks/live_throughput.py measures both from /proc, 2 cores): with
# polls every 2 s Chromium used about 0.2 s of CPU per second of a watched run and the server
# 0.02 s; with polls every 4 s Chromium used about 0.15 s per second, and hiding both charts
# did not lower it, so what Chromium spends is not the charts alone. The page says how often
# it refreshes.
POLL_S = 4.0
LIST_POLL_S = 5.0
FIGURES_KEY = P + "live_figures"  # (what was drawn, loss figure, accuracy figure)
LOG_LINES = 12  # newest log lines shown under the curves
SAVED = "__kept"  # suffix of a widget value's copy that outlives the widget (see `keep`)
# Streamlit's Material icons: they need no emoji font (emoji drew as empty boxes without one).
STATUS_ICONS = {
    RunStatus.QUEUED: ":material/hourglass_empty:",
    RunStatus.RUNNING: ":material/directions_run:",
    RunStatus.DONE: ":material/check_circle:",
    RunStatus.STOPPED: ":material/stop_circle:",
    RunStatus.FAILED: ":material/error:",
    RunStatus.INTERRUPTED: ":material/pause_circle:",
}


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "…"
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


def progress_text(snap: Run) -> str:
    """epoch 1/2 · batch 120/3750 · 1,850 images/s · 2:31 left"""
    if snap.status == RunStatus.QUEUED:
        position = get_runner().queue_position(snap.id)
        return f"queued: waiting for a free slot (place {position} in the queue)"
    if not snap.total_steps:  # it has not counted its batches yet: nothing to count in
        if snap.finished:
            return "ended before the first batch"
        return "loading the data and building the model…"
    per_epoch = snap.total_steps // max(snap.config.epochs, 1)
    batch = snap.step - (snap.epoch - 1) * per_epoch if per_epoch else snap.step
    parts = [
        f"epoch {snap.epoch}/{snap.config.epochs}",
        f"batch {max(batch, 0):,}/{per_epoch:,}",
        f"{snap.samples_per_s:,.0f} images/s",
    ]
    if snap.finished:
        parts.append(f"{_duration(snap.elapsed_s)} in all")
    else:
        parts.append(f"{_duration(snap.eta_s)} left")
    return " · ".join(parts)


def recall(key: str, default: Any) -> None:
    """Give widget `key` its value from before a visit to another page. Streamlit drops the
    state of widgets a run did not draw, but keeps plain entries: `keep` writes one."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(key + SAVED, default)


def keep(*keys: str) -> None:
    """Copy the widgets' values where a visit to another page does not erase them."""
    for key in keys:
        st.session_state[key + SAVED] = st.session_state[key]


def curve_controls_ui(prefix: str) -> tuple[str, float, bool]:
    """x-axis, smoothing and log scale for a loss chart; returns the three choices."""
    keys = (P + prefix + "x", P + prefix + "smoothing", P + prefix + "log")
    for key, default in zip(keys, ("step", 0.6, False), strict=True):
        recall(key, default)
    c1, c2, c3 = st.columns([2, 2, 1])
    x_axis = c1.radio(
        "x-axis", list(X_AXES), key=P + prefix + "x", horizontal=True, format_func=X_AXES.get
    )
    smoothing = c2.slider(
        "Smoothing",
        0.0,
        0.99,
        step=0.01,
        key=P + prefix + "smoothing",
        help="An exponential moving average over the logged losses: each point is this share "
        "of the previous average plus the rest of the new loss. 0 shows the raw curve. A "
        "short curve is averaged less, so its end stays where the run is.",
    )
    log_y = c3.toggle("log scale", key=P + prefix + "log")
    keep(*keys)
    return x_axis, smoothing, log_y


def status_view_ui(snap: Run) -> None:
    """The job's name, status, progress bar and last metrics at this instant."""
    icon = STATUS_ICONS[snap.status]
    st.markdown(
        f"**{icon} {snap.name}** — {snap.status.value} · seed {snap.config.seed}"
        + (f" · initial weights `{snap.init_hash}`" if snap.init_hash else "")
    )
    st.progress(min(snap.progress, 1.0), text=progress_text(snap))
    if snap.status == RunStatus.FAILED:
        st.error(snap.error or "The run failed.")
    if snap.resumed_after is not None:
        st.caption(f"Resumed after epoch {snap.resumed_after} from its checkpoint.")
    if snap.test:
        last = snap.test[-1]
        c1, c2, c3 = st.columns(3)
        c1.metric("Test accuracy", f"{last['accuracy']:.2%}", help=f"Measured {snap.tested_when}.")
        c2.metric("Test loss", f"{last['loss']:.4f}")
        c3.metric("Training loss (last logged)", f"{snap.train[-1]['loss']:.4f}")


def live_figures(
    snap: Run, x_axis: str, smoothing: float, log_y: bool
) -> tuple[go.Figure, go.Figure | None]:
    """The loss and accuracy figures of `snap` (no accuracy one before its first test), built
    only when the run has logged a row since the last poll or a chart setting changed: a poll
    with nothing new returns the figures it returned last."""
    drawn = (snap.id, snap.name, len(snap.train), len(snap.test), x_axis, smoothing, log_y)
    cached = st.session_state.get(FIGURES_KEY)
    if cached is None or cached[0] != drawn:
        series = [(snap.name, snap.train, snap.test)]
        loss = loss_figure(series, x_axis=x_axis, smoothing=smoothing, log_y=log_y)
        accuracy = accuracy_figure(series, x_axis=x_axis) if snap.test else None
        cached = (drawn, loss, accuracy)
        st.session_state[FIGURES_KEY] = cached
    return cached[1], cached[2]


def curves_view_ui(snap: Run) -> None:
    """The chart settings, the loss and accuracy curves, and the newest log lines."""
    if not snap.train:  # an empty chart with made-up axes reads as a broken plot
        if snap.finished:
            st.caption("The run ended before its first logged batch: no loss curve to draw.")
        else:
            st.caption("The loss curve appears here after the first logged batch.")
        st.code("\n".join(snap.log[-LOG_LINES:]) or "waiting for the first batch…", language=None)
        return
    x_axis, smoothing, log_y = curve_controls_ui("live_")
    loss, accuracy = live_figures(snap, x_axis, smoothing, log_y)
    st.plotly_chart(loss, key=P + "live_loss_chart", width="stretch")
    fitted = fitted_smoothing(smoothing, len(snap.train))
    if fitted < smoothing:
        st.caption(
            f"Smoothed with {fitted:.2f}, not {smoothing:.2f}: over {len(snap.train)} logged "
            "losses a stronger average would hide where the curve ends."
        )
    if accuracy is not None:
        st.plotly_chart(accuracy, key=P + "live_acc_chart", width="stretch")
    st.code("\n".join(snap.log[-LOG_LINES:]) or "waiting for the first batch…", language=None)


def snapshot_view_ui(snap: Run) -> None:
    """Everything about one job at this instant."""
    status_view_ui(snap)
    curves_view_ui(snap)


def _stop(job_id: str) -> None:
    runner = get_runner()
    if can_control(runner.snapshot(job_id)):  # checked again: the click is the browser's word
        runner.stop(job_id)


def live_ui(job_id: str) -> None:
    """The attached job, redrawn every POLL_S seconds by a fragment until it ends."""
    runner = get_runner()
    polling = not runner.snapshot(job_id).finished

    @st.fragment(run_every=POLL_S if polling else None)
    def _live() -> None:
        snap = runner.snapshot(job_id)
        if not can_control(snap):
            st.caption(not_yours_text("stop"))
        elif not snap.finished:
            st.button(
                "Stop", key=P + "stop", on_click=_stop, args=(job_id,), icon=":material/stop:",
                help="Stops before the next batch; the run is kept as 'stopped'.",
            )  # fmt: skip
        snapshot_view_ui(snap)
        if polling and snap.finished:
            st.rerun()  # one full rerun: the results below appear and polling stops
        if polling:
            st.caption(f"This view refreshes every {POLL_S:g} s while the run trains.")

    _live()
