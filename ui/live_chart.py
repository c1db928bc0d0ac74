"""The live run chart: one `st.components.v2` component that draws runs' curves in the
browser (uPlot, vendored in ui/vendor/uplot) and keeps them up to date from the app's live
route (ui/live_route.py) while a run trains, so the page reruns no script for an update.

Modes: "single" (one run: its status, progress, test numbers, curves and log), "compare"
(several runs' curves on one chart) and "list" (status and progress only). The chart's
settings (x-axis, smoothing, log scale) live in the browser and change the drawing without
a rerun. When every run it watches has ended, it asks for one rerun of the page, so status,
buttons and lists update then. Beside it, the same numbers as text (hidden by the chart once
it draws): what a page that cannot run the component (AppTest) shows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import streamlit as st

from core.engine.learning.probes import SATURATING
from core.engine.looks.inside import inside_payload
from core.engine.looks.live import live_payload, progress_text
from core.engine.runs.folder import read_probes
from core.engine.runs.record import Run, RunStatus
from ui.live_route import (
    ASSETS_PATH,
    LIVE_PATH,
    STOP_PATH,
    VENDOR,
    XSRF_COOKIE,
    browser_key,
    control_token,
    watch_token,
)
from ui.runner import get_runner

POLL_MS = 1500  # a watched run's chart asks for news this often
STOPPING_POLL_MS = 250  # and this often once Stop was pressed, to say "stopped" at once
HERE = Path(__file__).resolve().parent
# A one-line minified script is taken for a file path: both start with a newline.
_CHART = st.components.v2.component(
    "torchlab_live_chart",
    js="".join(
        (HERE / name).read_text(encoding="utf-8")
        for name in ("inside_panel.js", "live_curves.js", "live_chart.js")
    ),
    css="\n"
    + (VENDOR / "uPlot.min.css").read_text(encoding="utf-8")
    + (HERE / "live_chart.css").read_text(encoding="utf-8"),
)


def _browser() -> bytes:
    """This tab's browser, as the live route tells it (core of its XSRF cookie)."""
    return browser_key(st.context.cookies.get(XSRF_COOKIE))


def _text_copy(runs: Sequence[Run], mode: str) -> None:
    """The runs' numbers as text: what a page without the chart shows."""
    runner = get_runner()
    for run in runs:
        position = runner.queue_position(run.id) if runner.has(run.id) else None
        line = f"**{run.name}** — {run.status.value} · {progress_text(run, position)}"
        if run.test:
            line += f" · test accuracy {run.final_accuracy:.2%} ({run.tested_when})"
        st.caption(line)
        if run.status == RunStatus.FAILED:
            st.error(run.error or "The run failed.")
        if mode == "single" and run.train:
            st.caption(f"Training loss (last logged): {run.train[-1]['loss']:.4f}")
        inside = inside_payload(run.probes, None, SATURATING) if mode != "list" else None
        if inside:
            st.caption("Inside the network: " + " ".join(inside["sentences"]))


def with_probes(run: Run) -> tuple[Run, str | None]:
    """A saved run with its probes read from its folder (a live one has them already), and
    what was wrong with its probe file, if anything."""
    if run.probes or run.run_dir is None:
        return run, None
    probes, digit, problem = read_probes(run.run_dir)
    return replace(run, probes=probes, digit=digit), problem


def live_chart_ui(
    runs: Sequence[Run],
    *,
    key: str,
    mode: str = "single",
    settings: str = "",
    stop: bool = False,
    text_extra: Callable[[], None] | None = None,
) -> None:
    """Draw `runs` (snapshots or saved runs) and follow those still training. With `stop` (a
    tab that may stop the single run shown) the chart has a Stop button of its own;
    `text_extra` draws more beside the text copy (a Streamlit Stop for a page without JS)."""
    runner = get_runner()
    browser = _browser()
    if mode != "list":
        read = [with_probes(r) for r in runs]
        runs = [r for r, _ in read]
        for run, problem in ((r, p) for r, p in read if p):
            st.caption(f"{run.name}: {problem}.")
    polled = [r.id for r in runs if not r.finished and runner.has(r.id)]
    positions = {r.id: p for r in runs if runner.has(r.id) and (p := runner.queue_position(r.id))}
    fallback = f"{key}_text"
    with st.container(key=fallback):
        _text_copy(runs, mode)
        if text_extra is not None:
            text_extra()
    _CHART(
        key=key,
        data={
            "mode": mode,
            "settings": settings or key,
            "url": LIVE_PATH,
            "assets": ASSETS_PATH,
            "ids": polled,
            "token": watch_token(polled, browser) if polled else "",
            "stop_url": STOP_PATH,
            "stop_token": control_token(polled[0], browser) if stop and polled else "",
            "poll_ms": POLL_MS,
            "stopping_poll_ms": STOPPING_POLL_MS,
            "payload": live_payload(runs, positions, digit=mode == "single"),
            "fallback": f"st-key-{fallback}",
        },
        on_ended_change=lambda: None,  # the trigger's rerun is the point
    )
