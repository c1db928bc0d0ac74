"""Dropout: the mask and 1/(1−p) scaling in training, the identity in eval, whole channels in 2d."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from core.errors import LimitError
from core.layers.common import LayerError, mnist_test_digit
from core.layers.dropout import MAX_DROPOUT, dropout_demo


@pytest.fixture(scope="module")
def digit(needs_data) -> torch.Tensor:
    return mnist_test_digit(0)[0]


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.9])
def test_eval_mode_is_the_identity(digit, p):
    r = dropout_demo(digit, p, seed=0)
    assert r.eval_is_identity
    assert torch.equal(r.Y_eval, digit)
    # and so is torch's own layer, independently of the demo
    assert torch.equal(nn.Dropout(p).eval()(digit), digit)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_training_mode_masks_and_scales(digit, p):
    r = dropout_demo(digit, p, seed=1)
    assert r.scale == pytest.approx(1 / (1 - p))
    assert_close(r.Y_train, digit * r.kept * r.scale)
    assert abs(r.kept_fraction - (1 - p)) < 0.08  # 784 coin flips
    assert r.kept_fraction == pytest.approx(float(r.kept.float().mean()))


def test_the_expected_output_is_the_input(digit):
    r = dropout_demo(digit, 0.5, seed=2)
    assert r.Y_mean.shape == digit.shape
    # each pixel is a mean over many masks; the total is far less noisy than one pixel
    assert abs(float(r.Y_mean.sum() - digit.sum())) / float(digit.sum()) < 0.05


def test_p_zero_keeps_everything(digit):
    r = dropout_demo(digit, 0.0, seed=0)
    assert bool(r.kept.all()) and torch.equal(r.Y_train, digit)


def test_the_seed_picks_the_mask(digit):
    a, b, c = (dropout_demo(digit, 0.5, seed=s) for s in (7, 7, 8))
    assert torch.equal(a.kept, b.kept)
    assert not torch.equal(a.kept, c.kept)


def test_dropout2d_drops_whole_channels(digit):
    r = dropout_demo(digit, 0.5, seed=3)
    assert r.maps.shape == r.maps_dropout2d.shape == (len(r.channel_names), 28, 28)
    for c, kept in enumerate(r.channels_kept):
        expected = r.maps[c] * r.scale if kept else torch.zeros_like(r.maps[c])
        assert_close(r.maps_dropout2d[c], expected)
    # plain Dropout instead zeroes single cells inside a channel and keeps others
    ink = r.maps != 0
    zeroed = (r.maps_dropout == 0) & ink
    survived = (r.maps_dropout != 0) & ink
    assert any(bool(zeroed[c].any() and survived[c].any()) for c in range(len(r.maps)))


@pytest.mark.parametrize(
    ("p", "error"), [(1.0, LayerError), (-0.1, LayerError), (MAX_DROPOUT + 0.01, LimitError)]
)
def test_bad_probabilities_are_messages(digit, p, error):
    with pytest.raises(error):
        dropout_demo(digit, p, seed=0)
