"""The shared sidebar (device picker, "show the code"), code blocks and error display."""

from __future__ import annotations

import hashlib
import inspect
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from core.devices import available_devices, default_device
from core.engine.learning.chapter import DEPARTURES
from core.errors import TorchlabError, logged_error_id
from ui.runner import TEACHER_KEY, is_teacher, sign_in_teacher, teacher_mode

log = logging.getLogger("torchlab")
DEVICE_KEY = "device"
SHOW_CODE_KEY = "show_code"


def sidebar_ui() -> str:
    """Device picker and the "show the code" toggle; returns the chosen device name."""
    devices = available_devices()
    labels = {d.name: d.label for d in devices}
    if st.session_state.get(DEVICE_KEY) not in labels:
        st.session_state[DEVICE_KEY] = default_device()
    st.sidebar.selectbox(
        "Device",
        list(labels),
        key=DEVICE_KEY,
        format_func=labels.__getitem__,
        help="Where tensors live and models run. cpu is always there; cuda:N is an NVIDIA "
        "GPU, mps an Apple GPU. Every page uses this choice.",
    )
    st.sidebar.toggle(
        "Show the code",
        key=SHOW_CODE_KEY,
        help="Open the code behind each plot and result by default.",
    )
    if teacher_mode():
        teacher_ui()
    return st.session_state[DEVICE_KEY]


def teacher_ui() -> None:
    """Sign in as the teacher (the server's TORCHLAB_TEACHER_PASSWORD): see and stop every run."""
    with st.sidebar.expander("Teacher", icon=":material/school:"):
        if is_teacher():
            st.caption("Signed in: you see every run on the Train page and can stop any.")
            if st.button("Sign out", key="teacher_sign_out"):
                st.session_state[TEACHER_KEY] = False
                st.rerun()
            return
        with st.form("teacher_sign_in", border=False):
            password = st.text_input("Teacher password", type="password")
            if st.form_submit_button("Sign in"):
                if sign_in_teacher(password):
                    st.rerun()
                st.error("That is not the teacher password.")


def device_name() -> str:
    """The device chosen in the sidebar (the best available one if the page runs alone)."""
    name = st.session_state.get(DEVICE_KEY)
    if name not in {d.name for d in available_devices()}:
        name = default_device()
    return name


def code_ui(*objects: object, label: str = "Show the code", source: str | None = None) -> None:
    """The source of the core functions behind what is on screen, one click away.

    Sent only while its expander is open: a browser highlights every code block it is sent,
    folded or not, and that took most of a second of each first render.
    """
    shown = bool(st.session_state.get(SHOW_CODE_KEY))
    names = ",".join(getattr(obj, "__qualname__", type(obj).__name__) for obj in objects)
    # The sidebar's toggle opens or folds them all: a new key takes its default each time.
    # Named by what it shows, not by the source text: it stays open while that text changes.
    key = f"code_{hashlib.sha1(f'{label}|{names}'.encode()).hexdigest()[:12]}_{shown:d}"
    box = st.expander(label, expanded=shown, key=key, on_change="rerun")
    if box.open:
        parts = [source] if source else []
        parts += [inspect.getsource(obj) for obj in objects]
        box.code("\n\n".join(parts), language="python")


def unexpected_error_ui(exc: Exception) -> None:
    """A bug, not the user's doing: the traceback goes to the server log under a short id,
    the page gets the id and no internals (paths, code, messages)."""
    error_id = logged_error_id(log, exc, "unexpected error")
    st.error(
        f"Something went wrong on the server (error id `{error_id}`). Try again, or tell "
        "whoever runs this Torchlab: the server's log has the details under that id.",
        icon=":material/error:",
    )


@contextmanager
def errors_ui() -> Iterator[None]:
    """Show an error the user caused as its message; anything else as a short notice with an
    id (see unexpected_error_ui). Either way the rest of the page still draws."""
    try:
        yield
    except TorchlabError as exc:
        st.error(str(exc))
    except Exception as exc:  # Streamlit's rerun and stop are BaseExceptions: they pass
        unexpected_error_ui(exc)


def departure_ui(key: str) -> None:
    """Where the app departs from the chapter (core.engine.learning.chapter.DEPARTURES): said
    once, on the page where it matters, always in the same frame."""
    st.info(DEPARTURES[key], icon=":material/menu_book:")


def ranged(label: str, low: float, high: float) -> str:
    """A number box's label with its range: Streamlit refuses a number outside it with only a
    red mark and "Press Enter to apply", so the label says what it takes."""

    def shown(v: float) -> str:
        return f"{v:,}" if float(v).is_integer() and abs(v) >= 1 else f"{v:g}"

    return f"{label} ({shown(low)} to {shown(high)})"
