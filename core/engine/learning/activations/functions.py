"""The torch calls behind each activation: one small named function each.

Every value is computed by `torch` / `torch.nn.functional`, never by a re-typed formula, and
each function is small so that "show the code" prints exactly what computes a curve.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def sigmoid(x: Tensor) -> Tensor:
    return torch.sigmoid(x)


def tanh(x: Tensor) -> Tensor:
    return torch.tanh(x)


def relu(x: Tensor) -> Tensor:
    return F.relu(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return F.leaky_relu(x, negative_slope)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    return F.elu(x, alpha)


def selu(x: Tensor) -> Tensor:
    return F.selu(x)


def gelu(x: Tensor) -> Tensor:
    return F.gelu(x, approximate="none")


def gelu_tanh(x: Tensor) -> Tensor:
    return F.gelu(x, approximate="tanh")


def swish(x: Tensor, beta: float = 1.0) -> Tensor:
    # x·σ(βx) = SiLU(βx)/β: torch's SiLU does the work, β only rescales its input and output.
    return F.silu(beta * x) / beta


def softplus(x: Tensor, beta: float = 1.0) -> Tensor:
    return F.softplus(x, beta=beta)


def mish(x: Tensor) -> Tensor:
    return F.mish(x)


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return F.hardtanh(x, min_val, max_val)


def hardswish(x: Tensor) -> Tensor:
    return F.hardswish(x)


def relu6(x: Tensor) -> Tensor:
    return F.relu6(x)


def prelu(x: Tensor, a: float = 0.25) -> Tensor:
    # In a model `a` is a learned weight (nn.PReLU); here it is a slider.
    weight = torch.tensor([a], dtype=x.dtype, device=x.device)
    return F.prelu(x, weight)


def softsign(x: Tensor) -> Tensor:
    return F.softsign(x)


def step(x: Tensor) -> Tensor:
    # torch.heaviside has no derivative in autograd: a step gives gradient descent nothing.
    return torch.heaviside(x, torch.zeros((), dtype=x.dtype, device=x.device))


def softmax(x: Tensor) -> Tensor:
    return F.softmax(x, dim=-1)


class Swish(nn.Module):
    """x·σ(βx) as a layer; β = 1 is `nn.SiLU`."""

    def __init__(self, beta: float = 1.0):
        super().__init__()
        self.beta = beta

    def forward(self, x: Tensor) -> Tensor:
        return swish(x, self.beta)

    def extra_repr(self) -> str:
        return f"beta={self.beta}"


class Step(nn.Module):
    """The Heaviside step as a layer, for contrast: a model using it cannot be trained."""

    def forward(self, x: Tensor) -> Tensor:
        return step(x)
