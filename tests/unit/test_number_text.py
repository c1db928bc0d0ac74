"""The shared parser for numbers typed into a box: float() on each piece, a message otherwise."""

from __future__ import annotations

import pytest

from core.errors import LimitError, ParseError
from core.number_text import read_numbers

LIMITS = dict(max_abs=100.0, max_chars=50)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1, 2", [1.0, 2.0]),
        (" -0.5 3e-2 ", [-0.5, 0.03]),
        ("1;2", [1.0, 2.0]),
        ("+7,\t-1.", [7.0, -1.0]),
    ],
)
def test_reads_numbers_split_on_commas_semicolons_or_spaces(text, expected):
    assert read_numbers(text, "box", count=2, **LIMITS) == expected
    assert read_numbers(text, "box", max_count=2, **LIMITS) == expected


@pytest.mark.parametrize(
    ("text", "options", "error", "message"),
    [
        ("1", {"count": 2}, ParseError, "expected 2 numbers separated by commas, got 1"),
        ("", {"count": 1}, ParseError, "expected 1 number separated by commas, got 0"),
        (" , ", {}, ParseError, "at least one number"),
        ("1, 2, 3", {"max_count": 2}, LimitError, "at most 2 numbers, not 3"),
        ("1, two", {}, ParseError, "'two' is not a number"),
        ("__import__('os')", {}, ParseError, "is not a number"),
        ("2*3", {}, ParseError, "is not a number"),
        ("nan", {}, ParseError, "not a finite number"),
        ("-inf", {}, ParseError, "not a finite number"),
        ("101", {}, LimitError, "within ±100"),
        ("1," * 30, {}, LimitError, "at most 50 characters"),
    ],
)
def test_refusals_name_the_box_and_say_what_was_wrong(text, options, error, message):
    with pytest.raises(error, match=message) as caught:
        read_numbers(text, "The box", **LIMITS, **options)
    assert str(caught.value).startswith("The box: ")


def test_a_long_piece_is_quoted_short():
    with pytest.raises(ParseError) as caught:
        read_numbers("x" * 45, "box", max_abs=1.0, max_chars=50)
    assert "x" * 21 not in str(caught.value)


def test_rounding_dust_is_shown_as_zero_and_other_numbers_as_four_digits():
    from core.number_text import shown

    assert shown(0.1 + 0.2 - 0.3) == "0" and 0.1 + 0.2 - 0.3 != 0
    assert shown(-1.11e-16) == "0"
    assert shown(2 / 3) == "0.6667" and shown(-12345.678) == "-1.235e+04"
