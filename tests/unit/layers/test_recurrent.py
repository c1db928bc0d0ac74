"""Recurrent layers reading the digit row by row: parameter formula and the step-by-step loop."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from core.errors import LimitError
from core.layers.common import LayerError, mnist_test_digit
from core.layers.recurrent import (
    MAX_HIDDEN,
    RECURRENT_KINDS,
    RecurrentConfig,
    read_rows,
    recurrent_demo,
    recurrent_layer,
    recurrent_parameters,
)


@pytest.fixture(scope="module")
def digit(needs_data) -> torch.Tensor:
    return mnist_test_digit(0)[0]


def test_parameter_formula_matches_torch():
    for kind, hidden, layers in itertools.product(RECURRENT_KINDS, (1, 5, 16), (1, 2, 3)):
        module = RECURRENT_KINDS[kind](28, hidden, layers)
        per_layer = recurrent_parameters(kind, 28, hidden, layers)
        assert sum(per_layer) == sum(p.numel() for p in module.parameters()), (kind, hidden, layers)
        first = sum(p.numel() for name, p in module.named_parameters() if name.endswith("_l0"))
        assert per_layer[0] == first


@pytest.mark.parametrize("kind", list(RECURRENT_KINDS))
def test_reading_row_by_row_equals_one_call(digit, kind):
    layer = recurrent_layer(RecurrentConfig(kind, hidden_size=6, num_layers=2, seed=0)).double()
    H, C, Y = read_rows(layer, digit.double())
    assert H.shape == (28, 6)
    assert_close(H, Y[0])  # the loop over time is what one call does inside
    _, state = layer(digit.double().reshape(1, 28, 28))
    if kind == "LSTM":
        assert C.shape == (28, 6)
        assert_close(C[-1], state[1][-1, 0])
    else:
        assert C is None
        assert_close(H[-1], state[-1, 0])


def test_recurrent_demo_reports_shapes_and_counts(digit):
    r = recurrent_demo(digit, RecurrentConfig("LSTM", hidden_size=8, num_layers=2, seed=1))
    assert r.X.shape == (28, 28) and r.H.shape == (28, 8) and r.C.shape == (28, 8)
    assert r.output_shape == (1, 28, 8)
    reference = nn.LSTM(28, 8, 2, batch_first=True)
    assert r.parameters == sum(p.numel() for p in reference.parameters()) == sum(r.per_layer)
    assert r.formula.endswith(f"= {r.per_layer[0]:,}".replace(",", "{,}"))


def test_the_seed_fixes_the_weights(digit):
    a, b = (recurrent_demo(digit, RecurrentConfig("GRU", seed=4)) for _ in range(2))
    assert torch.equal(a.H, b.H)


@pytest.mark.parametrize(
    ("config", "error"),
    [
        (RecurrentConfig("Transformer"), LayerError),
        (RecurrentConfig("RNN", hidden_size=0), LimitError),
        (RecurrentConfig("RNN", hidden_size=MAX_HIDDEN + 1), LimitError),
        (RecurrentConfig("RNN", num_layers=9), LimitError),
    ],
)
def test_bad_settings_are_messages(digit, config, error):
    with pytest.raises(error):
        recurrent_demo(digit, config)
