"""Convolution and transposed-convolution formulas against the shapes and costs torch produces."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close
from torch.utils.flop_counter import FlopCounterMode

from core.errors import LimitError
from core.layers import conv
from core.layers.common import LayerError, mnist_test_digit


@pytest.fixture(scope="module")
def digit(needs_data) -> torch.Tensor:
    return mnist_test_digit(0)[0]


def _torch_conv_size(size, k, s, p, d):
    try:
        weight = torch.zeros(1, 1, k, k)
        return F.conv2d(torch.zeros(1, 1, size, size), weight, None, s, p, d).shape[-1]
    except RuntimeError:
        return None


CONV_GRID = list(itertools.product((4, 7, 12), (1, 2, 3, 5, 9), (0, 1, 2, 3), (0, 1, 2), (1, 2, 3)))


def test_conv_output_size_matches_torch_over_a_grid():
    refused = 0
    for size, k, s, p, d in CONV_GRID:
        expected = _torch_conv_size(size, k, s, p, d)
        if expected is None:  # torch refuses: so must we, with a message
            refused += 1
            with pytest.raises(LayerError):
                conv.conv_output_size(size, k, s, p, d)
        else:
            assert conv.conv_output_size(size, k, s, p, d) == expected, (size, k, s, p, d)
    assert 0 < refused < len(CONV_GRID)  # the grid covers both sides of the rule


def test_zero_stride_and_a_kernel_larger_than_the_input_are_messages():
    with pytest.raises(LayerError, match="stride of 0"):
        conv.conv_output_size(28, 3, stride=0)
    with pytest.raises(LayerError, match="larger than the 7×7"):
        conv.conv_output_size(7, 9)
    with pytest.raises(LayerError, match="dilation 3"):
        conv.conv_output_size(7, 4, dilation=3)
    with pytest.raises(LimitError):
        conv.conv_output_size(28, conv.MAX_KERNEL + 1)
    with pytest.raises(LayerError):
        conv.conv_output_size(28, 3, dilation=0)


def test_formula_shows_the_numbers():
    text = conv.conv_formula(28, 5, 2, 1, 1)
    assert r"\frac{28 + 2\cdot1 - 1\cdot(5-1) - 1}{2}" in text
    assert text.endswith(f"= {conv.conv_output_size(28, 5, 2, 1, 1)} \\end{{aligned}}")


@pytest.mark.parametrize(
    "config",
    [
        conv.ConvConfig(kernel_size=5, stride=2, padding=1, out_channels=3),
        conv.ConvConfig(kernel_size=3, dilation=2, out_channels=6, input_size=14),
        conv.ConvConfig(kernels="classic", filters=["sharpen", "blur (box)"], stride=3),
    ],
)
def test_conv_demo_shapes_parameters_and_multiply_adds(digit, config):
    r = conv.conv_demo(digit, config)
    k = 3 if config.kernels == "classic" else config.kernel_size
    c_out = len(r.names)
    layer = nn.Conv2d(1, c_out, k, config.stride, config.padding, config.dilation)
    with FlopCounterMode(display=False) as counter:
        expected = layer(r.X)
    assert r.Y.shape == expected.shape
    side = conv.conv_output_size(
        config.input_size, k, config.stride, config.padding, config.dilation
    )
    assert r.Y.shape == (1, c_out, side, side)
    assert r.parameters == sum(p.numel() for p in layer.parameters())
    assert r.parameters == conv.conv_parameters(1, c_out, k)
    assert 2 * r.macs == counter.get_total_flops()  # torch counts a multiply-add as 2 FLOPs
    same, _ = conv.conv_layer(config)  # the same seeded (or classic) weights, built again
    assert torch.equal(r.weight, same.weight.detach())
    expected = F.conv2d(
        r.X.double(),
        same.weight.detach().double(),
        same.bias.detach().double(),
        config.stride,
        config.padding,
        config.dilation,
    )
    assert_close(r.Y.double(), expected, rtol=1e-5, atol=1e-5)


def test_classic_filters_do_what_their_names_say(digit):
    config = conv.ConvConfig(
        kernels="classic", filters=["identity", "vertical edges (Sobel x)"], padding=1
    )
    r = conv.conv_demo(digit, config)
    assert_close(r.Y[0, 0], digit)  # identity with padding 1 gives the input back
    step = torch.zeros(28, 28)
    step[:, 14:] = 1.0  # dark left, bright right: one vertical edge
    sobel = conv.conv_demo(step, config).Y[0, 1]
    assert float(sobel[5, 14]) > 0 and float(sobel[5, 5]) == 0.0


def test_bad_filter_choices_are_messages(digit):
    with pytest.raises(LayerError):
        conv.conv_demo(digit, conv.ConvConfig(kernels="classic", filters=[]))
    with pytest.raises(LayerError):
        conv.conv_demo(digit, conv.ConvConfig(kernels="classic", filters=["emboss"]))
    with pytest.raises(LayerError):
        conv.conv_demo(digit, conv.ConvConfig(input_size=20))
    with pytest.raises(LimitError):
        conv.conv_demo(digit, conv.ConvConfig(out_channels=conv.MAX_OUT_CHANNELS + 1))


def _torch_transposed_size(size, k, s, p, op):
    try:
        weight = torch.zeros(1, 1, k, k)
        return F.conv_transpose2d(torch.zeros(1, 1, size, size), weight, None, s, p, op).shape[-1]
    except RuntimeError:
        return None


def test_transposed_output_size_matches_torch_over_a_grid():
    grid = list(itertools.product((1, 3, 7), (1, 2, 3, 4), (0, 1, 2, 3), (0, 1, 2, 4), (0, 1, 2)))
    refused = 0
    for size, k, s, p, op in grid:
        expected = None if s == 0 else _torch_transposed_size(size, k, s, p, op)
        if not expected:  # torch refuses, or returns an empty map: nothing to show either way
            refused += 1
            with pytest.raises(LayerError):
                conv.transposed_output_size(size, k, s, p, op)
        else:
            assert conv.transposed_output_size(size, k, s, p, op) == expected, (size, k, s, p, op)
    assert 0 < refused < len(grid)


def test_transposed_demo_upsamples_and_counts_stamps(digit):
    config = conv.TransposedConfig(input_size=7, kernel_size=3, stride=2, kernel="random", seed=1)
    r = conv.transposed_demo(digit, config)
    layer = nn.ConvTranspose2d(1, 1, 3, 2)
    with FlopCounterMode(display=False) as counter:
        expected = layer(r.X)
    assert r.Y.shape == expected.shape == (1, 1, 15, 15)
    assert 2 * r.macs == counter.get_total_flops()
    assert r.parameters == 3 * 3 + 1
    # every input cell stamps k·k output cells, so the stamps add up to size²·k²
    assert float(r.overlap.sum()) == 7 * 7 * 3 * 3
    # stride 2, kernel 3: stamps overlap unevenly, the checkerboard
    assert set(r.overlap.unique().tolist()) == {1.0, 2.0, 4.0}
    even = conv.transposed_demo(digit, conv.TransposedConfig(kernel_size=2, stride=2))
    assert torch.equal(even.overlap, torch.ones_like(even.overlap))  # k = s: no overlap at all


def test_transposed_with_a_ones_kernel_adds_the_stamps(digit):
    r = conv.transposed_demo(digit, conv.TransposedConfig(kernel="ones"))
    expected = F.conv_transpose2d(
        r.X.double(), torch.ones(1, 1, 3, 3, dtype=torch.float64), stride=2
    )
    assert_close(r.Y.double(), expected)


def test_transposed_bad_settings_are_messages(digit):
    with pytest.raises(LayerError, match="stride"):
        conv.transposed_demo(digit, conv.TransposedConfig(stride=0))
    with pytest.raises(LayerError, match="output padding"):
        conv.transposed_demo(digit, conv.TransposedConfig(stride=2, output_padding=2))
    with pytest.raises(LayerError, match="crop everything"):
        conv.transposed_demo(
            digit, conv.TransposedConfig(input_size=2, kernel_size=1, stride=1, padding=3)
        )
    with pytest.raises(LayerError):
        conv.transposed_demo(digit, conv.TransposedConfig(kernel="zeros"))
