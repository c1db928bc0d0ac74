"""Route progress is kept by stop key: adding a stop leaves every saved link right."""

from __future__ import annotations

from core.route.progress import (
    DONE,
    LEGACY_ORDER,
    OPEN,
    SKIPPED,
    marked,
    read_marks,
    read_place,
    write_marks,
)
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
