"""What a run is made of before its first batch: its data on the device, its model with
seeded initial weights, its optimizer and schedule, all from one RunConfig."""

from __future__ import annotations

import hashlib
from functools import lru_cache

import torch

from core.engine.learning.config import RunConfig
from core.engine.learning.data import (
    CLASSIC_MNIST_NORMALIZATION,
    data_root,
    dataset_info,
    load_tensors,
    pixel_statistics,
)
from core.engine.learning.models import build_model
from core.engine.learning.optimizers import build_optimizer, build_scheduler
from core.engine.learning.randomness import seeded
from core.errors import TorchlabError


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
