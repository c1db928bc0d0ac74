"""One epoch of training and one pass of evaluation: numbers in, numbers out.

The shape follows the classic PyTorch MNIST example (`model.train()`, zero_grad -> backward ->
step; `model.eval()` + no_grad to test) but the data are whole tensors already on the device and
a batch is an index slice of a per-epoch permutation, so nothing runs per sample. Progress goes
out through callbacks (`on_batch_end`), never prints, so a page, a background job and the
command line can all use the same loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from core.engine.learning.config import RunConfig
from core.errors import TorchlabError

EVAL_BATCH_SIZE = 1000  # evaluation needs no gradients, so big batches are cheap


class NonFiniteLossError(TorchlabError):
    """The loss became NaN or infinite: the run cannot recover, so it stops as failed."""

    def __init__(self, step: int, value: float):
        self.step = step
        self.value = value
        what = "NaN" if math.isnan(value) else "infinite"
        super().__init__(
            f"The loss became {what} at step {step}; try a lower learning rate "
            "(or a schedule that warms up)."
        )


@dataclass
class EpochResult:
    loss: float  # mean training loss over the batches done
    steps: int  # batches done (fewer than planned if the run was stopped), skipped ones included
    samples: int  # images seen, those of skipped batches included
    stopped: bool  # true when should_stop() cut the epoch short
    order_state: torch.Tensor | None = None  # `generator`'s state this epoch's order came from


def steps_per_epoch(n: int, batch_size: int) -> int:
    """Batches in one pass over n images; the last one may be smaller (like drop_last=False)."""
    return math.ceil(n / batch_size)


def loop_settings(config: RunConfig) -> dict[str, Any]:
    """The keyword arguments of `train_one_epoch` that a run's settings decide."""
    return {"batch_size": config.batch_size}


def train_one_epoch(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    *,
    batch_size: int,
    generator: torch.Generator,
    device: str | torch.device,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    on_batch_end: Callable[[int, int, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    step_offset: int = 0,
    skip: int = 0,
) -> EpochResult:
    """One pass over (X, y) in the order of a fresh permutation drawn from `generator`.

    `on_batch_end(batch, batch_samples, loss)` runs after each step (batch counts from 1);
    `should_stop()` is asked before each batch, so a stop takes effect within one batch.
    A NaN or infinite loss raises `NonFiniteLossError` naming the global step
    (`step_offset` + batch). `skip` batches of the order are left out (trained before a stop:
    the epoch goes on from there, its batches numbered as in an uninterrupted epoch).
    """
    model.train()
    n = X.shape[0]
    order_state = generator.get_state()
    perm = torch.randperm(n, generator=generator).to(device)  # (N,) this epoch's order
    total, steps, samples = 0.0, skip, min(skip * batch_size, n)
    trained = 0
    for start in range(skip * batch_size, n, batch_size):
        if should_stop is not None and should_stop():
            return EpochResult(total / max(trained, 1), steps, samples, True, order_state)
        idx = perm[start : start + batch_size]  # (B,)
        X_batch, y_batch = X[idx], y[idx]  # (B, 1, 28, 28), (B,)
        optimizer.zero_grad(set_to_none=True)
        y_hat = model(X_batch)  # (B, classes) log-probabilities
        loss = F.nll_loss(y_hat, y_batch)
        loss_value = loss.item()
        steps += 1
        trained += 1
        if not math.isfinite(loss_value):
            raise NonFiniteLossError(step_offset + steps, loss_value)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        total += loss_value
        samples += len(idx)
        if on_batch_end is not None:
            on_batch_end(steps, len(idx), loss_value)
    return EpochResult(total / max(trained, 1), steps, samples, False, order_state)


@torch.inference_mode()
def evaluate(
    model: nn.Module, X: torch.Tensor, y: torch.Tensor, *, batch_size: int = EVAL_BATCH_SIZE
) -> tuple[float, float]:
    """(mean loss, accuracy) of the model on (X, y), in eval mode (dropout off)."""
    was_training = model.training
    model.eval()
    loss_sum, correct = 0.0, 0
    for start in range(0, X.shape[0], batch_size):
        y_hat = model(X[start : start + batch_size])  # (B, classes)
        y_batch = y[start : start + batch_size]
        loss_sum += F.nll_loss(y_hat, y_batch, reduction="sum").item()
        correct += int((y_hat.argmax(1) == y_batch).sum())
    model.train(was_training)
    n = max(X.shape[0], 1)
    return loss_sum / n, correct / n


@torch.inference_mode()
def predict_proba(
    model: nn.Module, X: torch.Tensor, *, batch_size: int = EVAL_BATCH_SIZE
) -> torch.Tensor:
    """Class probabilities (N, classes) on the CPU; the model outputs log-probabilities."""
    was_training = model.training
    model.eval()
    parts = [model(X[s : s + batch_size]).exp().cpu() for s in range(0, X.shape[0], batch_size)]
    model.train(was_training)
    return torch.cat(parts) if parts else torch.empty(0, 0)
