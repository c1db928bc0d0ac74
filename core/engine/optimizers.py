"""The optimizers and learning-rate schedules a run can use, with each one's hyper-parameters.

One registry feeds the page (which widgets to draw, their ranges and help), the validation of a
saved configuration, the trainer (`build_optimizer`, `build_scheduler`) and the exported script,
so an optimizer means the same thing everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import torch

from core.errors import ConfigError


@dataclass(frozen=True)
class HyperParam:
    name: str  # the key in RunConfig.optimizer_params / schedule_params
    label: str  # what the page shows
    default: float | int | bool
    low: float = 0.0  # smallest allowed value (numbers only)
    high: float = 1.0  # largest allowed value (numbers only)
    help: str = ""  # one sentence on what it does, for the widget's tooltip

    @property
    def kind(self) -> type:
        return type(self.default)


@dataclass(frozen=True)
class OptimizerInfo:
    name: str  # the torch.optim class name
    default_lr: float  # a learning rate that works for the classic ConvNet
    params: tuple[HyperParam, ...]  # everything besides lr
    description: str  # one plain sentence for the page


_WD = HyperParam(
    "weight_decay", "weight decay", 0.0, 0.0, 0.1, "Pulls every weight a little towards zero."
)
_EPS = HyperParam("eps", "eps", 1e-8, 1e-12, 1e-2, "Keeps the division away from zero.")
_BETAS = (  # Adam's and AdamW's two moving averages
    HyperParam("beta1", "beta1", 0.9, 0.0, 0.999, "Momentum of the gradient average."),
    HyperParam("beta2", "beta2", 0.999, 0.0, 0.9999, "Memory of squared gradients."),
)

OPTIMIZER_INFO: dict[str, OptimizerInfo] = {
    "SGD": OptimizerInfo(
        "SGD",
        0.05,
        (
            HyperParam("momentum", "momentum", 0.0, 0.0, 0.99, "Keeps a share of the last step."),
            HyperParam("nesterov", "Nesterov", False, help="Looks ahead along the momentum."),
            _WD,
        ),
        "Plain gradient descent on mini-batches: β ← β − lr·∂L/∂β, optionally with momentum.",
    ),
    "Adadelta": OptimizerInfo(
        "Adadelta",
        0.5,
        (
            HyperParam("rho", "rho", 0.9, 0.0, 0.999, "How long squared gradients are remembered."),
            HyperParam("eps", "eps", 1e-6, 1e-12, 1e-2, "Keeps the division away from zero."),
            _WD,
        ),
        "Scales each weight's step by running averages of past gradients and past steps "
        "(the classic PyTorch MNIST example's choice).",
    ),
    "Adam": OptimizerInfo(
        "Adam",
        1e-3,
        (
            *_BETAS,
            _EPS,
            _WD,
        ),
        "Momentum plus a per-weight step size from the average squared gradient.",
    ),
    "AdamW": OptimizerInfo(
        "AdamW",
        1e-3,
        (
            *_BETAS,
            _EPS,
            HyperParam(
                "weight_decay", "weight decay", 0.01, 0.0, 0.5, "Decoupled decay of the weights."
            ),
        ),
        "Adam with weight decay applied to the weights directly, not through the gradient.",
    ),
    "RMSprop": OptimizerInfo(
        "RMSprop",
        1e-3,
        (
            HyperParam("alpha", "alpha", 0.99, 0.0, 0.9999, "Memory of squared gradients."),
            HyperParam("momentum", "momentum", 0.0, 0.0, 0.99, "Keeps a share of the last step."),
            _EPS,
            _WD,
        ),
        "Divides each step by a running average of the squared gradient.",
    ),
    "Adagrad": OptimizerInfo(
        "Adagrad",
        1e-2,
        (
            HyperParam("lr_decay", "lr decay", 0.0, 0.0, 0.1, "Shrinks the step over time."),
            HyperParam("eps", "eps", 1e-10, 1e-12, 1e-2, "Keeps the division away from zero."),
            _WD,
        ),
        "Divides each step by the root of all squared gradients so far: steps only shrink.",
    ),
}


@dataclass(frozen=True)
class ScheduleInfo:
    name: str
    params: tuple[HyperParam, ...]
    description: str


SCHEDULE_INFO: dict[str, ScheduleInfo] = {
    "none": ScheduleInfo("none", (), "The learning rate stays where you set it."),
    "StepLR": ScheduleInfo(
        "StepLR",
        (
            HyperParam("step_size", "every N epochs", 1, 1, 50, "Epochs between two cuts."),
            HyperParam("gamma", "gamma", 0.7, 0.01, 1.0, "Multiplies the rate at each cut."),
        ),
        "Multiplies the learning rate by gamma every N epochs (the classic example uses 0.7).",
    ),
    "OneCycle": ScheduleInfo(
        "OneCycle",
        (
            HyperParam("pct_start", "warm-up share", 0.25, 0.01, 0.99, "Share spent rising."),
            HyperParam("div_factor", "start divisor", 25.0, 1.0, 1e4, "Start at peak / this."),
            HyperParam("final_div_factor", "final divisor", 1e4, 1.0, 1e6, "End at start / this."),
        ),
        "Warms the learning rate up to its peak (the lr you set), then anneals it to almost "
        "zero by the last batch: often the fastest way to a good model.",
    ),
}


def _check_params(what: str, spec: tuple[HyperParam, ...], values: dict[str, Any]) -> None:
    known = {p.name: p for p in spec}
    unknown = sorted(set(values) - set(known))
    if unknown:
        allowed = ", ".join(known) or "none"
        raise ConfigError(f"{what} has no setting {', '.join(unknown)} (it takes: {allowed}).")
    for name, value in values.items():
        p = known[name]
        if p.kind is bool:
            if not isinstance(value, bool):
                raise ConfigError(f"{what} {p.label} must be true or false, not {value!r}.")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{what} {p.label} must be a number, not {value!r}.")
        if not (math.isfinite(value) and p.low <= value <= p.high):
            raise ConfigError(f"{what} {p.label} must be in [{p.low:g}, {p.high:g}], not {value}.")
        if p.kind is int and int(value) != value:
            raise ConfigError(f"{what} {p.label} must be a whole number, not {value}.")


def optimizer_settings(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Every hyper-parameter of `name`, the given ones checked and the rest at their defaults."""
    info = OPTIMIZER_INFO.get(name)
    if info is None:
        raise ConfigError(
            f"Unknown optimizer {name!r}. Choose one of: {', '.join(OPTIMIZER_INFO)}."
        )
    _check_params(name, info.params, params)
    settings = {p.name: p.default for p in info.params} | dict(params)
    if settings.get("nesterov") and settings.get("momentum", 0) <= 0:
        raise ConfigError("Nesterov momentum needs a momentum above 0.")
    return settings


def schedule_settings(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Every setting of schedule `name`, the given ones checked and the rest at their defaults."""
    info = SCHEDULE_INFO.get(name)
    if info is None:
        raise ConfigError(f"Unknown schedule {name!r}. Choose one of: {', '.join(SCHEDULE_INFO)}.")
    _check_params(f"The {name} schedule", info.params, params)
    return {p.name: p.default for p in info.params} | dict(params)


def torch_kwargs(name: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Our flat settings as torch.optim keyword arguments (beta1, beta2 -> betas)."""
    kwargs = dict(settings)
    if "beta1" in kwargs:
        kwargs["betas"] = (kwargs.pop("beta1"), kwargs.pop("beta2"))
    return kwargs


def build_optimizer(
    name: str, lr: float, params: dict[str, Any], weights: Iterable[torch.nn.Parameter]
) -> torch.optim.Optimizer:
    settings = optimizer_settings(name, params)
    cls = getattr(torch.optim, name)
    # foreach: one fused call per update instead of a Python loop over the weight tensors.
    return cls(weights, lr=lr, foreach=True, **torch_kwargs(name, settings))


def build_scheduler(
    name: str,
    params: dict[str, Any],
    optimizer: torch.optim.Optimizer,
    *,
    steps_per_epoch: int,
    epochs: int,
) -> torch.optim.lr_scheduler.LRScheduler | None:
    """A scheduler stepped after every batch (StepLR's step size is converted from epochs)."""
    settings = schedule_settings(name, params)
    if name == "none":
        return None
    if name == "StepLR":
        return torch.optim.lr_scheduler.StepLR(
            optimizer,
            step_size=int(settings["step_size"]) * steps_per_epoch,
            gamma=settings["gamma"],
        )
    group = optimizer.param_groups[0]
    # Cycling momentum only makes sense for optimizers that have some; SGD without momentum
    # would otherwise silently gain it.
    cycle_momentum = "betas" in group or group.get("momentum", 0) > 0
    return torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=group["lr"],
        total_steps=steps_per_epoch * epochs,
        pct_start=settings["pct_start"],
        div_factor=settings["div_factor"],
        final_div_factor=settings["final_div_factor"],
        cycle_momentum=cycle_momentum,
    )
