"""One epoch of training and one pass of evaluation: numbers in, numbers out.

The shape follows the classic PyTorch MNIST example (`model.train()`, zero_grad -> backward ->
step; `model.eval()` + no_grad to test) but the data are whole tensors already on the device and
a batch is an index slice of a per-epoch permutation, so nothing runs per sample. Progress goes
out through callbacks (`on_batch_end`), never prints, so a page, a background job and the
command line can all use the same loop.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch import nn

from core.engine.config import RunConfig
from core.engine.data import (
    CLASSIC_MNIST_NORMALIZATION,
    data_root,
    dataset_info,
    load_tensors,
    pixel_statistics,
)
from core.engine.models import build_model, preset
from core.engine.optimizers import build_optimizer, build_scheduler
from core.engine.randomness import seeded
from core.errors import ConfigError, TorchlabError

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
    steps: int  # batches done (fewer than planned if the run was stopped)
    samples: int  # images seen
    stopped: bool  # true when should_stop() cut the epoch short


def make_optimizer(config: RunConfig, params) -> torch.optim.Optimizer:
    """The configured torch.optim optimizer over `params`."""
    return build_optimizer(config.optimizer, config.lr, config.optimizer_params, params)


def make_scheduler(
    config: RunConfig, optimizer: torch.optim.Optimizer, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LRScheduler | None:
    """The configured schedule, stepped once per batch (None for a constant rate)."""
    return build_scheduler(
        config.schedule,
        config.schedule_params,
        optimizer,
        steps_per_epoch=steps_per_epoch,
        epochs=config.epochs,
    )


def steps_per_epoch(n: int, batch_size: int) -> int:
    """Batches in one pass over n images; the last one may be smaller (like drop_last=False)."""
    return math.ceil(n / batch_size)


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
) -> EpochResult:
    """One pass over (X, y) in the order of a fresh permutation drawn from `generator`.

    `on_batch_end(batch, batch_samples, loss)` runs after each step (batch counts from 1);
    `should_stop()` is asked before each batch, so a stop takes effect within one batch.
    A NaN or infinite loss raises `NonFiniteLossError` naming the global step
    (`step_offset` + batch).
    """
    model.train()
    n = X.shape[0]
    perm = torch.randperm(n, generator=generator).to(device)  # (N,) this epoch's order
    total, steps, samples = 0.0, 0, 0
    for start in range(0, n, batch_size):
        if should_stop is not None and should_stop():
            return EpochResult(total / max(steps, 1), steps, samples, stopped=True)
        idx = perm[start : start + batch_size]  # (B,)
        X_batch, y_batch = X[idx], y[idx]  # (B, 1, 28, 28), (B,)
        optimizer.zero_grad(set_to_none=True)
        y_hat = model(X_batch)  # (B, classes) log-probabilities
        loss = F.nll_loss(y_hat, y_batch)
        loss_value = loss.item()
        steps += 1
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
    return EpochResult(total / max(steps, 1), steps, samples, stopped=False)


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


def normalization_of(config: RunConfig) -> tuple[float, float]:
    """(mean, std) for the configured normalization: the classic constants, the registry's
    statistics, or statistics computed from the training images themselves."""
    if config.normalization == "classic":
        return CLASSIC_MNIST_NORMALIZATION
    if config.normalization == "computed":
        return _computed_statistics(config.dataset, str(data_root()))
    info = dataset_info(config.dataset)
    return info.mean, info.std


@lru_cache(maxsize=4)
def _computed_statistics(dataset: str, root: str) -> tuple[float, float]:
    # A pass over 47 million pixels in float64: do it once per dataset, not once per run.
    return pixel_statistics(dataset)


def load_run_data(
    config: RunConfig, device: str | torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(X_train, y_train, X_test, y_test) on the device, subsets applied (the first N images)."""
    norm = normalization_of(config)
    X, y = load_tensors(config.dataset, True, device=device, normalization=norm)
    X_test, y_test = load_tensors(config.dataset, False, device=device, normalization=norm)
    if config.train_subset:
        X, y = X[: config.train_subset], y[: config.train_subset]
    if config.test_subset:
        X_test, y_test = X_test[: config.test_subset], y_test[: config.test_subset]
    return X, y, X_test, y_test


def init_model(config: RunConfig, initial_state: dict[str, torch.Tensor] | None = None):
    """The configured model with its initial weights: seeded by init_seed (or seed), or
    `initial_state` copied in, so several runs can start from identical weights."""
    with seeded(config.seed if config.init_seed is None else config.init_seed):
        model = build_model(config.model)
    if initial_state is not None:
        try:
            model.load_state_dict(initial_state)
        except RuntimeError as exc:
            raise TorchlabError(f"The shared initial weights do not fit this model: {exc}") from exc
    return model


def initial_state(config: RunConfig) -> dict[str, torch.Tensor]:
    """The initial weights a run of `config` would start from (for fair comparisons)."""
    return {k: v.clone() for k, v in init_model(config).state_dict().items()}


def state_hash(state: dict[str, torch.Tensor]) -> str:
    """A short fingerprint of a state_dict: equal hashes mean identical weights."""
    digest = hashlib.sha256()
    for key in sorted(state):
        digest.update(key.encode())
        digest.update(state[key].detach().to("cpu").contiguous().numpy().tobytes())
    return digest.hexdigest()[:10]


def _classic_run() -> RunConfig:
    # The chapter's run: the classic ConvNet, Adadelta at 0.5, batches of 32, two epochs.
    return RunConfig(model=preset("classic"), optimizer="Adadelta", lr=0.5, epochs=2)


def _fast_run() -> RunConfig:
    # Small and quick on a CPU: bigger batches, Adam, and a one-cycle schedule that warms up
    # to a high peak rate then anneals, which gets past 99% MNIST accuracy in two epochs.
    return RunConfig(
        model=preset("fast"),
        optimizer="Adam",
        lr=5e-3,
        schedule="OneCycle",
        batch_size=128,
        epochs=2,
        log_interval=20,
    )


def _linear_run() -> RunConfig:
    # The traditional baseline: softmax regression on the raw pixels.
    return RunConfig(model=preset("linear"), optimizer="SGD", lr=0.05, epochs=2)


# Whole-run presets: a model preset plus the optimizer settings that suit it.
RUN_PRESETS = {"classic": _classic_run, "fast": _fast_run, "linear": _linear_run}


def run_preset(name: str) -> RunConfig:
    """A fresh RunConfig for preset `name` (classic, fast or linear)."""
    if name not in RUN_PRESETS:
        raise ConfigError(f"Unknown preset {name!r}. Choose one of: {', '.join(RUN_PRESETS)}.")
    return RUN_PRESETS[name]()
