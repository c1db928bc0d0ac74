"""Dropout on the digit: a random mask in training mode, the identity in eval mode.

In training, nn.Dropout(p) zeroes each value with probability p and multiplies the survivors
by 1/(1 − p), so the expected output equals the input and eval mode can simply do nothing.
nn.Dropout2d zeroes whole channels instead, for feature maps whose neighbouring cells agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from core.engine.learning.randomness import seeded
from core.errors import LimitError
from core.layers.common import LayerError, as_batch
from core.layers.conv import CLASSIC_FILTERS, ConvConfig, conv_layer

MAX_DROPOUT = 0.95  # highest drop probability offered (p = 1 would drop everything)
DROPOUT_DRAWS = 200  # masks averaged to show that the expected output is the input
FEATURE_FILTERS = list(CLASSIC_FILTERS)[:6]  # the channels Dropout and Dropout2d act on


@dataclass
class DropoutResult:
    X: torch.Tensor  # (28, 28) the digit
    kept: torch.Tensor  # (28, 28) bool: the cells the training-mode mask kept
    Y_train: torch.Tensor  # (28, 28) nn.Dropout(p) in training mode
    Y_eval: torch.Tensor  # (28, 28) the same layer after .eval()
    Y_mean: torch.Tensor  # (28, 28) the average of DROPOUT_DRAWS training-mode outputs
    scale: float  # 1 / (1 − p): what the surviving values are multiplied by
    kept_fraction: float  # share of cells this mask kept (about 1 − p)
    eval_is_identity: bool  # eval mode returned exactly the input
    maps: torch.Tensor  # (C, 28, 28) feature maps of the digit (classic filters)
    maps_dropout: torch.Tensor  # (C, 28, 28) nn.Dropout: cells dropped anywhere
    maps_dropout2d: torch.Tensor  # (C, 28, 28) nn.Dropout2d: whole channels dropped
    channel_names: list[str]  # one per feature map
    channels_kept: list[bool]  # which channels Dropout2d kept


def _mask_run(layer: nn.Module, X: torch.Tensor, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The layer's output on X, and the mask it used (the same draw, applied to ones)."""
    with seeded(seed):
        Y = layer(X)
    with seeded(seed):
        kept = layer(torch.ones_like(X)) != 0
    return Y, kept


def dropout_demo(X: torch.Tensor, p: float, seed: int) -> DropoutResult:
    """nn.Dropout on the digit in both modes, and Dropout against Dropout2d on feature maps.

    Runs on the CPU so that one seed gives the same mask on every machine.
    """
    if not 0.0 <= p < 1.0:
        raise LayerError(f"The drop probability p must be in [0, 1), not {p}.")
    if p > MAX_DROPOUT:
        raise LimitError(f"The drop probability is limited to {MAX_DROPOUT} here, not {p}.")
    drop = nn.Dropout(p).train()
    X_batch = as_batch(X)  # (1, 1, 28, 28)
    Y_train, kept = _mask_run(drop, X_batch, seed)
    with seeded(seed + 1):
        Y_mean = drop(X_batch.expand(DROPOUT_DRAWS, 1, -1, -1)).mean(0)  # (1, 28, 28)
    Y_eval = drop.eval()(X_batch)  # (1, 1, 28, 28)

    conv, names = conv_layer(ConvConfig(kernels="classic", filters=FEATURE_FILTERS, padding=1))
    with torch.no_grad():
        maps = conv(X_batch)  # (1, C, 28, 28)
    maps_dropout, _ = _mask_run(nn.Dropout(p).train(), maps, seed)
    maps_dropout2d, kept2d = _mask_run(nn.Dropout2d(p).train(), maps, seed)
    return DropoutResult(
        X=X_batch[0, 0],
        kept=kept[0, 0],
        Y_train=Y_train[0, 0],
        Y_eval=Y_eval[0, 0],
        Y_mean=Y_mean[0],
        scale=1.0 / (1.0 - p),
        kept_fraction=float(kept.float().mean()),
        eval_is_identity=torch.equal(Y_eval, X_batch),
        maps=maps[0],
        maps_dropout=maps_dropout[0],
        maps_dropout2d=maps_dropout2d[0],
        channel_names=names,
        channels_kept=[bool(k) for k in kept2d[0, :, 0, 0]],
    )
