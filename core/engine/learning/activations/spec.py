"""What one activation entry describes, and how its parameters are checked.

`core.engine.learning.activations.registry` fills a registry of these; the Activations page,
the model builder and the tests all read the same facts from it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import Tensor, nn

from core.errors import ConfigError

INF = math.inf


@dataclass(frozen=True)
class Param:
    name: str  # the keyword the torch function takes, e.g. "negative_slope"
    symbol: str  # how the formula writes it (LaTeX), e.g. "k"
    low: float  # smallest value allowed (the slider's left end)
    high: float  # largest value allowed (the slider's right end)
    default: float  # torch's default
    step: float = 0.01  # slider resolution


@dataclass(frozen=True)
class Kink:
    x: float  # where the left and right slopes differ
    torch_derivative: float  # the value autograd returns exactly there
    side: str  # which one-sided slope torch uses there: "left" or "right"


Params = dict[str, float]


def _no_kinks(**_: float) -> tuple[Kink, ...]:
    return ()


@dataclass(frozen=True)
class ActivationSpec:
    key: str  # registry key, e.g. "leaky_relu"
    name: str  # what the page shows, e.g. "Leaky ReLU"
    fn: Callable[..., Tensor]  # computes the values with torch: fn(x, **params)
    module_factory: Callable[..., nn.Module]  # the same function as a layer: factory(**params)
    formula: str  # LaTeX, in the symbols of `params`
    output_range: str  # LaTeX, e.g. r"(0, 1)"
    bounds: Callable[..., tuple[float, float]]  # numeric closure of the output range
    monotonic: bool  # never decreases, for every parameter value in range
    zero_centred: bool  # outputs average ~0 for x ~ N(0, 1), at the default parameters
    about: str  # one or two sentences: what it is for, where it is used
    differentiability: str  # where it has no derivative, and what torch uses there
    params: tuple[Param, ...] = ()
    kinks: Callable[..., tuple[Kink, ...]] = _no_kinks  # kinks(**params)
    elementwise: bool = True  # False only for softmax, which maps a whole vector
    has_gradient: bool = True  # False for the step: autograd has no derivative for it

    def defaults(self) -> Params:
        return {p.name: p.default for p in self.params}

    def resolve(self, params: dict[str, Any] | None = None) -> Params:
        """Defaults filled in, unknown names and values out of range refused."""
        values = self.defaults()
        known = {p.name: p for p in self.params}
        for name, value in (params or {}).items():
            if name not in known:
                raise ConfigError(f"{self.name} has no parameter {name!r}.")
            p = known[name]
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ConfigError(f"{self.name}: {p.name} must be a number.") from None
            if not p.low <= number <= p.high:
                raise ConfigError(
                    f"{self.name}: {p.name} must be between {p.low:g} and {p.high:g}, "
                    f"not {number:g}."
                )
            values[name] = number
        return values

    def __call__(self, x: Tensor, **params: float) -> Tensor:
        return self.fn(x, **self.resolve(params))

    def module(self, **params: float) -> nn.Module:
        """The layer to put in a model, e.g. `nn.LeakyReLU(negative_slope=0.1)`."""
        return self.module_factory(**self.resolve(params))

    def kink_points(self, **params: float) -> tuple[Kink, ...]:
        return self.kinks(**self.resolve(params))

    def value_bounds(self, **params: float) -> tuple[float, float]:
        return self.bounds(**self.resolve(params))


def kink_at_zero(slope_param: str) -> Callable[..., tuple[Kink, ...]]:
    """Leaky/PReLU/ELU-style kink at 0: torch uses the left slope, unless both slopes agree."""

    def kinks(**params: float) -> tuple[Kink, ...]:
        slope = params[slope_param]
        return () if slope == 1.0 else (Kink(0.0, slope, "left"),)

    return kinks
