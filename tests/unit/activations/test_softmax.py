"""Softmax: parsing logits, temperature, shift invariance, and the log-sum-exp demo vs torch."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from core.activations.softmax import (
    MAX_ABS_LOGIT,
    MAX_LOGITS,
    MAX_TEMPERATURE,
    MIN_TEMPERATURE,
    overflow_demo,
    parse_logits,
    shift_check,
    softmax,
)
from core.errors import ConfigError, LimitError, ParseError


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2, 1, 0.1", [2.0, 1.0, 0.1]), ("1 2  3", [1.0, 2.0, 3.0]), (" -1e2;4 ", [-100.0, 4.0])],
)
def test_parse_logits(text, expected):
    assert parse_logits(text) == expected


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("", ParseError, "at least one"),
        (" , ", ParseError, "at least one"),
        ("1, two, 3", ParseError, "'two' is not a number"),
        ("1, __import__('os')", ParseError, "not a number"),
        ("nan, 1", ParseError, "not a finite number"),
        ("1e999", ParseError, "not a finite number"),
        (f"{MAX_ABS_LOGIT * 10:g}", LimitError, "within"),
        (", ".join(["1"] * (MAX_LOGITS + 1)), LimitError, "at most"),
        ("1," * 300, LimitError, "characters"),
    ],
)
def test_bad_logits_get_a_clear_message(text, error, message):
    with pytest.raises(error, match=message):
        parse_logits(text)


def test_softmax_and_temperature_match_torch():
    z = [2.0, 1.0, 0.1, -1.5]
    zt = torch.tensor(z, dtype=torch.float64)
    p = torch.tensor(softmax(z), dtype=torch.float64)
    torch.testing.assert_close(p, torch.exp(zt) / torch.exp(zt).sum())
    for T in (MIN_TEMPERATURE, 0.5, 3.0, MAX_TEMPERATURE):
        p = torch.tensor(softmax(z, T), dtype=torch.float64)
        torch.testing.assert_close(p, F.softmax(zt / T, dim=0))
    assert softmax(z, MIN_TEMPERATURE)[0] > softmax(z)[0] > softmax(z, MAX_TEMPERATURE)[0]
    with pytest.raises(ConfigError, match="temperature"):
        softmax(z, 0.0)


@pytest.mark.parametrize("shift", [-1000.0, 5.0, 1e4])
def test_adding_a_constant_changes_nothing(shift):
    check = shift_check([2.0, 1.0, 0.1], shift)
    assert check.max_difference < 1e-12
    with pytest.raises(LimitError, match="shift"):
        shift_check([1.0], 1e9)


def test_naive_softmax_overflows_where_log_softmax_does_not():
    z = [1000.0, 999.0, 990.0, -5.0]
    demo = overflow_demo(z, target=1)
    assert demo.overflowed
    assert demo.naive_exp[0] == float("inf")
    assert all(v != v for v in demo.naive_p[:3])  # inf / inf = nan
    zt = torch.tensor(z, dtype=torch.float64)
    expected = F.cross_entropy(zt.unsqueeze(0), torch.tensor([1]))
    assert demo.loss == pytest.approx(expected.item(), rel=1e-6)
    assert demo.cross_entropy == pytest.approx(expected.item(), rel=1e-6)
    assert demo.logsumexp == pytest.approx(torch.logsumexp(zt, 0).item(), rel=1e-6)
    torch.testing.assert_close(
        torch.tensor(demo.log_p, dtype=torch.float64), F.log_softmax(zt, 0), rtol=1e-6, atol=1e-5
    )


def test_small_logits_give_the_same_answer_both_ways():
    demo = overflow_demo([2.0, 1.0, 0.1], target=0)
    assert not demo.overflowed
    torch.testing.assert_close(torch.tensor(demo.naive_p), torch.tensor(demo.p))
    assert demo.naive_loss == pytest.approx(demo.loss, rel=1e-6)
    with pytest.raises(ConfigError, match="true class"):
        overflow_demo([1.0, 2.0], target=2)
