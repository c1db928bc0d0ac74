"""Route progress is kept by stop key: adding a stop leaves every saved link right."""

from __future__ import annotations

from core.route.progress import (
    DONE,
    HINTED,
    LEGACY_ORDER,
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
from core.route.questions import shareable
from core.route.stops import STOPS

KEYS = tuple(s.key for s in STOPS)


def test_a_saved_link_keeps_its_place_and_marks_when_a_stop_is_inserted():
    marks = {"data": SKIPPED, "offset": DONE, "conv": SKIPPED}
    link = {"route": "stride", "marks": write_marks(marks, KEYS)}
    grown = ("why", *KEYS[:5], "probe", *KEYS[5:])  # two stops inserted, one at the front
    assert read_place(link["route"], grown) == "stride"
    assert read_marks(link["marks"], grown) == marks
    assert write_marks(read_marks(link["marks"], grown), grown) == link["marks"]


def test_an_old_positional_link_reads_through_the_order_it_was_made_in():
    grown = ("why", *KEYS)  # a stop at the front: positions would now be off by one
    assert read_place("3", grown) == "stride" == LEGACY_ORDER[2]
    assert read_marks("ds-d", grown) == {"data": DONE, "offset": SKIPPED, "view": DONE}


def test_a_removed_stop_and_junk_are_left_out():
    assert read_place("gone", KEYS) is None and read_place("999", KEYS) is None
    assert read_place("x" * 10_000, KEYS) is None
    assert read_marks("gone:d,data:x,offset:s,<script>,:,", KEYS) == {"offset": SKIPPED}
    assert read_marks("", KEYS) == {} and write_marks({}, KEYS) == ""


def test_a_stop_answered_right_stays_answered():
    marks = marked({}, "data", DONE)
    assert marked(marks, "data", SKIPPED) == {"data": DONE}
    assert marked(marks, "offset", SKIPPED) == {"data": DONE, "offset": SKIPPED}
    assert OPEN not in write_marks({"data": OPEN}, KEYS)


def test_the_legacy_order_is_the_route_it_described():
    """LEGACY_ORDER is frozen: every key it names still exists, so old links still read."""
    assert set(LEGACY_ORDER) <= set(KEYS)


def test_right_first_time_is_told_apart_from_after_a_hint_and_from_a_shown_answer():
    assert marked({}, "data", RIGHT) == {"data": RIGHT}
    tried = marked({}, "data", MISSED)
    assert tried == {"data": MISSED} and marked(tried, "data", RIGHT) == {"data": HINTED}
    shown = marked(tried, "data", SHOWN)
    assert marked(shown, "data", RIGHT) == {"data": SHOWN}  # shown, then typed: not earned
    for earned in (RIGHT, HINTED, DONE):  # nothing takes an earned answer back
        for then in (MISSED, SHOWN, SKIPPED, RIGHT):
            assert marked({"data": earned}, "data", then) == {"data": earned}
    assert marked(tried, "data", SKIPPED) == {"data": MISSED}  # left after a wrong try
    assert marked({}, "data", SKIPPED) == {"data": SKIPPED}
    assert marked({"data": SKIPPED}, "data", RIGHT) == {"data": RIGHT}  # came back, got it


def test_new_marks_travel_in_links_and_old_links_still_read():
    marks = {"data": RIGHT, "offset": HINTED, "stride": SHOWN, "view": MISSED, "dtype": DONE}
    assert read_marks(write_marks(marks, KEYS), KEYS) == marks
    assert read_marks("ds-d", KEYS) == {"data": DONE, "offset": SKIPPED, "view": DONE}
    assert read_marks("data:z,offset:r", KEYS) == {"offset": RIGHT}


def test_a_stop_is_revealed_once_answered_shown_or_skipped_but_not_after_a_miss():
    for mark, shown in [(RIGHT, True), (HINTED, True), (DONE, True), (SHOWN, True),
                        (SKIPPED, True), (MISSED, False), (OPEN, False)]:  # fmt: skip
        assert revealed({"data": mark} if mark != OPEN else {}, "data") is shown, mark
    groups = summary({"data": RIGHT, "offset": MISSED}, KEYS)
    assert groups[RIGHT] == ["data"] and groups[MISSED] == ["offset"]
    assert len(groups[OPEN]) == len(KEYS) - 2


def test_every_stop_opens_without_its_answer_and_a_shared_link_never_carries_it():
    for stop in STOPS:
        assert set(stop.reveal) <= set(stop.params), stop.key  # a way back for each
        assert all(stop.params[k] != v for k, v in stop.reveal.items()), stop.key
        opened = {**stop.link(True), "route": stop.key, "marks": "data:r"}
        shared = shareable(opened, stop, "marks")
        assert "marks" not in shared and shared == {**stop.params, "route": stop.key}
        assert shareable({"route": stop.key}, stop, "marks") == {
            "route": stop.key,
            **{k: stop.params[k] for k in stop.reveal},
        }  # a revealing value left out of the URL as the page's default
