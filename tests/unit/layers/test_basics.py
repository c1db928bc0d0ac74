"""The Layers lab's input, its fully connected layer and its figures, checked against torch."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from core.engine.learning.data import load_raw
from core.errors import LimitError
from core.layers import common as layers
from core.layers import figures as figs
from core.layers.common import LayerError
from core.layers.pooling import pool_demo


@pytest.fixture(scope="module")
def digit(needs_data) -> torch.Tensor:
    return layers.mnist_test_digit(0)[0]


@pytest.mark.needs_data
def test_mnist_test_digit_is_the_raw_image_on_0_1():
    images, labels = load_raw("MNIST", train=False)
    X, label = layers.mnist_test_digit(123)
    assert X.shape == (28, 28) and X.dtype == torch.float32
    assert_close(X.double(), images[123].double() / 255)
    assert label == int(labels[123])
    assert layers.mnist_test_count() == images.shape[0]


@pytest.mark.parametrize("index", [-1, 10_000])
@pytest.mark.needs_data
def test_a_test_digit_out_of_range_is_a_message(index):
    with pytest.raises(LayerError, match="between 0 and 9999"):
        layers.mnist_test_digit(index)


def test_drawn_digit_is_accepted_and_clipped():
    drawing = np.zeros((28, 28), dtype=np.float32)
    drawing[10:18, 12:16] = 1.2  # a canvas may overshoot; the lab keeps [0, 1]
    X = layers.drawn_digit(drawing)
    assert X.shape == (28, 28) and float(X.max()) == 1.0 and float(X.min()) == 0.0
    assert_close(X, torch.from_numpy(drawing.clip(0, 1)))


@pytest.mark.parametrize(
    "bad", [np.zeros((28, 27)), np.zeros((1, 28, 28)), np.full((28, 28), np.nan), "seven"]
)
def test_a_broken_drawing_is_a_message(bad):
    with pytest.raises(LayerError):
        layers.drawn_digit(bad)


def test_shrink_averages_blocks(digit):
    X14 = layers.shrink(digit, 14)  # (1, 1, 14, 14)
    expected = digit.double().reshape(14, 2, 14, 2).mean(dim=(1, 3))
    assert_close(X14[0, 0].double(), expected)
    with pytest.raises(LayerError):
        layers.shrink(digit, 0)


def test_linear_and_manual_layer_have_the_same_shape_and_parameter_count(digit):
    r = layers.linear_demo(digit, seed=3)
    assert r.params_nn == r.params_manual == 256 * 4 + 4
    assert r.weight_nn.shape == (4, 256) and r.weight_manual.shape == (256, 4)
    assert r.y_hat_nn.shape == r.y_hat_manual.shape == (1, 4)
    X = F.adaptive_avg_pool2d(digit.reshape(1, 1, 28, 28).double(), 16).reshape(1, 256)
    assert_close(r.X.double(), X)
    assert_close(r.y_hat_manual.double(), X @ r.weight_manual.double(), rtol=1e-5, atol=1e-6)
    # the same numbers in nn.Linear's (out, in) layout give the same map
    assert_close(r.y_hat_shared, r.y_hat_manual)


def test_manual_linear_matches_the_chapter():
    W, b = layers.manual_linear(seed=0)
    assert W.requires_grad and b.requires_grad
    assert torch.equal(b, torch.zeros(4))
    assert abs(float(W.detach().std()) - 1 / math.sqrt(256)) < 0.01  # randn / sqrt(256)


def test_demos_do_not_change_the_global_random_state(digit):
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    layers.linear_demo(digit, seed=11)
    layers.flatten_demo(digit, 10, seed=11)
    assert torch.equal(torch.rand(3), expected)


def test_flatten_lays_rows_end_to_end(digit):
    r = layers.flatten_demo(digit, 10, seed=0)
    assert_close(r.X_flat, digit.reshape(1, 784))
    assert r.y_hat.shape == (1, 10)
    assert r.parameters == 784 * 10 + 10
    assert [s for _, s in r.shapes] == [(1, 1, 28, 28), (1, 784), (1, 10)]
    with pytest.raises(LimitError):
        layers.flatten_demo(digit, layers.MAX_FLAT_UNITS + 1, seed=0)
    with pytest.raises(LayerError):
        layers.flatten_demo(digit, 0, seed=0)


def test_max_abs_diff():
    assert layers.max_abs_diff(torch.tensor([1.0, 2.0]), torch.tensor([1.5, 2.0])) == 0.5


def test_image_grid_has_one_heatmap_per_panel(digit):
    fig = figs.image_grid_fig([digit, -digit, digit], ["a", "b", "c"], signed=[False, True, False])
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert len(heatmaps) == 3
    assert heatmaps[1].zmid == 0.0 and heatmaps[0].zmin == 0.0
    assert_close(torch.tensor(heatmaps[1].z), -digit)


def test_pool_figure_marks_each_chosen_cell(digit):
    r = pool_demo(digit, "max", 2, 2)
    fig = figs.pool_fig(r.X[0, 0], r.Y[0, 0], r.sources, r.decided, "max")
    (dots,) = [t for t in fig.data if t.type == "scatter"]
    assert len(dots.x) == int(r.decided.sum()) > 0
    picked = r.sources[r.decided]  # (n, 2) row, col
    assert list(dots.y) == picked[:, 0].tolist() and list(dots.x) == picked[:, 1].tolist()


def test_flatten_and_sequence_figures(digit):
    fig = figs.flatten_fig(digit.reshape(1, 784), 28)
    assert len(fig.data[0].z[0]) == 784
    assert len(fig.layout.shapes) == 27  # a line where each of rows 1..27 starts
    H = torch.randn(28, 5)
    fig = figs.sequence_fig(digit, H, None)
    assert len(fig.data) == 2
    assert_close(torch.tensor(fig.data[1].z), H.T)
