"""Vanishing gradients: backprop multiplies one derivative per layer, and small factors compound.

Through N stacked layers h_n = f(w·h_{n-1}), the chain rule gives
d h_N / d h_0 = ∏ w·f'(w·h_{n-1}). Sigmoid's f' is at most 0.25, so the product is at most
(0.25·|w|)^N; ReLU's f' is exactly 1 on positive inputs, so the product does not shrink.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from core.engine.learning.activations.registry import get_activation
from core.errors import ConfigError, LimitError

MAX_DEPTH = 60  # layers in the chain
MAX_ABS_WEIGHT = 5.0  # |w| of every layer
MAX_ABS_INPUT = 10.0  # |h_0|
SIGMOID_MAX_SLOPE = 0.25  # σ'(0) = σ(0)(1 - σ(0)) = 1/4, its largest value
DEFAULT_KEYS = ("sigmoid", "tanh", "relu")


@dataclass
class ChainGradients:
    depths: list[int]  # 1..N
    weight: float  # w, the same in every layer
    x0: float  # h_0, the input to the first layer
    gradients: dict[str, list[float]]  # key -> d h_n / d h_0 for n = 1..N, by autograd
    factors: dict[str, list[float]]  # key -> the n-th factor w·f'(w·h_{n-1}), by autograd
    sigmoid_bound: list[float]  # (0.25·|w|)^n: no sigmoid chain can do better


def check_chain(depth: int, weight: float, x0: float) -> None:
    if not 1 <= depth <= MAX_DEPTH:
        raise LimitError(f"Use a depth of 1 to {MAX_DEPTH} layers, not {depth}.")
    if not (math.isfinite(weight) and abs(weight) <= MAX_ABS_WEIGHT):
        raise LimitError(f"Keep the weight w within ±{MAX_ABS_WEIGHT:g}.")
    if not (math.isfinite(x0) and abs(x0) <= MAX_ABS_INPUT):
        raise LimitError(f"Keep the input within ±{MAX_ABS_INPUT:g}.")


def chain_gradients(
    keys: list[str] | tuple[str, ...] = DEFAULT_KEYS,
    depth: int = 20,
    weight: float = 1.0,
    x0: float = 0.5,
) -> ChainGradients:
    """d h_n / d h_0 at every depth n, each from its own autograd backward pass."""
    check_chain(depth, weight, x0)
    if not keys:
        raise ConfigError("Pick at least one activation.")
    gradients: dict[str, list[float]] = {}
    factors: dict[str, list[float]] = {}
    for key in keys:
        spec = get_activation(key)
        if not (spec.elementwise and spec.has_gradient):
            raise ConfigError(f"{spec.name} has no per-layer derivative to multiply; pick another.")
        h0 = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
        hs = [h0]
        for _ in range(depth):
            hs.append(spec(weight * hs[-1]))  # h_n = f(w·h_{n-1})
        gradients[key] = [torch.autograd.grad(h, h0, retain_graph=True)[0].item() for h in hs[1:]]
        # Each layer's own factor d h_n / d h_{n-1}, with its input held fixed.
        local = []
        for prev in hs[:-1]:
            z = prev.detach().requires_grad_(True)
            (slope,) = torch.autograd.grad(spec(weight * z), z)
            local.append(slope.item())
        factors[key] = local
    depths = list(range(1, depth + 1))
    bound = [(SIGMOID_MAX_SLOPE * abs(weight)) ** n for n in depths]
    return ChainGradients(depths, weight, x0, gradients, factors, bound)
