"""Whole-run presets: a model (core.engine.learning.models) plus the optimizer settings
that suit it. The Train page, the CLI and the Experiments page all start from these."""

from __future__ import annotations

from core.engine.learning.config import RunConfig
from core.engine.learning.models import classic_spec, fast_spec, linear_spec
from core.errors import ConfigError


def _classic_run() -> RunConfig:
    # The chapter's run: the classic ConvNet, Adadelta at 0.5, batches of 32, two epochs.
    return RunConfig(model=classic_spec(), optimizer="Adadelta", lr=0.5, epochs=2)


def _fast_run() -> RunConfig:
    # Small and quick on a CPU: bigger batches, Adam, and a one-cycle schedule that warms up
    # to a high peak rate then anneals, which gets past 99% MNIST accuracy in two epochs.
    return RunConfig(
        model=fast_spec(),
        optimizer="Adam",
        lr=5e-3,
        schedule="OneCycle",
        batch_size=128,
        epochs=2,
        log_interval=20,
    )


def _linear_run() -> RunConfig:
    # The traditional baseline: softmax regression on the raw pixels.
    return RunConfig(model=linear_spec(), optimizer="SGD", lr=0.05, epochs=2)


# Whole-run presets: a model preset plus the optimizer settings that suit it.
RUN_PRESETS = {"classic": _classic_run, "fast": _fast_run, "linear": _linear_run}


def run_preset(name: str) -> RunConfig:
    """A fresh RunConfig for preset `name` (classic, fast or linear)."""
    if name not in RUN_PRESETS:
        raise ConfigError(f"Unknown preset {name!r}. Choose one of: {', '.join(RUN_PRESETS)}.")
    return RUN_PRESETS[name]()
