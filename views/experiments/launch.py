"""Launching a run set through the shared Runner, and following it live until it ends.

A page keeps only the id of the first job of its latest launch (in session_state and the
URL, via ui.runner.attach_job), so a refresh re-attaches to the same set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from core.devices import BUSY_LOAD, machine_load
from core.engine.learning.config import RunConfig
from core.engine.products.estimate import LONG_RUN_S, describe_seconds, estimate_seconds, run_work
from core.engine.runs.record import Run
from core.experiments.results import DEAD_COLUMN, UPDATE_COLUMN, Finding, summarise, verdict
from core.experiments.sets import launch, launched_set, stop_set
from ui.common import errors_ui
from ui.live_chart import live_chart_ui
from ui.runner import (
    attach_job,
    attached_job,
    dropped_job_notice,
    get_runner,
    owner_id,
    runner_problem,
)
from ui.speed import step_cost

PCT = st.column_config.NumberColumn(format="percent")
COUNT = st.column_config.NumberColumn(format="localized")  # 10,000 as the run names write it
COLUMNS = {
    "images": COUNT,
    "updates": COUNT,
    "batch": COUNT,
    "test accuracy": PCT,
    "final train loss": st.column_config.NumberColumn(format="%.3f"),
    "test loss": st.column_config.NumberColumn(format="%.3f"),
    "updates/s": st.column_config.NumberColumn(format="%.1f"),
    "samples/s": st.column_config.NumberColumn(format="localized"),
    "loss noise": st.column_config.NumberColumn(format="%.3f"),
    "lr": st.column_config.NumberColumn(format="%g"),
    DEAD_COLUMN: PCT,
    UPDATE_COLUMN: st.column_config.NumberColumn(format="%.2f"),
}


def _set_key(exp_id: str) -> str:
    return f"experiments_{exp_id}"


def current_set(exp_id: str) -> list[Run]:
    """The runs of this tab's latest launch (empty when none is attached)."""
    first = attached_job(_set_key(exp_id))
    if first is None:
        return []
    return launched_set(get_runner().jobs(owner=owner_id(), group=exp_id), first)


def launch_ui(exp_id: str, configs: list[RunConfig]) -> None:
    """The estimate, a confirmation for long sets, and the Run / Stop buttons."""
    snaps = current_set(exp_id)
    if notice := dropped_job_notice(_set_key(exp_id)):  # a set the server no longer holds
        st.info(notice, icon=":material/history:")
    running = any(not s.finished for s in snaps)
    device = configs[0].device
    with errors_ui():
        seconds = estimate_seconds(configs, lambda spec: step_cost(spec, device))
        samples = sum(run_work(c)[1] for c in configs)
        load = machine_load()
        busy = (
            f" This machine is busy ({load:.1f} processes per core): the steps were timed "
            "against other work, and the runs will be too."
            if load is not None and load > BUSY_LOAD
            else ""
        )
        st.caption(
            f"{len(configs)} runs, {samples:,} training samples in all: "
            f"**{describe_seconds(seconds)}** on {device} (from a few training steps timed "
            f"just now; runs train one at a time, after any already queued).{busy}"
        )
        long = seconds > LONG_RUN_S
        confirmed = not long or st.checkbox(
            f"Yes, start it: it will take {describe_seconds(seconds)}.",
            key=f"experiments_{exp_id}_confirm",
            help=f"Sets expected to take over {LONG_RUN_S:.0f} s ask first.",
        )
        problem = runner_problem()
        if problem:
            st.error(problem, icon=":material/cloud_off:")
        left, right, _ = st.columns([1, 1, 2])
        start = left.button(
            "Run the experiment",
            key=f"experiments_{exp_id}_run",
            type="primary",
            disabled=running or not confirmed or bool(problem),
            icon=":material/play_arrow:",
            help="Stop the running set first." if running else None,
        )
        stop = right.button(
            "Stop all its runs",
            key=f"experiments_{exp_id}_stop",
            disabled=not running,
            icon=":material/stop:",
        )
        if stop:
            stop_set(get_runner(), snaps)
            st.rerun()
        if start:
            ids = launch(get_runner(), exp_id, configs, owner=owner_id())
            attach_job(_set_key(exp_id), ids[0])
            st.rerun()


def _progress_ui(snaps: list[Run]) -> None:
    done = sum(s.progress if not s.finished else 1.0 for s in snaps) / len(snaps)
    running = [s for s in snaps if s.status == "running"]
    if running:
        now = running[0].name
    else:  # other runs (another tab's, another learner's) are training first
        waiting = next(s for s in snaps if not s.finished)
        ahead = (get_runner().queue_position(waiting.id) or 1) - 1
        now = "waiting while other runs train" + (f", {ahead} queued ahead" if ahead else "")
    eta = running[0].eta_s if running else None
    suffix = f", about {eta:.0f} s left on this run" if eta is not None else ""
    st.progress(done, text=f"{100 * done:.0f}% of the set · now: {now}{suffix}")


def numbers_show_ui(lines: list[str]) -> None:
    """The sentences that end every experiment: what its numbers show."""
    if lines:
        st.markdown("**What the numbers show**\n\n" + "\n".join(f"- {x}" for x in lines))


# How a column is written once it has to be text (it has a value that was not measured).
TEXT_FORMATS = {
    "test accuracy": lambda v: f"{100 * v:.2f}%",
    "samples/s": lambda v: f"{v:,.0f}",
    "updates/s": lambda v: f"{v:.1f}",
    DEAD_COLUMN: lambda v: f"{100 * v:.0f}%",
    UPDATE_COLUMN: lambda v: f"{v:.2f}",
}


def shown_rows(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The table as the grid should draw it, and its column formats. A column with a value
    that was not measured becomes text that says so ("not yet" while its run is still to
    come): the grid would print None there, which the page never means."""
    gaps = {k for row in rows for k, v in row.items() if v is None}
    config = {k: c for k, c in COLUMNS.items() if k not in gaps}

    def cell(row: dict[str, Any], key: str) -> Any:
        value = row[key]
        if key not in gaps:
            return value
        if value is None:
            return "not yet" if row.get("status") in ("queued", "running") else "not measured"
        return TEXT_FORMATS.get(key, lambda v: f"{v:.3f}")(value)

    return [{k: cell(row, k) for k in row} for row in rows], config


def finding_ui(finding: Finding) -> None:
    """The table and the sentences of what the numbers show."""
    numbers_show_ui(finding.lines)
    rows, config = shown_rows(finding.rows)
    st.dataframe(rows, hide_index=True, column_config=config)


def live_ui(exp_id: str, plots: Callable[[list[Run]], Any]) -> None:
    """The latest launch: while it trains, its runs' live curves and progress (updated in the
    browser, the page reloads once when the set has ended); then its plots and findings."""
    snaps = current_set(exp_id)
    if not snaps:
        st.info("No runs yet: set the knobs and press **Run the experiment**.")
        return
    for s in snaps:
        if s.error and verdict(s) == "diverged":  # expected in a sweep: not an app error
            st.caption(f"{s.name} diverged: {s.error}")
        elif s.error:
            st.error(f"{s.name}: {s.error}")
    if any(not s.finished for s in snaps):
        _progress_ui(snaps)
        live_chart_ui(snaps, key=f"experiments_{exp_id}_live", mode="compare",
                      settings="experiments")  # fmt: skip
        st.caption("The plots and what the numbers show appear here when the set has ended.")
        return
    plots(snaps)
    finding_ui(summarise(exp_id, snaps))
