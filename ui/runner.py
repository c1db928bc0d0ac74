"""The one Runner per server, and which runs belong to this browser tab.

Training jobs live in a server-wide `core.engine.runner.Runner` held by `st.cache_resource`, so
clicking widgets, switching pages or refreshing never stops or loses a run. A page keeps only ids:
- the owner token (which runs are "mine"), in session_state and in the URL (`?session=...`);
- the job it shows, in session_state and in the URL (`?<page>_job=...`),
so a refresh (a new Streamlit session) re-attaches to the same runs.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import streamlit as st

from core.engine.runner import Runner
from core.engine.runs import Run, Unreadable, runs_root, scan_runs, unreadable_notice

SAVED_RUNS_TTL_S = 5  # the run folders are re-read at most this often
OWNER_KEY = "runner_owner"
OWNER_PARAM = "session"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # ids and tokens read back from the URL


@st.cache_resource(show_spinner=False)
def _runner(root: str) -> Runner:
    return Runner(runs_root=root)


def get_runner() -> Runner:
    """The server-wide Runner for the current runs folder (TORCHLAB_RUNS or ./runs)."""
    return _runner(str(runs_root()))


@st.cache_data(ttl=SAVED_RUNS_TTL_S, show_spinner=False)
def _scan(root: str) -> tuple[list[Run], list[Unreadable]]:
    return scan_runs(Path(root))


def saved_runs() -> list[Run]:
    """Every readable run folder, newest first, read at most once per SAVED_RUNS_TTL_S."""
    return _scan(str(runs_root()))[0]


def forget_saved_runs() -> None:
    """Read the run folders afresh on the next call (after a delete or a resume)."""
    _scan.clear()


def unreadable_runs_ui() -> None:
    """A notice naming the run folders that could not be read, if any."""
    unreadable = _scan(str(runs_root()))[1]
    if unreadable:
        st.warning(unreadable_notice(unreadable), icon=":material/folder_off:")


def owner_id() -> str:
    """A token for this browser tab that survives a refresh through the URL."""
    owner = st.session_state.get(OWNER_KEY)
    if not owner:
        from_url = st.query_params.get(OWNER_PARAM, "")
        owner = from_url if _TOKEN.match(from_url or "") else uuid.uuid4().hex[:16]
        st.session_state[OWNER_KEY] = owner
    if st.query_params.get(OWNER_PARAM) != owner:
        st.query_params[OWNER_PARAM] = owner
    return owner


def _job_key(page: str) -> str:
    return f"{page}_job"


def attach_job(page: str, job_id: str | None) -> None:
    """Show `job_id` on `page` from now on, also after a refresh (None detaches)."""
    key = _job_key(page)
    if job_id is None:
        st.session_state.pop(key, None)
        if key in st.query_params:
            del st.query_params[key]
        return
    st.session_state[key] = job_id
    st.query_params[key] = job_id


def attached_job(page: str) -> str | None:
    """The job id this page shows: from session_state, else from the URL after a refresh;
    None when the id is unknown to this server (e.g. after a restart)."""
    key = _job_key(page)
    job_id = st.session_state.get(key) or st.query_params.get(key)
    if not job_id or not _TOKEN.match(job_id) or not get_runner().has(job_id):
        if st.session_state.get(key) or key in st.query_params:
            attach_job(page, None)
        return None
    if st.session_state.get(key) != job_id or st.query_params.get(key) != job_id:
        attach_job(page, job_id)
    return job_id
