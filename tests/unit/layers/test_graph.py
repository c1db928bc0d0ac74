"""Eager vs deferred (fx and export capture the same model) and nn vs nn.functional."""

from __future__ import annotations

import time

import pytest
import torch
from torch.testing import assert_close

from core.layers.common import LayerError, mnist_test_digit
from core.layers.graph import (
    CAPTURES,
    FORWARD_REPEATS,
    SmallNet,
    capture,
    compare_nn_functional,
    functional_forward,
    nn_model,
    run_eager,
    small_model,
)

OPS = ["F.conv2d", "F.relu", "F.max_pool2d", "torch.flatten", "F.linear"]
SHAPES = ["(1, 4, 26, 26)", "(1, 4, 26, 26)", "(1, 4, 13, 13)", "(1, 676)", "(1, 10)"]


@pytest.fixture(scope="module")
def digit(needs_data) -> torch.Tensor:
    return mnist_test_digit(0)[0]


def test_eager_records_each_operation_as_it_runs(digit):
    model = small_model("SmallNet", seed=0)
    r = run_eager(model, digit)
    assert [row["operation"] for row in r.rows] == OPS
    assert [row["output shape"] for row in r.rows] == SHAPES
    with torch.no_grad():
        assert_close(r.y_hat, model(digit.reshape(1, 1, 28, 28)))


class SlowFirstCall(SmallNet):
    """A first forward that pays 50 ms of warm-up, like a cold library call."""

    calls = 0

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        type(self).calls += 1
        if type(self).calls == 1:
            time.sleep(0.05)
        return super().forward(X)


def test_eager_time_is_a_warm_forward_pass_not_the_first_recorded_one(digit):
    # The page showed ~50 ms for this net on a first visit and ~1 ms after: it timed the
    # recorded (and first) pass. The number must be what one plain forward costs.
    r = run_eager(SlowFirstCall().eval(), digit)
    assert SlowFirstCall.calls == 1 + FORWARD_REPEATS
    assert [row["operation"] for row in r.rows] == OPS  # the recording is unchanged
    assert 0 < r.milliseconds < 50


def test_fx_trace_lists_the_nodes_and_runs_like_eager(digit):
    model = small_model("SmallNet", seed=0)
    g = capture(model, digit, "torch.fx.symbolic_trace")
    assert g.error is None
    assert [row["kind"] for row in g.rows] == [
        "placeholder", "call_module", "call_function", "call_function", "call_function",
        "call_module", "output",
    ]  # fmt: skip
    assert [row["target"] for row in g.rows][1:6] == [
        "conv",
        "F.relu",
        "F.max_pool2d",
        "torch.flatten",
        "fc",
    ]
    assert [row["output shape"] for row in g.rows][1:6] == SHAPES
    assert "def forward" in g.code
    assert_close(g.y_hat, run_eager(model, digit).y_hat)


def test_export_lists_aten_operators_and_runs_like_eager(digit):
    model = small_model("SmallNet", seed=0)
    g = capture(model, digit, "torch.export")
    assert g.error is None
    calls = [row["target"] for row in g.rows if row["kind"] == "call_function"]
    assert calls[0].startswith("aten::conv2d") and calls[-1].startswith("aten::linear")
    assert len(calls) == len(OPS)
    assert_close(g.y_hat, run_eager(model, digit).y_hat)


@pytest.mark.parametrize("how", CAPTURES)
def test_a_python_if_on_the_data_runs_eagerly_but_cannot_be_captured(digit, how):
    model = small_model("BranchyNet", seed=0)
    eager = run_eager(model, digit)
    assert eager.rows[0]["operation"] == "Tensor.mean"
    assert [row["operation"] for row in eager.rows][-5:] == OPS
    g = capture(model, digit, how)
    assert g.error and g.rows == [] and g.y_hat is None


def test_unknown_choices_are_messages(digit):
    with pytest.raises(LayerError):
        small_model("ResNet", seed=0)
    with pytest.raises(LayerError):
        capture(small_model("SmallNet", 0), digit, "torch.jit.script")


def test_nn_and_functional_compute_the_same_output(digit):
    model = nn_model(seed=5).double()
    X = torch.rand(3, 1, 28, 28, dtype=torch.float64)
    with torch.no_grad():
        assert_close(functional_forward(X, dict(model.state_dict())), model(X))
    y_nn, y_f = compare_nn_functional(digit, seed=5)
    assert y_nn.shape == (1, 10)
    assert_close(y_f, y_nn)
