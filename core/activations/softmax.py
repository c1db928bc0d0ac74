"""Softmax on a vector of logits: temperature, shift invariance, and why log-sum-exp is used.

The overflow demo runs in float32, the dtype models train in: there e^x is already infinite
for x > 88.7, so the textbook formula e^z / Σ e^z returns inf/inf = nan for large logits, while
`log_softmax` (which subtracts max(z) first) and `nll_loss` stay exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from core.errors import ConfigError, LimitError
from core.number_text import read_numbers

MAX_LOGITS = 12  # entries in the logits vector
MAX_ABS_LOGIT = 1e4  # |logit| limit: far past float32's overflow at 88.7, still printable
MAX_ABS_SHIFT = 1e4  # the constant added to every logit
MAX_TEXT = 400  # characters of logits text
MIN_TEMPERATURE = 0.05
MAX_TEMPERATURE = 20.0
DEFAULT_LOGITS = "2.0, 1.0, 0.1, -1.5"


def parse_logits(text: str) -> list[float]:
    """1 to MAX_LOGITS numbers separated by commas or spaces; anything else is a message."""
    return read_numbers(
        text, "Logits", max_count=MAX_LOGITS, max_abs=MAX_ABS_LOGIT, max_chars=MAX_TEXT
    )


def check_temperature(temperature: float) -> float:
    if not MIN_TEMPERATURE <= temperature <= MAX_TEMPERATURE:
        raise ConfigError(
            f"The temperature must be between {MIN_TEMPERATURE:g} and {MAX_TEMPERATURE:g}."
        )
    return float(temperature)


def softmax(logits: list[float], temperature: float = 1.0) -> list[float]:
    """softmax(z / T): T < 1 sharpens towards the largest logit, T > 1 flattens to uniform."""
    T = check_temperature(temperature)
    z = torch.tensor(logits, dtype=torch.float64)  # (K,)
    return F.softmax(z / T, dim=0).tolist()


@dataclass
class ShiftCheck:
    shift: float  # the constant c added to every logit
    p: list[float]  # softmax(z / T)
    p_shifted: list[float]  # softmax((z + c) / T)
    max_difference: float  # max |p - p_shifted|: rounding only


def shift_check(logits: list[float], shift: float, temperature: float = 1.0) -> ShiftCheck:
    """softmax(z + c) = softmax(z): the e^c factor is on top and bottom, and cancels."""
    if not (math.isfinite(shift) and abs(shift) <= MAX_ABS_SHIFT):
        raise LimitError(f"Keep the shift within ±{MAX_ABS_SHIFT:g}.")
    p = softmax(logits, temperature)
    p_shifted = softmax([v + shift for v in logits], temperature)
    diff = max(abs(a - b) for a, b in zip(p, p_shifted, strict=True))
    return ShiftCheck(shift, p, p_shifted, diff)


@dataclass
class OverflowDemo:
    logits: list[float]  # z, as float32 sees them
    target: int  # the true class for the loss
    naive_exp: list[float]  # e^z in float32: inf beyond 88.72
    naive_sum: float  # Σ e^z: inf as soon as one term is
    naive_p: list[float]  # e^z / Σ e^z: nan (inf/inf) or 0 when it overflowed
    naive_loss: float  # -log(naive p[target]): nan or inf when it overflowed
    max_logit: float  # m = max z, subtracted before exp
    logsumexp: float  # log Σ e^z = m + log Σ e^(z - m): finite
    log_p: list[float]  # F.log_softmax(z): z - logsumexp, finite
    p: list[float]  # F.softmax(z): stable
    loss: float  # F.nll_loss(log_p, target): the loss PyTorch really uses
    cross_entropy: float  # F.cross_entropy(z, target): log_softmax + nll_loss in one call
    overflowed: bool  # did the naive formula break?


def overflow_demo(logits: list[float], target: int = 0, temperature: float = 1.0) -> OverflowDemo:
    """The textbook formula next to log_softmax + nll_loss, in float32, numbers shown.

    At a temperature T the scores are z / T, the same ones the chart's softmax(z / T) uses,
    so the loss is the loss of the probabilities the chart shows."""
    if not 0 <= target < len(logits):
        raise ConfigError(f"The true class must be 0 to {len(logits) - 1}.")
    T = check_temperature(temperature)
    z = torch.tensor(logits, dtype=torch.float32) / T  # (K,) the scores softmax sees
    y = torch.tensor([target])  # (1,) class index
    naive_exp = torch.exp(z)  # (K,) overflows to inf for z > 88.72
    naive_sum = naive_exp.sum()
    naive_p = naive_exp / naive_sum  # (K,)
    naive_loss = -torch.log(naive_p[target])
    log_p = F.log_softmax(z, dim=0)  # (K,) z - logsumexp(z), never overflows
    loss = F.nll_loss(log_p.unsqueeze(0), y)  # picks -log_p[target]
    return OverflowDemo(
        logits=z.tolist(),
        target=target,
        naive_exp=naive_exp.tolist(),
        naive_sum=naive_sum.item(),
        naive_p=naive_p.tolist(),
        naive_loss=naive_loss.item(),
        max_logit=z.max().item(),
        logsumexp=torch.logsumexp(z, dim=0).item(),
        log_p=log_p.tolist(),
        p=log_p.exp().tolist(),
        loss=loss.item(),
        cross_entropy=F.cross_entropy(z.unsqueeze(0), y).item(),
        overflowed=not bool(torch.isfinite(naive_loss) and torch.isfinite(naive_p).all()),
    )
