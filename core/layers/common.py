"""The Layers lab's input and its first layer: a real digit, and a fully connected map.

Every section of the lab works on one 28×28 digit on [0, 1], white ink on black (MNIST's
polarity): an MNIST test image picked by index, or the digit last drawn on the canvas page.
The other layer types live next door: layers_conv, layers_pooling, layers_dropout,
layers_recurrent and layers_graph.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.engine.learning.data import IMAGE_SIZE, load_raw
from core.engine.learning.models import count_parameters
from core.engine.learning.randomness import seeded
from core.errors import LimitError, TorchlabError

LINEAR_IN = 256  # the fully connected demo reads 256 = 16×16 features...
LINEAR_OUT = 4  # ...and maps them to 4 outputs, as in the chapter
LINEAR_SIDE = 16  # the digit is averaged down to 16×16 to give LINEAR_IN features
MAX_FLAT_UNITS = 128  # most outputs of the Linear layer on the flattened 784-pixel image


class LayerError(TorchlabError):
    """A layer's settings do not fit together or do not fit the input."""


def mnist_test_digit(index: int) -> tuple[torch.Tensor, int]:
    """One MNIST test image as (28, 28) float32 on [0, 1], and its label.

    Raw pixels, not normalized: a heatmap of [0, 1] reads like the digit itself.
    """
    images, labels = load_raw("MNIST", train=False)
    n = images.shape[0]
    if not 0 <= index < n:
        raise LayerError(f"Pick a test digit between 0 and {n - 1}, not {index}.")
    X = images[index].to(torch.float32) / 255.0  # (28, 28)
    return X, int(labels[index])


def mnist_test_count() -> int:
    """How many test digits there are to pick from."""
    return int(load_raw("MNIST", train=False)[0].shape[0])


def drawn_digit(array: object) -> torch.Tensor:
    """The canvas page's last drawing as a (28, 28) float32 tensor on [0, 1]."""
    try:
        X = np.asarray(array, dtype=np.float32)
    except (TypeError, ValueError):
        raise LayerError(
            "The drawn digit is not an image. Draw it again on the canvas page."
        ) from None
    if X.shape != (IMAGE_SIZE, IMAGE_SIZE):
        raise LayerError(
            f"The drawn digit should be a {IMAGE_SIZE}×{IMAGE_SIZE} image, not {X.shape}. "
            "Draw it again on the canvas page."
        )
    if not np.isfinite(X).all():
        raise LayerError("The drawn digit has missing pixels. Draw it again on the canvas page.")
    return torch.from_numpy(X.clip(0.0, 1.0).copy())  # (28, 28)


def as_batch(X: torch.Tensor) -> torch.Tensor:
    """(H, W) -> (1, 1, H, W): layers take a batch of images with channels."""
    return X.reshape(1, 1, *X.shape[-2:])


def shrink(X: torch.Tensor, size: int) -> torch.Tensor:
    """Average the image down to size×size (a smaller input for the shape experiments)."""
    if not 1 <= size <= IMAGE_SIZE:
        raise LayerError(f"The input size must be 1 to {IMAGE_SIZE}, not {size}.")
    return F.adaptive_avg_pool2d(as_batch(X), size)  # (1, 1, size, size)


def max_abs_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    """How far apart two outputs are: 0.0 means the two ways computed the same numbers."""
    return float((a.detach().cpu() - b.detach().cpu()).abs().max())


@dataclass
class LinearResult:
    X: torch.Tensor  # (1, 256) the digit averaged to 16×16, then flattened
    y_hat_nn: torch.Tensor  # (1, 4) nn.Linear(256, 4) on X
    y_hat_manual: torch.Tensor  # (1, 4) X @ W + b with the hand-made W and b
    y_hat_shared: torch.Tensor  # (1, 4) nn.Linear after copying W.T and b into it
    weight_nn: torch.Tensor  # (4, 256) nn.Linear stores (out, in)
    weight_manual: torch.Tensor  # (256, 4) the chapter's manual layout (in, out)
    params_nn: int  # parameters of nn.Linear(256, 4)
    params_manual: int  # W.numel() + b.numel()


def manual_linear(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The chapter's hand-made layer: W ~ N(0, 1/256) with requires_grad, zero bias."""
    g = torch.Generator().manual_seed(seed)
    W = (torch.randn(LINEAR_IN, LINEAR_OUT, generator=g) / math.sqrt(LINEAR_IN)).requires_grad_()
    b = torch.zeros(LINEAR_OUT, requires_grad=True)
    return W, b  # (256, 4), (4,)


def linear_demo(X: torch.Tensor, seed: int) -> LinearResult:
    """nn.Linear(256, 4) beside the same map written by hand, on the digit at 16×16."""
    with seeded(seed):
        layer = nn.Linear(LINEAR_IN, LINEAR_OUT)
        shared = nn.Linear(LINEAR_IN, LINEAR_OUT)  # will receive the manual W and b
    W, b = manual_linear(seed)
    X_flat = shrink(X, LINEAR_SIDE).flatten(1)  # (1, 256)
    with torch.no_grad():
        y_hat_nn = layer(X_flat)  # (1, 4)
        y_hat_manual = X_flat @ W + b  # (1, 4)
        # the same numbers in nn.Linear's (out, in) layout give the same outputs
        shared.weight.copy_(W.T)
        shared.bias.copy_(b)
        y_hat_shared = shared(X_flat)  # (1, 4)
    return LinearResult(
        X=X_flat,
        y_hat_nn=y_hat_nn,
        y_hat_manual=y_hat_manual,
        y_hat_shared=y_hat_shared,
        weight_nn=layer.weight.detach(),
        weight_manual=W.detach(),
        params_nn=count_parameters(layer),
        params_manual=W.numel() + b.numel(),
    )


@dataclass
class FlattenResult:
    X_flat: torch.Tensor  # (1, 784) the image's rows laid end to end
    y_hat: torch.Tensor  # (1, units) the Linear layer's outputs
    shapes: list[tuple[str, tuple[int, ...]]]  # (step, shape) from image to outputs
    parameters: int  # 784·units + units


def flatten_demo(X: torch.Tensor, units: int, seed: int) -> FlattenResult:
    """A 28×28 image through nn.Flatten and nn.Linear(784, units)."""
    if units < 1:
        raise LayerError(f"A Linear layer needs at least one output, not {units}.")
    if units > MAX_FLAT_UNITS:
        raise LimitError(
            f"The Linear layer is limited to {MAX_FLAT_UNITS} outputs here, not {units}."
        )
    with seeded(seed):
        model = nn.Sequential(nn.Flatten(), nn.Linear(IMAGE_SIZE * IMAGE_SIZE, units))
    X_batch = as_batch(X)  # (1, 1, 28, 28)
    with torch.no_grad():
        X_flat = model[0](X_batch)  # (1, 784)
        y_hat = model[1](X_flat)  # (1, units)
    shapes = [
        ("image batch", tuple(X_batch.shape)),
        ("nn.Flatten()", tuple(X_flat.shape)),
        (f"nn.Linear(784, {units})", tuple(y_hat.shape)),
    ]
    return FlattenResult(X_flat, y_hat, shapes, count_parameters(model))
