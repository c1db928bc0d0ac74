"""The Train page's run lists: this tab's runs, and every saved run to compare side by side.

A live job (a snapshot from the server's runner) and a saved run (read from its folder) are
the same type, `Run`.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import streamlit as st

from core.engine.learning.config import compare_settings
from core.engine.runs.record import Run, RunStatus
from core.engine.runs.resume import has_resume_point
from core.errors import TorchlabError
from core.train.fair_race import is_race
from ui.live_chart import live_chart_ui
from ui.runner import (
    attach_job,
    can_control,
    earlier_runs,
    forget_saved_runs,
    get_runner,
    is_teacher,
    runner_problem,
    saved_runs,
    unreadable_runs_ui,
)
from views.train import KEY_PREFIX
from views.train.live import keep, recall

P = KEY_PREFIX
COMPARE_KEY = P + "compare"
SHOW_KEY = P + "show_run"  # the "Show this run above" picker
MAX_COMPARED = 10  # runs in one comparison chart


def _accuracy(run: Run) -> str:
    """The last test accuracy, and when it was measured if not at an epoch's end."""
    if not run.test:
        return "not tested"
    return f"{run.final_accuracy:.2%}" + (" (at the stop)" if run.tested_mid_epoch else "")


def my_jobs(owner: str) -> list[Run]:
    """This tab's Train-page runs (plain and fair-comparison ones; the Experiments page
    lists its own), oldest first."""
    mine = None if is_teacher() else owner  # the teacher sees every tab's runs
    return [s for s in get_runner().jobs(owner=mine) if not s.group or is_race(s.group)]


def catalog(owner: str) -> dict[str, Run]:
    """id -> run: this tab's live jobs first (freshest data), then every saved run."""
    runs: dict[str, Run] = {s.id: s for s in reversed(my_jobs(owner))}
    for record in saved_runs():
        runs.setdefault(record.id, record)
    return runs


def label(run: Run) -> str:
    return f"{run.name} · {run.status.value} · {_accuracy(run)}"


def my_runs_ui(owner: str, attached: str | None) -> None:
    """This tab's runs (newest first). While any of them trains or waits (other than the one
    the live view above follows), a live list keeps their status and progress up to date in
    the browser, and reloads the page once when they have ended."""
    snaps = my_jobs(owner)
    if not snaps:
        if not earlier_runs(owner):
            saved = len(saved_runs())
            st.caption(
                "No runs from this tab yet: configure one above and press Start."
                + (f" {saved:,} saved run{'s' * (saved != 1)} of this machine, from other tabs "
                   "or earlier visits, can be compared and looked inside in the next two tabs."
                   if saved else "")
            )  # fmt: skip
        return
    _my_runs_table(snaps, attached)
    going = [s for s in reversed(snaps) if not s.finished and s.id != attached]
    if going:
        live_chart_ui(going, key=P + "runs_live", mode="list", settings="train_runs")
    elif any(s.id == attached and not s.finished for s in snaps):
        st.caption("This list is redrawn when the run shown above ends.")


def _my_runs_table(snaps: list[Run], attached: str | None) -> None:
    snaps = list(reversed(snaps))
    frame = pd.DataFrame(
        {
            "run": [s.name for s in snaps],
            "status": [s.status.value for s in snaps],  # a table cell shows no icons
            "progress": [s.progress for s in snaps],
            "optimizer": [f"{s.config.optimizer} lr={s.config.lr:g}" for s in snaps],
            "batch": [s.config.batch_size for s in snaps],
            "test accuracy": [_accuracy(s) for s in snaps],
            "seed": [s.config.seed for s in snaps],
        }
    )
    st.dataframe(
        frame,
        hide_index=True,
        column_config={"progress": st.column_config.ProgressColumn("progress", min_value=0.0)},
    )
    ids = [s.id for s in snaps]
    # The picker's value lives in session state, set by whoever attaches a run (Start, the
    # fair race): a default index alone would not reach the browser, which would send its old
    # choice back on the next poll and re-attach the previous run.
    if st.session_state.get(SHOW_KEY) not in ids:
        st.session_state[SHOW_KEY] = attached if attached in ids else ids[0]
    names = {s.id: f"{s.name} · started {time.strftime('%H:%M:%S', time.localtime(s.submitted))}"
             for s in snaps}  # fmt: skip
    # No status in these labels: the browser keeps showing the label it got when the run was
    # picked ("running") long after the run ended; the table above has the live status.
    chosen = st.selectbox("Show this run above", ids, format_func=names.get, key=SHOW_KEY)
    if chosen != attached:
        attach_job("training", chosen)
        st.rerun(scope="app")


MAX_EARLIER = 10  # runs from before this server started, listed under "Your runs"


def earlier_runs_ui(owner: str) -> None:
    """This tab's runs from before the server (re)started, from their folders, each with what
    became of it: a restart interrupted it, a shutdown stopped it, it was waiting..."""
    runs = earlier_runs(owner)
    if not runs:
        return
    st.markdown("**From before the server restarted**")
    shown = runs[:MAX_EARLIER]
    frame = pd.DataFrame(
        {
            "run": [r.name for r in shown],
            "what happened": [r.what_happened() for r in shown],
            "progress": [r.progress for r in shown],
            "test accuracy": [_accuracy(r) for r in shown],
        }
    )
    st.dataframe(
        frame,
        hide_index=True,
        column_config={"progress": st.column_config.ProgressColumn("progress", min_value=0.0)},
    )
    if len(runs) > len(shown):
        st.caption(f"And {len(runs) - len(shown)} older ones: see the *Compare runs* tab.")


RESUMABLE = (RunStatus.STOPPED, RunStatus.INTERRUPTED, RunStatus.FAILED)
RESUME_ERROR_KEY = P + "resume_error"


def _resume(owner: str, runs: dict[str, Run]) -> None:
    run = runs.get(st.session_state.get(P + "resume_pick"))
    if run is None or not can_control(run):
        return
    try:
        job_id = get_runner().resume(run.run_dir, owner=owner)
    except TorchlabError as exc:
        st.session_state[RESUME_ERROR_KEY] = str(exc)
        return
    forget_saved_runs()
    attach_job("training", job_id)
    st.session_state[SHOW_KEY] = job_id


def resume_ui(owner: str) -> None:
    """Stopped runs and runs a server restart interrupted continue from their last epoch."""
    runner = get_runner()
    runs = {
        r.id: r
        for r in saved_runs()
        if r.status in RESUMABLE
        and can_control(r)
        and (has_resume_point(r.run_dir) or r.never_started)
        and not (runner.has(r.id) and not runner.snapshot(r.id).finished)
    }
    if not runs:
        return
    st.markdown(
        f"**{len(runs)} run(s) can continue** from their checkpoint (a stopped run goes on from "
        "the batch it stopped on, one a server restart interrupted from its last finished "
        "epoch), exactly as if they had never stopped; a run that was still waiting in the "
        "queue starts from the beginning."
    )
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    c1.selectbox("Run to resume", list(runs), key=P + "resume_pick",
                 format_func=lambda i: f"{runs[i].name} · {runs[i].what_happened()}")  # fmt: skip
    c2.button("Resume", key=P + "resume", on_click=_resume, args=(owner, runs),
              disabled=bool(runner_problem()))  # fmt: skip
    message = st.session_state.pop(RESUME_ERROR_KEY, None)
    if message:
        st.error(message)


def compare_table(runs: list[Run], show_all: bool) -> pd.DataFrame | Any:
    """One row per run: final metrics and the settings; only the differing ones unless
    `show_all`, where the differing ones are highlighted."""
    differing, flats = compare_settings([r.config for r in runs])
    rows = []
    for run, flat in zip(runs, flats, strict=True):
        row = {
            "run": run.name,
            "status": run.status.value,
            "test accuracy": _accuracy(run),
            "test loss": "—" if run.final_test_loss is None else f"{run.final_test_loss:.4f}",
            "initial weights": run.init_hash or "—",
        }
        keys = list(flat) if show_all else differing
        row |= {k: str(flat.get(k, "—")) for k in keys}
        rows.append(row)
    frame = pd.DataFrame(rows)
    if not show_all:
        return frame
    highlight = [c for c in frame.columns if c in differing]
    return frame.style.map(lambda _: "background-color: #fde2dc", subset=highlight)


def compare_ui(owner: str) -> None:
    unreadable_runs_ui()
    runs = catalog(owner)
    if not runs:
        st.caption("Nothing to compare yet.")
        return
    recall(COMPARE_KEY, [])
    # Keep only runs that still exist (one may have been deleted).
    st.session_state[COMPARE_KEY] = [i for i in st.session_state[COMPARE_KEY] if i in runs]
    chosen = st.multiselect(
        "Runs to compare (finished or still running)",
        list(runs),
        key=COMPARE_KEY,
        format_func=lambda i: label(runs[i]),
        max_selections=MAX_COMPARED,
        wrap=True,  # long run labels: each chip whole, on as many rows as it takes
    )
    keep(COMPARE_KEY)
    if not chosen:
        st.caption("Pick two or more runs to overlay their curves.")
        return
    runner = get_runner()
    fresh = [runner.snapshot(i) if runner.has(i) else runs[i] for i in chosen]
    live_chart_ui(fresh, key=P + "cmp_chart", mode="compare", settings="train_compare")
    recall(P + "cmp_all", False)
    show_all = st.toggle("Show every setting (differences highlighted)", key=P + "cmp_all")
    keep(P + "cmp_all")
    table = compare_table(fresh, show_all)
    st.dataframe(table, hide_index=True, width="stretch")  # every column, not clipped
    if not show_all and len(fresh) > 1 and len(table.columns) == 5:
        st.caption("These runs share every setting: any difference comes from chance alone.")
