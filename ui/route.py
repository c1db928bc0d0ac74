"""The chapter route above each page: where the learner is, the stop's question, Back / Next.

The place and the marks (done, skipped) ride in the URL beside this tab's other parameters, by
stop key (core.route.progress), so a refresh keeps them; each stop opens its page through the
stop's link.
"""

from __future__ import annotations

import streamlit as st

from core.route.answers import shown
from core.route.progress import (
    DONE,
    MARK_TEXT,
    OPEN,
    SKIPPED,
    marked,
    read_marks,
    read_place,
    write_marks,
)
from core.route.questions import Stop, check
from core.route.stops import STOPS
from ui.runner import OWNER_PARAM, owner_id

AT_KEY, MARKS_KEY = "route_at", "route_marks"  # session keys: a stop key, {stop key: mark}
AT_PARAM, MARKS_PARAM = "route", "marks"  # their URL names, which the frame keeps on every page
KEYS = tuple(stop.key for stop in STOPS)
_pages: dict[str, st.Page] = {}  # url path -> page, as the frame registered them


def register_pages(pages: list[st.Page]) -> None:
    """The frame's pages, so a stop can open the one it names (by its url path)."""
    _pages.update({p.url_path: p for p in pages})


def marks_text(marks: dict[str, str]) -> str:
    """One mark per stop, in the route's order: what the route's own views count and list."""
    return "".join(marks.get(key, OPEN) for key in KEYS)


def place() -> tuple[int, str] | None:
    """The stop the learner is at (its index now) and the marks, one per stop in the route's
    order; None when no route is being walked.

    This session's values first; after a refresh, the URL's. Written back to the URL on
    every run, because moving to another page clears it.
    """
    state = st.session_state
    if AT_KEY not in state:
        state[AT_KEY] = read_place(st.query_params.get(AT_PARAM, ""), KEYS)
        state[MARKS_KEY] = read_marks(st.query_params.get(MARKS_PARAM, ""), KEYS)
    at = state[AT_KEY]
    if at is None:
        for name in (AT_PARAM, MARKS_PARAM):
            if name in st.query_params:
                del st.query_params[name]
        return None
    marks = write_marks(state[MARKS_KEY], KEYS)
    if st.query_params.get(AT_PARAM) != at:
        st.query_params[AT_PARAM] = at
    if not marks and MARKS_PARAM in st.query_params:
        del st.query_params[MARKS_PARAM]
    elif marks and st.query_params.get(MARKS_PARAM) != marks:
        st.query_params[MARKS_PARAM] = marks
    return KEYS.index(at), marks_text(state[MARKS_KEY])


def go_to(index: int) -> None:
    """Open stop `index`'s page set up by its link (this stops the current script run)."""
    stop = STOPS[index]
    st.session_state[AT_KEY] = stop.key
    st.session_state.setdefault(MARKS_KEY, {})
    page = _pages.get(stop.page)
    if page is None:
        st.error(f"The route's page '{stop.page}' is not part of this app.")
        return
    params = {
        **stop.params,
        AT_PARAM: stop.key,
        MARKS_PARAM: write_marks(st.session_state[MARKS_KEY], KEYS),
        OWNER_PARAM: owner_id(),
    }
    st.switch_page(page, query_params=params)


def _mark(index: int, mark: str) -> None:
    st.session_state[MARKS_KEY] = marked(st.session_state[MARKS_KEY], KEYS[index], mark)


def leave() -> None:
    st.session_state[AT_KEY] = None


def _question_ui(index: int, stop: Stop) -> None:
    q = stop.question
    st.markdown(f"**Predict, then check.** {q.prompt}")
    key = f"route_answer_{stop.key}"
    if q.options:
        given = st.radio("Your answer", q.options, index=None, key=key)
    else:
        given = st.text_input("Your answer", key=key, placeholder=q.placeholder)
    verdict_key = f"route_verdict_{stop.key}"
    if st.button("Check", key=f"route_check_{stop.key}", type="primary"):
        verdict = check(q, given or "")
        st.session_state[verdict_key] = verdict
        if verdict.right:
            _mark(index, DONE)
            st.query_params[MARKS_PARAM] = write_marks(st.session_state[MARKS_KEY], KEYS)
    verdict = st.session_state.get(verdict_key)
    if verdict is None:
        return
    if verdict.right:
        st.success(verdict.message, icon=":material/check_circle:")
    elif not verdict.readable:
        st.warning(verdict.message)
    else:
        st.error(verdict.message, icon=":material/cancel:")
        with st.expander("Show the answer"):
            answer = q.solve()
            st.markdown(f"**{shown(answer)}**. {q.explain(answer)}")


def route_ui() -> None:
    """The route's card above the page, when one is being walked: the stop, what to look at,
    its question, and Back / Next (which open the neighbouring stop's page)."""
    where = place()
    if where is None:
        return
    index, marks = where
    stop = STOPS[index]
    label = f"Chapter route · stop {index + 1} of {len(STOPS)}: {stop.title}"
    with (
        st.expander(label, expanded=True, icon=":material/route:"),
        st.container(key="route_card"),
    ):
        st.progress(
            (index + 1) / len(STOPS),
            text=f"stop {index + 1} of {len(STOPS)} · {marks.count(DONE)} answered",
        )
        look, ask = st.columns([2, 3], gap="large")
        with look:
            st.markdown(stop.look)
        with ask:
            _question_ui(index, stop)
        with st.container(horizontal=True):
            if st.button(
                "Back", key="route_back", disabled=index == 0, icon=":material/arrow_back:"
            ):
                go_to(index - 1)
            last = index == len(STOPS) - 1
            if st.button("Finish" if last else "Next", key="route_next",
                         icon=":material/arrow_forward:"):  # fmt: skip
                _mark(index, SKIPPED)
                if last:
                    leave()
                    st.switch_page(_pages[""], query_params={OWNER_PARAM: owner_id()})
                go_to(index + 1)
            if st.button("Set the page up again", key="route_again", type="tertiary",
                         help="Open this stop's page with the stop's settings again."):  # fmt: skip
                go_to(index)
            if st.button("Leave the route", key="route_leave", type="tertiary"):
                leave()
                st.rerun()


def _current_marks() -> tuple[tuple[int, str] | None, str]:
    where = place()
    return where, where[1] if where else marks_text(st.session_state.get(MARKS_KEY, {}))


def route_overview_list_ui() -> None:
    """Every stop with its mark."""
    _where, marks = _current_marks()
    st.markdown(
        "\n".join(f"{i + 1}. {s.title} · *{MARK_TEXT[marks[i]]}*" for i, s in enumerate(STOPS))
    )


def route_start_ui() -> None:
    """Start the route, or go on where the learner is."""
    where, marks = _current_marks()
    first_open = next((i for i, m in enumerate(marks) if m == OPEN), 0)
    if where:
        label = f"Go on at stop {where[0] + 1}"
    elif marks == OPEN * len(STOPS):
        label = "Start the chapter route"
    else:
        label = f"Go on at stop {first_open + 1}"
    if st.button(label, key="route_start", type="primary", icon=":material/route:"):
        go_to(where[0] if where else first_open)
