"""A trained network's insides: the multiply-add written out equals torch's own output at that
cell, for conv1 and conv2 over kernels, paddings and strides; every stage is what the model
computes, down to its softmax."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F

from core.engine.learning.models import ConvSpec, ModelSpec, build_model
from core.engine.learning.randomness import seeded
from core.train.insides import (
    FLATTEN,
    INPUT,
    SOFTMAX,
    InsidesError,
    agreement,
    biggest_mixup,
    cell_images,
    conv_stages,
    kernels,
    multiply_add,
    picture_of_drawing,
    stage,
    trace,
    written,
)

# (conv1, conv2) settings: kernel, stride, padding; both convs are checked in each
SETTINGS = [
    (ConvSpec(4, 3, 1, 0), ConvSpec(6, 3, 1, 0, "max")),  # the chapter's shape
    (ConvSpec(3, 5, 1, 2), ConvSpec(5, 3, 2, 1)),  # padding that keeps the size; a stride
    (ConvSpec(2, 1, 1, 0), ConvSpec(4, 5, 3, 4, "avg")),  # a 1×1 kernel; padding wider than k/2
    (ConvSpec(5, 4, 2, 1, "max"), ConvSpec(3, 2, 1, 1)),  # even kernels
]


def _model(convs, seed: int = 0, dtype=torch.float32):
    with seeded(seed):
        model = build_model(ModelSpec(convs=list(convs), hidden=[12], dropout=0.5,
                                      conv_dropout=0.25))  # fmt: skip
        X = torch.randn(1, 1, 28, 28)
    return model.to(dtype), X.to(dtype)


def _cells(shape: torch.Size, count: int = 6) -> list[tuple[int, int, int]]:
    """Corners (where the window hangs over the padding), the centre, and a few at random."""
    c, h, w = shape
    g = torch.Generator().manual_seed(1)
    cells = [(0, 0, 0), (c - 1, h - 1, w - 1), (c // 2, 0, w - 1), (0, h // 2, w // 2)]
    cells += [tuple(int(torch.randint(n, (1,), generator=g)) for n in (c, h, w))
              for _ in range(count)]  # fmt: skip
    return cells


@pytest.mark.parametrize("convs", SETTINGS, ids=lambda s: "-".join(
    f"k{c.kernel_size}s{c.stride}p{c.padding}" for c in s))  # fmt: skip
def test_the_multiply_add_equals_the_layers_output_at_that_cell(convs):
    model, X = _model(convs)
    stages = trace(model, X)
    convs_seen = conv_stages(stages)
    assert [s.name for s in convs_seen] == ["conv1", "conv2"]
    for conv in convs_seen:
        # the stage is the layer's own computation, checked against F.conv2d here too
        m = conv.module
        direct = F.conv2d(conv.input[None], m.weight, m.bias, m.stride, m.padding, m.dilation)[0]
        torch.testing.assert_close(conv.output, direct)
        for channel, row, col in _cells(conv.output.shape):
            ma = multiply_add(conv, channel, row, col)
            assert ma.torch_value == float(conv.output[channel, row, col])
            torch.testing.assert_close(ma.total, ma.torch_value, rtol=1e-5, atol=1e-5)
            assert sum(ma.sums) + ma.bias == pytest.approx(ma.total, abs=1e-9)
            assert ma.window.shape == m.weight.shape[1:]
            assert "the same" in agreement(ma) and "NOT" not in agreement(ma)


@pytest.mark.parametrize("convs", SETTINGS[1:3], ids=["padded-stride", "wide-padding"])
def test_in_float64_the_multiply_add_is_torchs_value_to_the_last_digits(convs):
    model, X = _model(convs, seed=3, dtype=torch.float64)
    for conv in conv_stages(trace(model, X)):
        for cell in _cells(conv.output.shape):
            ma = multiply_add(conv, *cell)
            assert ma.total == pytest.approx(ma.torch_value, rel=1e-12, abs=1e-12)


def test_the_window_is_the_input_under_the_kernel_with_zeros_in_the_padding():
    model, X = _model([ConvSpec(2, 3, 2, 1), ConvSpec(2, 3)])
    conv1 = stage(trace(model, X), "conv1")
    ma = multiply_add(conv1, 1, 0, 3)  # the top row: the window's first row is padding
    assert ma.rows == (-1, 0, 1) and ma.cols == (5, 6, 7)
    assert ma.in_padding[0].all() and not ma.in_padding[1:].any()
    assert ma.window[0, 0].eq(0).all()
    torch.testing.assert_close(ma.window[0, 1:], X[0, 0, 0:2, 5:8].double())
    torch.testing.assert_close(ma.weight, conv1.module.weight[1].double().detach())
    line = written(ma)
    assert line.count("×") == 9 and line.endswith(f"= {ma.sums[0]:.3f}".replace("-", "−"))


def test_every_stage_is_what_the_model_computes_down_to_the_softmax():
    model, X = _model(SETTINGS[0])
    model.train()
    stages = trace(model, X)
    assert model.training  # its own mode is put back
    names = [s.name for s in stages]
    assert names == [INPUT, "conv1", "conv1.relu", "conv2", "conv2.relu", "conv2.maxpool2d",
                     "conv2.dropout2d", FLATTEN, "fc1", "fc1.relu", "fc1.dropout", "fc2",
                     SOFTMAX]  # fmt: skip
    for before, after in itertools.pairwise(stages):  # each step reads what the last gave
        torch.testing.assert_close(after.input, before.output)
    # eval mode: the dropouts pass everything
    for name in ("conv2.dropout2d", "fc1.dropout"):
        s = stage(stages, name)
        torch.testing.assert_close(s.output, s.input)
    flat = stage(stages, FLATTEN)
    torch.testing.assert_close(flat.output, stage(stages, "conv2.dropout2d").output.flatten())
    model.eval()
    with torch.no_grad():
        expected = model(X)[0].exp()
    softmax = stages[-1].output
    torch.testing.assert_close(softmax, expected)
    torch.testing.assert_close(softmax, torch.softmax(stage(stages, "fc2").output, 0))
    assert softmax.sum().item() == pytest.approx(1.0, abs=1e-6)
    assert [n for n, _ in kernels(model)] == ["conv1", "conv2"]


def test_cells_that_do_not_exist_and_layers_without_kernels_are_messages():
    model, X = _model(SETTINGS[0])
    stages = trace(model, X)
    with pytest.raises(InsidesError, match="no cell"):
        multiply_add(stage(stages, "conv1"), 4, 0, 0)
    with pytest.raises(InsidesError, match="not a convolution"):
        multiply_add(stage(stages, "conv1.relu"), 0, 0, 0)
    with pytest.raises(InsidesError, match="no layer named"):
        stage(stages, "conv9")
    with pytest.raises(InsidesError, match="28×28"):
        picture_of_drawing(torch.zeros(20, 20), (0.1, 0.3))


def test_a_confusion_cell_lists_its_images_most_confident_first():
    probabilities = torch.tensor(
        [[0.1, 0.9], [0.6, 0.4], [0.2, 0.8], [0.3, 0.7], [0.9, 0.1]], dtype=torch.float32
    )
    labels = torch.tensor([0, 0, 0, 1, 1])
    assert cell_images(probabilities, labels, 0, 1) == [0, 2]  # true 0, predicted 1: 0.9, 0.8
    assert cell_images(probabilities, labels, 1, 0) == [4]
    assert cell_images(probabilities, labels, 1, 1) == [3]
    assert biggest_mixup([[5, 2], [1, 7]]) == (0, 1)
    assert biggest_mixup([[5, 0], [0, 7]]) is None
