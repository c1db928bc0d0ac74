"""The chapter route above each page: where the learner is, the stop's question, Back / Next.

The place and the marks ride in the URL beside this tab's other parameters, by stop key
(core.route.progress), so a refresh keeps them; each stop opens its page through the stop's
link: without what gives the answer away until the learner has answered, been shown the
answer or skipped (Stop.link, and the page parts a page asks `hidden` about).
"""

from __future__ import annotations

import streamlit as st

from core.route.answers import shown
from core.route.progress import (
    ANSWERED,
    HINTED,
    MARK_TEXT,
    MISSED,
    OPEN,
    RIGHT,
    SHOWN,
    SKIPPED,
    marked,
    read_marks,
    read_place,
    revealed,
    summary,
    write_marks,
)
from core.route.questions import Stop, check
from core.route.stops import STOPS
from ui.runner import OWNER_PARAM, owner_id

AT_KEY, MARKS_KEY = "route_at", "route_marks"  # session keys: a stop key, {stop key: mark}
REVEAL_KEY = "route_reveal"  # a stop whose page is to open again, revealed, on the next run
AT_PARAM, MARKS_PARAM = "route", "marks"  # their URL names, which the frame keeps on every page
KEYS = tuple(stop.key for stop in STOPS)
BY_KEY = {stop.key: stop for stop in STOPS}
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
    every run, because moving to another page clears it. The marks stay in the URL after the
    route is left, for the summary on Home.
    """
    state = st.session_state
    if AT_KEY not in state:
        state[AT_KEY] = read_place(st.query_params.get(AT_PARAM, ""), KEYS)
        state[MARKS_KEY] = read_marks(st.query_params.get(MARKS_PARAM, ""), KEYS)
    at = state[AT_KEY]
    marks = write_marks(state[MARKS_KEY], KEYS)
    if not marks and MARKS_PARAM in st.query_params:
        del st.query_params[MARKS_PARAM]
    elif marks and st.query_params.get(MARKS_PARAM) != marks:
        st.query_params[MARKS_PARAM] = marks
    if at is None:
        if AT_PARAM in st.query_params:
            del st.query_params[AT_PARAM]
        return None
    if st.query_params.get(AT_PARAM) != at:
        st.query_params[AT_PARAM] = at
    return KEYS.index(at), marks_text(state[MARKS_KEY])


def hidden(part: str) -> bool:
    """Whether a page part gives away the answer of the stop the learner is at, unanswered:
    the page leaves it out (and may say so with `hidden_note`)."""
    state = st.session_state
    at = state.get(AT_KEY)
    if at is None or part not in BY_KEY[at].hides:
        return False
    return not revealed(state.get(MARKS_KEY, {}), at)


def hidden_note() -> None:
    st.caption(
        ":material/visibility_off: Hidden until you answer the route's question above (or "
        "show its answer): it would give the answer away."
    )


def go_to(index: int) -> None:
    """Open stop `index`'s page set up by its link (this stops the current script run)."""
    stop = STOPS[index]
    st.session_state[AT_KEY] = stop.key
    marks = st.session_state.setdefault(MARKS_KEY, {})
    page = _pages.get(stop.page)
    if page is None:
        st.error(f"The route's page '{stop.page}' is not part of this app.")
        return
    params = {
        **stop.link(revealed(marks, stop.key)),
        AT_PARAM: stop.key,
        MARKS_PARAM: write_marks(marks, KEYS),
        OWNER_PARAM: owner_id(),
    }
    st.switch_page(page, query_params=params)


def _mark(key: str, mark: str) -> None:
    """Record what happened at a stop; a stop that just became revealed, and whose page has
    settings that show the answer, opens again with them on the next run."""
    before = st.session_state[MARKS_KEY]
    after = marked(before, key, mark)
    st.session_state[MARKS_KEY] = after
    if BY_KEY[key].reveal and revealed(after, key) and not revealed(before, key):
        st.session_state[REVEAL_KEY] = key


def _check(stop: Stop) -> None:
    """The Check button: judge the answer, keep the verdict, mark the stop (a callback, so the
    card's count is right in the same run)."""
    given = st.session_state.get(f"route_answer_{stop.key}") or ""
    verdict = check(stop.question, given)
    st.session_state[f"route_verdict_{stop.key}"] = verdict
    if verdict.readable:
        _mark(stop.key, RIGHT if verdict.right else MISSED)


def _show(stop: Stop) -> None:
    st.session_state[f"route_shown_{stop.key}"] = True
    _mark(stop.key, SHOWN)


def leave() -> None:
    st.session_state[AT_KEY] = None


def _question_ui(stop: Stop, mark: str) -> None:
    q = stop.question
    st.markdown(f"**Predict, then check.** {q.prompt}")
    key = f"route_answer_{stop.key}"
    if q.options:
        st.radio("Your answer", q.options, index=None, key=key)
    else:
        st.text_input("Your answer", key=key, placeholder=q.placeholder)
    with st.container(horizontal=True):
        st.button("Check", key=f"route_check_{stop.key}", type="primary", on_click=_check,
                  args=(stop,))  # fmt: skip
        if mark not in ANSWERED and mark != SHOWN:
            st.button("Show the answer", key=f"route_show_{stop.key}", type="tertiary",
                      on_click=_show, args=(stop,))  # fmt: skip
    verdict = st.session_state.get(f"route_verdict_{stop.key}")
    if verdict is not None and verdict.right:
        st.success(verdict.message, icon=":material/check_circle:")
    elif verdict is not None and not verdict.readable:
        st.warning(verdict.message)
    elif verdict is not None:
        st.error(verdict.message, icon=":material/cancel:")
    if mark == SHOWN and not (verdict is not None and verdict.right):
        answer = q.solve()
        st.info(f"**{shown(answer)}**. {q.explain(answer)}", icon=":material/lightbulb:")


def _progress_text(index: int, marks: str) -> str:
    answered = sum(marks.count(m) for m in ANSWERED)
    return f"stop {index + 1} of {len(STOPS)} · {answered} answered"


def route_ui() -> None:
    """The route's card above the page, when one is being walked: the stop, what to look at,
    its question, and Back / Next (which open the neighbouring stop's page)."""
    reveal = st.session_state.pop(REVEAL_KEY, None)
    where = place()
    if where is None:
        return
    index, marks = where
    stop = STOPS[index]
    if reveal == stop.key:  # answered or shown: the page again, with what shows the answer
        go_to(index)
    label = f"Chapter route · stop {index + 1} of {len(STOPS)}: {stop.title}"
    with (
        st.expander(label, expanded=True, icon=":material/route:"),
        st.container(key="route_card"),
    ):
        progress = st.empty()
        look, ask = st.columns([2, 3], gap="large")
        with look:
            st.markdown(stop.look)
        with ask:
            _question_ui(stop, marks[index])
        # drawn after the question, so a Check in this run is counted (its callback ran first)
        progress.progress((index + 1) / len(STOPS), text=_progress_text(index, marks))
        with st.container(horizontal=True):
            if st.button(
                "Back", key="route_back", disabled=index == 0, icon=":material/arrow_back:"
            ):
                go_to(index - 1)
            last = index == len(STOPS) - 1
            if st.button("Finish" if last else "Next", key="route_next",
                         icon=":material/arrow_forward:"):  # fmt: skip
                st.session_state[MARKS_KEY] = marked(st.session_state[MARKS_KEY], stop.key, SKIPPED)
                if last:
                    leave()
                    st.switch_page(_pages[""], query_params=_home_params())
                go_to(index + 1)
            if st.button("Set the page up again", key="route_again", type="tertiary",
                         help="Open this stop's page with the stop's settings again."):  # fmt: skip
                go_to(index)
            if st.button("Leave the route", key="route_leave", type="tertiary"):
                leave()
                st.rerun()


def _home_params() -> dict[str, str]:
    marks = write_marks(st.session_state.get(MARKS_KEY, {}), KEYS)
    return {OWNER_PARAM: owner_id(), **({MARKS_PARAM: marks} if marks else {})}


def _current_marks() -> tuple[tuple[int, str] | None, str]:
    where = place()
    return where, where[1] if where else marks_text(st.session_state.get(MARKS_KEY, {}))


def route_overview_list_ui() -> None:
    """Every stop with its mark."""
    _where, marks = _current_marks()
    st.markdown(
        "\n".join(f"{i + 1}. {s.title} · *{MARK_TEXT[marks[i]]}*" for i, s in enumerate(STOPS))
    )


def route_summary_ui() -> None:
    """After the route (or on the way): how the questions went, and a way back to each stop
    skipped or missed. Nothing when no stop has a mark yet."""
    _where, marks = _current_marks()
    groups = summary(dict(zip(KEYS, marks, strict=True)), KEYS)
    if len(groups[OPEN]) == len(STOPS):
        return
    counts = " · ".join(
        f"{len(groups[m])} {MARK_TEXT[m]}"
        for m in (RIGHT, HINTED, SHOWN, MISSED, SKIPPED)
        if groups[m]
    )
    st.markdown(f"**Your route so far:** {counts}.")
    again = sorted(groups[SKIPPED] + groups[MISSED], key=KEYS.index)
    if not again:
        return
    st.caption("Skipped or missed: try these again.")
    with st.container(horizontal=True):
        for key in again:
            i = KEYS.index(key)
            if st.button(f"{i + 1}. {STOPS[i].title}", key=f"route_again_{key}",
                         icon=":material/replay:", help=MARK_TEXT[marks[i]]):  # fmt: skip
                go_to(i)


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
