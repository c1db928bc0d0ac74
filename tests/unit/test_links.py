"""Link fields: what a URL value may be, and that every value a page writes reads back."""

from __future__ import annotations

import math

import pytest

from core import links

FIELDS = [
    links.choice("opt", "k_opt", "Adadelta", ["SGD", "Adadelta", "Adam"]),
    links.choices("acts", "k_acts", ["ReLU"], ["ReLU", "Tanh", "Sigmoid"], most=2),
    links.integer("seed", "k_seed", 0, 0, 100),
    links.number("lr", "k_lr", 0.5, 1e-6, 10.0),
    links.flag("log", "k_log", False),
    links.text("expr", "k_expr", "x.t()", most=10),
]


def test_every_written_value_reads_back_exactly():
    state = {"k_opt": "Adam", "k_acts": ["Tanh", "ReLU"], "k_seed": 42, "k_lr": 0.1 + 0.2,
             "k_log": True, "k_expr": "x[1]"}  # fmt: skip
    params = links.link_params(FIELDS, state)
    reading = links.read_link(params, FIELDS)
    assert reading.ignored == [] and reading.values == state
    assert reading.values["k_lr"] == 0.30000000000000004  # repr keeps every digit


def test_defaults_are_left_out_of_the_link():
    assert links.link_params(FIELDS, {"k_opt": "Adadelta", "k_seed": 3}) == {"seed": "3"}


@pytest.mark.parametrize(
    "param, raw, reason",
    [
        ("opt", "RMSprop", "not one of SGD, Adadelta, Adam"),
        ("acts", "ReLU,ReLU", "a choice is repeated"),
        ("acts", "ReLU,Tanh,Sigmoid", "at most 2 may be chosen"),
        ("acts", "ReLU,Swish", "'Swish' is not one of the choices"),
        ("seed", "4.5", "not a whole number"),
        ("seed", "101", "outside 0 to 100"),
        ("lr", "nan", "outside 1e-06 to 10"),
        ("lr", "inf", "outside 1e-06 to 10"),
        ("lr", "0x10", "not a number"),
        ("log", "yes", "not 0 or 1"),
        ("expr", "x" * 11, "longer than 10 characters"),
    ],
)
def test_a_bad_value_is_named_with_its_reason_and_not_used(param, raw, reason):
    good = ("seed", "5") if param != "seed" else ("log", "1")
    reading = links.read_link({good[0]: good[1], param: raw}, FIELDS)
    assert list(reading.values) == ["k_" + good[0]]  # the good value is still used
    assert len(reading.ignored) == 1 and reason in reading.ignored[0]


def test_unknown_and_huge_parameters_are_named_shortly():
    reading = links.read_link({"x" * 100: "1", "expr": "y" * 10_000}, FIELDS)
    assert reading.values == {}
    assert all(len(line) < 100 for line in reading.ignored)
    assert "not a setting of this page" in reading.ignored[0]
    assert "longer than 4,000 characters" in reading.ignored[1]
    assert not math.isnan(links.read_link({"lr": "1e-3"}, FIELDS).values["k_lr"])
