"""Every page's settings live in its URL: read back when a link is opened, written as the
learner changes them, and offered as a link to copy (without this tab's owner token)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import urlencode

import streamlit as st

from core.links import Field, ignored_text, link_params, read_link
from core.route.questions import shareable
from ui.route import AT_KEY, AT_PARAM, BY_KEY, MARKS_PARAM, page_at
from ui.runner import OWNER_PARAM, owner_id

# Parameters the frame keeps on every page, which no page's link reads: this tab's owner
# token, the route's place, and the runs a page is attached to (`<page>_job`).
_WRITTEN = "_links_written"  # per page: the parameters this session last put in the URL


def _frame_param(name: str) -> bool:
    return name == OWNER_PARAM or name in (AT_PARAM, MARKS_PARAM) or name.endswith("_job")


def linked_page(
    page: str,
    fields: Sequence[Field],
    upgrade: Callable[[dict[str, str]], dict[str, str]] | None = None,
) -> None:
    """Call at the top of a page, before its widgets.

    A URL this session did not write itself (a link opened, a refresh) sets the widgets,
    every one: what it leaves out or cannot use (named in a message) is at its default;
    `upgrade` first turns a link from an older layout of the page into today's.
    Then the URL is made to say the current settings, so it can be copied at any moment.
    """
    state = st.session_state
    written = state.setdefault(_WRITTEN, {})
    url = {k: st.query_params.get(k, "") for k in st.query_params if not _frame_param(k)}
    if url and url != written.get(page):
        reading = read_link(upgrade(url) if upgrade else url, fields)
        for f in fields:  # a link is a whole view: what it leaves out is at its default
            state[f.key] = reading.values.get(f.key, f.default)
        if reading.ignored:
            st.info(ignored_text(reading.ignored), icon=":material/link_off:")
    for f in fields:
        # Written back every run: Streamlit drops the value of a widget a run does not draw
        # (a tab not open, a box shown for one fill only), and the setting would be lost.
        state[f.key] = state.get(f.key, f.default)
    now = link_params(fields, state)
    for name in url.keys() - now.keys():
        del st.query_params[name]
    for name, value in now.items():
        if url.get(name) != value:
            st.query_params[name] = value
    written[page] = now


def open_page(path: str, page: str, changes: dict[str, str]) -> None:
    """Open the page at url `path` with `changes` on top of its settings as this session
    last left them (the link `linked_page(page, ...)` wrote), so nothing else of that page
    is reset; this tab's owner token goes along. Stops the current script run."""
    target = page_at(path)
    if target is None:
        st.error(f"The page '{path}' is not part of this app.")
        return
    params = {**st.session_state.get(_WRITTEN, {}).get(page, {}), **changes}
    st.switch_page(target, query_params={**params, OWNER_PARAM: owner_id()})


def share_url() -> str:
    """This page with its settings, as another browser should open it: never this tab's
    owner token, and never the route's answer (core.route.questions.shareable)."""
    params = {k: st.query_params.get(k, "") for k in st.query_params if k != OWNER_PARAM}
    at = st.session_state.get(AT_KEY)
    params = shareable(params, BY_KEY.get(at) if at else None, MARKS_PARAM)
    base = st.context.url or ""
    query = urlencode(params)
    return f"{base}?{query}" if query else base or "?"


def share_link_ui() -> None:
    """The sidebar's Copy link: this view, for a classmate or the next lesson."""
    with st.sidebar.popover("Copy link", icon=":material/link:", width="stretch"):
        st.caption(
            "This page with its settings: send it, bookmark it, open it in another browser. "
            "It carries no control of your runs."
        )
        st.code(share_url(), language=None, wrap_lines=True)
