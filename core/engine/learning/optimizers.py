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
    name: str  # the key in RunConfig.optimizer_params / schedule_params; torch's keyword
    label: str  # what a page shows
    default: float | int | bool  # torch's default, unless a page overrides it
    low: float = 0.0  # smallest allowed value (numbers only)
    high: float = 1.0  # largest allowed value (numbers only)
    help: str = ""  # one sentence on what it does, for the widget's tooltip

    @property
    def kind(self) -> type:
        return type(self.default)

    @property
    def title(self) -> str:
        """The label, with the keyword a CLI user types when the label does not contain it."""
        return self.label if self.name in self.label else f"{self.label} ({self.name})"

    @property
    def step(self) -> float:
        """What a widget's +/- buttons add: a tenth of the default's order of magnitude."""
        return 10 ** math.floor(math.log10(self.default)) / 10 if self.default > 0 else 0.1


@dataclass(frozen=True)
class OptimizerInfo:
    name: str  # the torch.optim class name
    default_lr: float  # a learning rate that works for the classic ConvNet
    params: tuple[HyperParam, ...]  # everything besides lr
    description: str  # one plain sentence for the Train page
    rule: str  # the update rule in a sentence, for the optimizer playground

    @property
    def cls(self) -> type[torch.optim.Optimizer]:
        return getattr(torch.optim, self.name)


_MU = "How much of the previous step carries into this one."
_MOMENTUM = HyperParam("momentum", "momentum μ", 0.0, 0.0, 0.999, _MU)
_EPS = HyperParam(
    "eps", "ε", 1e-8, 1e-12, 1.0, "Added to the denominator so it never divides by 0."
)
_BETAS = (  # Adam's and AdamW's two moving averages
    HyperParam("beta1", "β₁", 0.9, 0.0, 0.9999, "Decay of the gradient average m."),
    HyperParam("beta2", "β₂", 0.999, 0.0, 0.9999, "Decay of the squared-gradient average v."),
)


def _wd(default: float = 0.0, high: float = 0.1) -> HyperParam:
    return HyperParam(
        "weight_decay", "weight decay λ", default, 0.0, high, "Pulls every weight towards zero."
    )


OPTIMIZERS: dict[str, OptimizerInfo] = {
    o.name: o
    for o in (
        OptimizerInfo(
            "SGD",
            0.05,
            (
                _MOMENTUM,
                HyperParam("nesterov", "Nesterov", False, help="Looks ahead along the momentum."),
                _wd(),
            ),
            "Plain gradient descent on mini-batches: β ← β − lr·∂L/∂β, optionally with momentum.",
            "β ← β − α·g: the seed's rule, nothing else.",
        ),
        OptimizerInfo(
            "Adadelta",
            0.5,
            (
                HyperParam("rho", "ρ", 0.9, 0.0, 0.9999, "Decay of both running averages."),
                HyperParam("eps", "ε", 1e-6, 1e-12, 1.0, "Sets the size of the very first steps."),
                _wd(),
            ),
            "Scales each weight's step by running averages of past gradients and past steps "
            "(the classic PyTorch MNIST example's choice).",
            "RMSprop whose step size is the running size of its own past steps (lr = 1 is "
            "the paper's rule); it starts very slowly.",
        ),
        OptimizerInfo(
            "Adam",
            1e-3,
            (*_BETAS, _EPS, _wd()),
            "Momentum plus a per-weight step size from the average squared gradient.",
            "Momentum (m) divided by an RMSprop scale (√v), both bias-corrected: steps of "
            "about α in each coordinate.",
        ),
        OptimizerInfo(
            "AdamW",
            1e-3,
            (*_BETAS, _EPS, _wd(0.01, 1.0)),
            "Adam with weight decay applied to the weights directly, not through the gradient.",
            "Adam plus decoupled weight decay: each step also shrinks β by α·λ·β.",
        ),
        OptimizerInfo(
            "RMSprop",
            1e-3,
            (
                HyperParam(
                    "alpha", "α (decay of g²)", 0.99, 0.0, 0.9999, "Decay of the g² average."
                ),
                _MOMENTUM,
                _EPS,
                HyperParam("centered", "centered", False, help="Divides by the variance instead."),
                _wd(),
            ),
            "Divides each step by a running average of the squared gradient.",
            "Adagrad with a moving average of g² instead of the sum, so steps do not die out.",
        ),
        OptimizerInfo(
            "Adagrad",
            1e-2,
            (
                HyperParam("lr_decay", "lr decay", 0.0, 0.0, 0.1, "Shrinks the step over time."),
                HyperParam(
                    "initial_accumulator_value", "initial sum", 0.0, 0.0, 100.0, "Start of Σg²."
                ),
                HyperParam("eps", "ε", 1e-10, 1e-12, 1.0, _EPS.help),
                _wd(),
            ),
            "Divides each step by the root of all squared gradients so far: steps only shrink.",
            "Divides each coordinate's step by √(Σ g²): steep directions slow down, and every "
            "step is smaller than the last.",
        ),
    )
}


def optimizer_defaults(name: str) -> tuple[float, dict[str, Any]]:
    """The learning rate and settings a run starts from when it switches to `name`."""
    info = _info(name)
    return info.default_lr, {p.name: p.default for p in info.params}


def _info(name: str) -> OptimizerInfo:
    info = OPTIMIZERS.get(name)
    if info is None:
        raise ConfigError(f"Unknown optimizer {name!r}. Choose one of: {', '.join(OPTIMIZERS)}.")
    return info


@dataclass(frozen=True)
class ScheduleInfo:
    name: str
    params: tuple[HyperParam, ...]
    description: str


SCHEDULES: dict[str, ScheduleInfo] = {
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
                raise ConfigError(f"{what} {p.title} must be true or false, not {value!r}.")
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{what} {p.title} must be a number, not {value!r}.")
        if not (math.isfinite(value) and p.low <= value <= p.high):
            raise ConfigError(f"{what} {p.title} must be in [{p.low:g}, {p.high:g}], not {value}.")
        if p.kind is int and int(value) != value:
            raise ConfigError(f"{what} {p.title} must be a whole number, not {value}.")


def optimizer_settings(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Every hyper-parameter of `name`, the given ones checked and the rest at their defaults."""
    info = _info(name)
    _check_params(name, info.params, params)
    settings = {p.name: p.default for p in info.params} | dict(params)
    if settings.get("nesterov") and settings.get("momentum", 0) <= 0:
        raise ConfigError("Nesterov momentum needs a momentum above 0.")
    return settings


def schedule_settings(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """Every setting of schedule `name`, the given ones checked and the rest at their defaults."""
    info = SCHEDULES.get(name)
    if info is None:
        raise ConfigError(f"Unknown schedule {name!r}. Choose one of: {', '.join(SCHEDULES)}.")
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
    cls = OPTIMIZERS[name].cls
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
    return torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=group["lr"],
        total_steps=steps_per_epoch * epochs,
        pct_start=settings["pct_start"],
        div_factor=settings["div_factor"],
        final_div_factor=settings["final_div_factor"],
        cycle_momentum=_has_momentum(group),
    )


def _has_momentum(group: dict[str, Any]) -> bool:
    # Cycling momentum only makes sense for optimizers that have some; SGD without momentum
    # would otherwise silently gain it.
    return "betas" in group or group.get("momentum", 0) > 0


def cycles_momentum(name: str, params: dict[str, Any]) -> bool:
    """Whether OneCycle cycles the momentum of optimizer `name` with `params`: the rule the
    app trains by, read from a real torch optimizer (the exported script states it)."""
    probe = build_optimizer(name, 1.0, params, [torch.zeros(1, requires_grad=True)])
    return _has_momentum(probe.param_groups[0])
