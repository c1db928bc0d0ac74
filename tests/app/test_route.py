"""The chapter route, through the real frame: each stop opens its page set up by its link,
a question is checked, progress survives a refresh, Back and Next move along."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.route.progress import DONE, SKIPPED
from core.route.stops import STOPS

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 180


def frame() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"))


def card(at: AppTest) -> str:
    """The route card's text: its label, what it says, its progress line ('' when none)."""
    cards = [e for e in at.expander if e.label.startswith("Chapter route")]
    if not cards:
        return ""
    parts = [cards[0].label, *(m.value for m in cards[0].markdown)]
    return "\n".join(parts + [bar.proto.text for bar in cards[0].get("progress")])


def ignored(at: AppTest) -> list[str]:
    return [i.value for i in at.info if "could not be used" in i.value]


def test_every_stop_opens_its_page_set_up_by_its_link():
    at = frame().run(timeout=TIMEOUT)
    at.button(key="route_start").click().run(timeout=TIMEOUT)
    for number, stop in enumerate(STOPS, start=1):
        assert not at.exception, (stop.key, [e.value for e in at.exception])
        assert not ignored(at), (stop.key, ignored(at))
        assert f"stop {number} of {len(STOPS)}" in card(at) and stop.title in card(at)
        params = dict(at.query_params)
        for name, value in stop.params.items():  # used: kept, or left out as the default
            assert params.get(name, value) == value, (stop.key, name)
        assert params["route"] == stop.key  # progress by key, not position
        if number < len(STOPS):
            at.button(key="route_next").click().run(timeout=TIMEOUT)
    assert at.query_params["marks"] == ",".join(f"{s.key}:{SKIPPED}" for s in STOPS[:-1])
    at.button(key="route_next").click().run(timeout=TIMEOUT)  # Finish
    assert at.title[0].value == "Torchlab" and "route" not in at.query_params


def test_a_wrong_then_right_answer_is_kept_through_a_refresh():
    at = frame().run(timeout=TIMEOUT)
    at.button(key="route_start").click().run(timeout=TIMEOUT)
    at.button(key="route_next").click().run(timeout=TIMEOUT)  # stop 2: the offset
    answer = at.text_input(key="route_answer_offset")
    answer.set_value("3").run(timeout=TIMEOUT)
    at.button(key="route_check_offset").click().run(timeout=TIMEOUT)
    assert "Not quite" in at.error[0].value
    at.text_input(key="route_answer_offset").set_value("2").run(timeout=TIMEOUT)
    at.button(key="route_check_offset").click().run(timeout=TIMEOUT)
    assert "storage index 2" in at.success[0].value
    marks = at.query_params["marks"]
    assert marks == f"data:{SKIPPED},offset:{DONE}"
    refreshed = frame()
    refreshed.query_params.update(dict(at.query_params))
    refreshed.run(timeout=TIMEOUT)
    assert not refreshed.exception
    assert f"stop 2 of {len(STOPS)} · 1 answered" in card(refreshed)
    refreshed.button(key="route_back").click().run(timeout=TIMEOUT)
    assert f"stop 1 of {len(STOPS)}" in card(refreshed)
    assert refreshed.query_params["marks"] == marks


def test_a_malformed_route_in_a_link_is_no_route_and_no_error():
    for route, marks in [("999", "d"), ("-1", ""), ("2" * 50, "<script>"), ("abc", "x" * 5000)]:
        at = frame()
        at.query_params.update({"route": route, "marks": marks})
        at.run(timeout=TIMEOUT)
        assert not at.exception
        assert "Chapter route" not in card(at) and "route" not in at.query_params
    at = frame()
    at.query_params.update({"route": "stride", "marks": "data:d,offset:z,nowhere:s,<b>"})
    at.run(timeout=TIMEOUT)
    assert at.query_params["marks"] == f"data:{DONE}"


def test_a_link_saved_before_stops_had_keys_opens_where_it_was():
    at = frame()
    at.query_params.update({"route": "3", "marks": "ds-"})  # by position: stop 3, two marks
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert at.query_params["route"] == "stride" and f"stop 3 of {len(STOPS)}" in card(at)
    assert at.query_params["marks"] == f"data:{DONE},offset:{SKIPPED}"
