"""Pooling on the digit: max, average and min, and which input cell each max/min came from.

PyTorch has no MinPool2d: min-pooling is −maxpool(−x), since negating turns the smallest value
into the largest. On white-on-black digits max-pooling thickens strokes and min-pooling thins them.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from core.errors import LimitError
from core.layers.common import LayerError, as_batch
from core.layers.conv import conv_output_size

POOL_KINDS = ("max", "average", "min")
MAX_POOL_KERNEL = 8  # largest pooling window offered


def min_pool2d(X: torch.Tensor, kernel_size: int, stride: int) -> torch.Tensor:
    """Min-pooling as −maxpool(−x): no extra operator needed."""
    return -F.max_pool2d(-X, kernel_size, stride)


def pool_output_size(size: int, kernel_size: int, stride: int) -> int:
    """⌊(size − kernel) / stride⌋ + 1: the conv formula with no padding or dilation."""
    if kernel_size > MAX_POOL_KERNEL:
        raise LimitError(
            f"The pooling window is limited to {MAX_POOL_KERNEL} here, not {kernel_size}."
        )
    return conv_output_size(size, kernel_size, stride)


def pool_formula(size: int, kernel_size: int, stride: int) -> str:
    """The pooling output-size formula with the numbers filled in (LaTeX)."""
    out = pool_output_size(size, kernel_size, stride)
    return (
        r"H_{out} = \left\lfloor \frac{H_{in} - k}{s} \right\rfloor + 1"
        rf" = \left\lfloor \frac{{{size} - {kernel_size}}}{{{stride}}} \right\rfloor + 1 = {out}"
    )


@dataclass
class PoolResult:
    X: torch.Tensor  # (1, 1, H, W) the digit
    Y: torch.Tensor  # (1, 1, H_out, W_out) pooled
    sources: torch.Tensor | None  # (H_out, W_out, 2) (row, col) of the input cell each output
    # took, for max and min pooling; None for average pooling, which mixes the whole window
    decided: torch.Tensor | None  # (H_out, W_out) bool: the window held different values, so
    # the choice meant something (in a flat window PyTorch just takes the first cell)
    formula: str  # the output-size formula with numbers (LaTeX)


def pool_demo(
    X: torch.Tensor, kind: str, kernel_size: int, stride: int, device: str = "cpu"
) -> PoolResult:
    """Pool the digit, and for max/min pooling trace each output back to its input cell."""
    if kind not in POOL_KINDS:
        raise LayerError(f"Pooling is one of {', '.join(POOL_KINDS)}, not {kind!r}.")
    formula = pool_formula(X.shape[-1], kernel_size, stride)
    X_in = as_batch(X)  # (1, 1, H, W)
    X_dev = X_in.to(device)
    sources = decided = None
    if kind == "average":
        Y = F.avg_pool2d(X_dev, kernel_size, stride)  # (1, 1, H_out, W_out)
    else:
        sign = 1.0 if kind == "max" else -1.0  # min-pool = −maxpool(−x)
        Y, flat = F.max_pool2d(sign * X_dev, kernel_size, stride, return_indices=True)
        Y = sign * Y  # (1, 1, H_out, W_out)
        # the indices count cells row by row over the whole input: split into (row, col)
        flat = flat[0, 0].cpu()  # (H_out, W_out)
        sources = torch.stack((flat // X.shape[-1], flat % X.shape[-1]), dim=-1)
        spread = F.max_pool2d(X_dev, kernel_size, stride) + F.max_pool2d(
            -X_dev, kernel_size, stride
        )
        decided = (spread > 0)[0, 0].cpu()  # max − min > 0: not a flat window
    return PoolResult(X=X_in, Y=Y.cpu(), sources=sources, decided=decided, formula=formula)
