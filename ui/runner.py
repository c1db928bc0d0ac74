"""The one Runner per server, which runs belong to this browser tab, and who may control them.

Training jobs live in a server-wide `core.engine.runs.runner.Runner` held by `st.cache_resource`, so
clicking widgets, switching pages or refreshing never stops or loses a run. A page keeps only ids:
- the owner token (which runs are "mine"), in session_state and in the URL (`?session=...`):
  only a token this install issued is taken from the URL (core.engine.runs.owners), a typed
  one gets the tab a new identity;
- the job it shows, in session_state and in the URL (`?<page>_job=...`),
so a refresh (a new Streamlit session) re-attaches to the same runs.

Anyone may look at a run whose id they know; stopping, deleting and resuming belong to the
tab that started it, and to the teacher: with TORCHLAB_TEACHER_PASSWORD set by whoever runs
the server, a tab that signs in with it (in the sidebar) sees and controls every run.
"""

from __future__ import annotations

import hmac
import os
import re
from pathlib import Path

import streamlit as st

from core.engine.runs.folder import (
    Unreadable,
    load_run,
    runs_root,
    scan_runs,
    unreadable_notice,
)
from core.engine.runs.owners import install_secret, issue_token, token_issued
from core.engine.runs.record import Run
from core.engine.runs.runner import Runner

SAVED_RUNS_TTL_S = 5  # the run folders are re-read at most this often
TEACHER_ENV = "TORCHLAB_TEACHER_PASSWORD"
TEACHER_KEY = "teacher_signed_in"
OWNER_KEY = "runner_owner"
OWNER_PARAM = "session"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # ids and tokens read back from the URL


@st.cache_resource(show_spinner=False, on_release=lambda runner: runner.shutdown())
def _runner(root: str) -> Runner:
    return Runner(runs_root=root)


def get_runner() -> Runner:
    """The server-wide Runner for the current runs folder (TORCHLAB_RUNS or ./runs)."""
    return _runner(str(runs_root()))


def runner_problem() -> str | None:
    """Why no run can start on this server now (no Ray cluster answers, say), in words that
    say what to set; None when runs can train. Pages disable their Start buttons on it."""
    return get_runner().unavailable


def shutdown_runners() -> None:
    """The server is going (SIGTERM, Ctrl+C): every Runner stops its runs as Stop would and
    leaves its queue on disk (core.engine.runs.runner.Runner.shutdown)."""
    _runner.clear()  # on_release shuts each one down


@st.cache_data(ttl=SAVED_RUNS_TTL_S, show_spinner=False)
def _scan(root: str) -> tuple[list[Run], list[Unreadable]]:
    return scan_runs(Path(root))


def saved_runs() -> list[Run]:
    """Every readable run folder, newest first, read at most once per SAVED_RUNS_TTL_S."""
    return _scan(str(runs_root()))[0]


def earlier_runs(owner: str) -> list[Run]:
    """This tab's runs that this server does not hold (they were accepted before it started:
    a restart, a shutdown), newest first, from their folders."""
    runner = get_runner()
    return [r for r in saved_runs() if r.owner == owner and not runner.has(r.id)]


def forget_saved_runs() -> None:
    """Read the run folders afresh on the next call (after a delete or a resume)."""
    _scan.clear()


def unreadable_runs_ui() -> None:
    """A notice naming the run folders that could not be read, if any."""
    unreadable = _scan(str(runs_root()))[1]
    if unreadable:
        st.warning(unreadable_notice(unreadable), icon=":material/folder_off:")


@st.cache_resource(show_spinner=False)
def _owner_secret(root: str) -> bytes:
    return install_secret(Path(root))


def owner_id() -> str:
    """A token for this browser tab that survives a refresh (and a server restart) through
    the URL; one the URL brings is kept only if this install issued it."""
    owner = st.session_state.get(OWNER_KEY)
    if not owner:
        secret = _owner_secret(str(runs_root()))
        from_url = st.query_params.get(OWNER_PARAM, "")
        if token_issued(secret, from_url):
            owner = from_url
        else:
            owner = issue_token(secret)
            if from_url:
                st.toast(
                    "The session in this address was not issued by this server: this tab "
                    "has a new one, and no runs yet.",
                    icon=":material/key_off:",
                )
        st.session_state[OWNER_KEY] = owner
    if st.query_params.get(OWNER_PARAM) != owner:
        st.query_params[OWNER_PARAM] = owner
    return owner


def teacher_mode() -> bool:
    """Whether the server's operator set a teacher password."""
    return bool(os.environ.get(TEACHER_ENV))


def sign_in_teacher(password: str) -> bool:
    """Make this tab the teacher's if `password` is the server's; returns whether it is."""
    expected = os.environ.get(TEACHER_ENV, "")
    ok = bool(expected) and hmac.compare_digest(password.encode(), expected.encode())
    st.session_state[TEACHER_KEY] = ok
    return ok


def is_teacher() -> bool:
    return teacher_mode() and bool(st.session_state.get(TEACHER_KEY))


def can_control(run: Run) -> bool:
    """Whether this tab may stop, delete or resume `run`: its own runs, every run for the
    teacher, and runs started without a tab (the CLI) unless a teacher password is set."""
    if is_teacher():
        return True
    if not run.owner:
        return not teacher_mode()
    return hmac.compare_digest(run.owner, owner_id())


def not_yours_text(action: str) -> str:
    who = "the tab that started it, or the teacher" if teacher_mode() else "the tab that started it"
    return f"Only {who} can {action} this run: you are viewing it read-only."


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
    None when the id is unknown to this server (e.g. after a restart): then the page is
    detached, and `dropped_job_notice` says what became of that run."""
    key = _job_key(page)
    job_id = st.session_state.get(key) or st.query_params.get(key)
    if not job_id or not _TOKEN.match(job_id) or not get_runner().has(job_id):
        if st.session_state.get(key) or key in st.query_params:
            st.session_state[_DROPPED + key] = str(job_id)[:64]
            attach_job(page, None)
        return None
    if st.session_state.get(key) != job_id or st.query_params.get(key) != job_id:
        attach_job(page, job_id)
    return job_id


_DROPPED = "dropped_"  # session key prefix: a job id a page had to let go of


def dropped_job_notice(page: str) -> str | None:
    """Once, after `attached_job` let go of a run this server does not hold: what became of
    it, from its folder (a restart interrupted it, it was waiting...), or that there is no
    such run here."""
    job_id = st.session_state.pop(_DROPPED + _job_key(page), None)
    if not job_id:
        return None
    run = None
    if _TOKEN.match(job_id):
        try:
            run = load_run(runs_root() / job_id)
        except Exception:  # no folder, or one that cannot be read: the sentence below
            run = None
    if run is None:
        return (
            f"This page's address names the run `{job_id}`, which this server does not have: "
            "it may have been deleted, or the link comes from another server."
        )
    where = "listed under *Your runs*" if can_control(run) else "in the *Compare runs* tab"
    return (
        f"This page was following **{run.name}**, which this server no longer holds (it "
        f"restarted since). What became of it: {run.what_happened()}. It is {where}."
    )
