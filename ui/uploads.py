"""The server's upload store, bounded per browser session (core.uploads): a session's newest
file is taken and its oldest dropped once it holds too many or too much; its page says so.

Streamlit's upload route adds files through the runtime's `uploaded_file_mgr`; the server's
start (app.py's lifespan) wraps that store's add and remove methods, so a widget's uploads
and a client's direct PUTs to the route are counted alike.
"""

from __future__ import annotations

import logging

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from core.uploads import UploadLedger, dropped_message

log = logging.getLogger(__name__)
LEDGER = UploadLedger()


def bound_uploads(store) -> None:
    """Make Streamlit's upload store keep each session within the ledger's limits."""
    if getattr(store, "_torchlab_bounded", False):
        return
    add, remove, remove_session = store.add_file, store.remove_file, store.remove_session_files

    def add_file(session_id: str, file) -> None:
        for old in LEDGER.admit(session_id, file.file_id, file.name, len(file.data)):
            remove(session_id, old.file_id)
            log.info("session %s: dropped the upload %r for a newer one", session_id, old.name)
        add(session_id, file)

    def remove_file(session_id: str, file_id: str) -> None:
        LEDGER.forget(session_id, file_id)
        remove(session_id, file_id)

    def remove_session_files(session_id: str) -> None:
        LEDGER.forget_session(session_id)
        remove_session(session_id)

    store.add_file, store.remove_file = add_file, remove_file
    store.remove_session_files = remove_session_files
    store._torchlab_bounded = True


def bound_server_uploads() -> None:
    """Bound this server's upload store (once, at its start)."""
    from streamlit.runtime import Runtime

    if Runtime.exists():
        bound_uploads(Runtime.instance().uploaded_file_mgr)


def dropped_uploads_ui(shown: bool = True) -> None:
    """A warning naming this tab's uploads that newer ones pushed out, once: where the
    uploads are (`shown`: the upload tab is open), so it is kept until then."""
    ctx = get_script_run_ctx(suppress_warning=True)
    if not shown:
        return
    dropped = LEDGER.take_dropped(ctx.session_id) if ctx is not None else []
    if dropped:
        st.warning(dropped_message(dropped), icon=":material/delete_sweep:")
