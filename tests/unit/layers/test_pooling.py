"""Pooling against an independent computation (unfold the windows) and torch's shapes."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from core.errors import LimitError
from core.layers.common import LayerError, mnist_test_digit
from core.layers.pooling import MAX_POOL_KERNEL, min_pool2d, pool_demo, pool_output_size

GRID = list(itertools.product((1, 2, 3, 4), (1, 2, 3)))  # (kernel, stride)


def _windows(X: torch.Tensor, k: int, s: int) -> torch.Tensor:
    """Every k×k window as a column: (1, k·k, H_out·W_out)."""
    return F.unfold(X, k, stride=s)


@pytest.mark.parametrize(("k", "s"), GRID)
def test_min_pool_is_minus_max_pool_of_minus_x(k, s):
    X = torch.randn(1, 1, 11, 11, dtype=torch.float64, generator=torch.Generator().manual_seed(k))
    side = pool_output_size(11, k, s)
    expected = _windows(X, k, s).min(dim=1).values.reshape(1, 1, side, side)
    assert_close(min_pool2d(X, k, s), expected)
    assert_close(min_pool2d(X, k, s), -F.max_pool2d(-X, k, s))


@pytest.mark.parametrize(("k", "s"), GRID)
@pytest.mark.parametrize("kind", ["max", "average", "min"])
def test_pool_demo_against_the_windows(kind, k, s):
    X = torch.rand(12, 12, dtype=torch.float64, generator=torch.Generator().manual_seed(s))
    r = pool_demo(X, kind, k, s)
    side = pool_output_size(12, k, s)
    cols = _windows(X.reshape(1, 1, 12, 12), k, s)  # (1, k·k, side²)
    reduce = {"max": cols.amax(dim=1), "min": cols.amin(dim=1), "average": cols.mean(dim=1)}
    assert r.Y.shape == (1, 1, side, side)
    assert_close(r.Y.reshape(-1), reduce[kind].reshape(-1))
    if kind == "average":
        assert r.sources is None and r.decided is None
    else:
        # the cell each output says it took holds exactly that output's value
        picked = X[r.sources[..., 0], r.sources[..., 1]]  # (side, side)
        assert_close(picked, r.Y[0, 0])


def test_flat_windows_are_not_called_decisions():
    X = torch.zeros(4, 4)
    X[0, 0] = 1.0  # only the top-left window holds two different values
    r = pool_demo(X, "max", 2, 2)
    assert r.decided.tolist() == [[True, False], [False, False]]
    assert r.sources[0, 0].tolist() == [0, 0]


def test_pool_output_size_matches_torch():
    for size, k, s in itertools.product((5, 8, 28), range(1, MAX_POOL_KERNEL + 1), (1, 2, 3)):
        if k > size:
            continue
        assert (
            pool_output_size(size, k, s)
            == F.max_pool2d(torch.zeros(1, 1, size, size), k, s).shape[-1]
        )


@pytest.mark.needs_data
def test_bad_pooling_settings_are_messages():
    X = mnist_test_digit(0)[0]
    with pytest.raises(LayerError, match="stride of 0"):
        pool_demo(X, "max", 2, 0)
    with pytest.raises(LayerError, match="larger than"):
        pool_demo(X[:5, :5], "max", 6, 1)
    with pytest.raises(LimitError):
        pool_demo(X, "max", MAX_POOL_KERNEL + 1, 1)
    with pytest.raises(LayerError):
        pool_demo(X, "median", 2, 2)


@pytest.mark.needs_data
def test_max_pooling_thickens_and_min_pooling_thins_the_strokes():
    X = mnist_test_digit(0)[0]
    ink = (X > 0.5).float().mean()
    thick = (pool_demo(X, "max", 3, 1).Y > 0.5).float().mean()
    thin = (pool_demo(X, "min", 3, 1).Y > 0.5).float().mean()
    assert thin < ink < thick
