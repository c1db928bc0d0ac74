"""A tiny network's forward and backward pass by hand, every chain-rule product written out.

Two inputs, one hidden layer of two units with a chosen activation, one output, one loss:

    z_j = w_j1·x1 + w_j2·x2 + b_j      h_j = act(z_j)      y_hat = v1·h1 + v2·h2 + c
    L = loss(y_hat, y)

The hand computation uses Python floats and the `math` module only, never torch, so checking
it against what `loss.backward()` leaves in `.grad` compares two independent calculations.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from core.engine.learning.activations.registry import MODEL_ACTIVATIONS
from core.errors import ConfigError
from core.number_text import read_numbers

MAX_TEXT_CHARS = 200  # longest text a number box accepts
MAX_ABS_VALUE = 100.0  # largest |number| for inputs, target and parameters
RANDOM_SCALE = 1.0  # random parameters are drawn uniformly from ±RANDOM_SCALE
DEFAULT_X = "1.0, 2.0"  # the page's starting inputs x1, x2
DEFAULT_Y = "1.0"  # the page's starting target
DEFAULT_PARAMS = "0.5, -0.4, 0.8, 0.2, 0.1, -0.1, 1.0, -0.7, 0.2"  # w11 w12 w21 w22 b1 b2 v1 v2 c

# The graph's nodes; ASCII ids in code, pretty names on the page.
PARAMS = ("w11", "w12", "w21", "w22", "b1", "b2", "v1", "v2", "c")
LABELS = {
    "x1": "x₁", "x2": "x₂", "y": "y", "z1": "z₁", "z2": "z₂", "h1": "h₁", "h2": "h₂",
    "w11": "w₁₁", "w12": "w₁₂", "w21": "w₂₁", "w22": "w₂₂", "b1": "b₁", "b2": "b₂",
    "v1": "v₁", "v2": "v₂", "c": "c", "y_hat": "ŷ", "L": "L",
}  # fmt: skip
# Edges point the way the forward pass flows; backward walks them in reverse.
EDGES = (
    ("x1", "z1"), ("x2", "z1"), ("w11", "z1"), ("w12", "z1"), ("b1", "z1"),
    ("x1", "z2"), ("x2", "z2"), ("w21", "z2"), ("w22", "z2"), ("b2", "z2"),
    ("z1", "h1"), ("z2", "h2"),
    ("h1", "y_hat"), ("h2", "y_hat"), ("v1", "y_hat"), ("v2", "y_hat"), ("c", "y_hat"),
    ("y_hat", "L"), ("y", "L"),
)  # fmt: skip


def _sigmoid(z: float) -> float:
    # Two branches so exp never overflows, whatever the sign of z.
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _phi(z: float) -> float:
    return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)


def _Phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2)))


@dataclass(frozen=True)
class HandRule:
    """An activation worked out by hand, for the chain rule; torch's layer must agree."""

    formula: str  # act(z) as the page prints it
    derivative: str  # act'(z) as the page prints it
    f: Callable[[float], float]  # act(z) by hand
    df: Callable[[float], float]  # act'(z) by hand


def activation_layer(name: str) -> nn.Module:
    """The activation registry's layer for `name`; Identity is no activation at all."""
    return nn.Identity() if name == "Identity" else MODEL_ACTIVATIONS[name].module()


LEAK = 0.01  # LeakyReLU's slope for z < 0, torch's default

# Keys are the activation registry's model names (plus Identity: no activation at all).
HAND_RULES: dict[str, HandRule] = {
    "Sigmoid": HandRule(
        "σ(z) = 1/(1+e⁻ᶻ)", "σ(z)·(1−σ(z))",
        _sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z)),
    ),
    "Tanh": HandRule(
        "tanh(z)", "1 − tanh²(z)", math.tanh, lambda z: 1 - math.tanh(z) ** 2
    ),
    "ReLU": HandRule(
        "max(0, z)", "1 if z > 0 else 0",
        lambda z: max(0.0, z), lambda z: 1.0 if z > 0 else 0.0,
    ),
    "LeakyReLU": HandRule(
        f"z if z > 0 else {LEAK}·z", f"1 if z > 0 else {LEAK}",
        lambda z: z if z > 0 else LEAK * z, lambda z: 1.0 if z > 0 else LEAK,
    ),
    "ELU": HandRule(
        "z if z > 0 else eᶻ − 1", "1 if z > 0 else eᶻ",
        lambda z: z if z > 0 else math.expm1(z), lambda z: 1.0 if z > 0 else math.exp(z),
    ),
    "SiLU": HandRule(
        "z·σ(z)", "σ(z)·(1 + z·(1−σ(z)))",
        lambda z: z * _sigmoid(z), lambda z: _sigmoid(z) * (1 + z * (1 - _sigmoid(z))),
    ),
    "GELU": HandRule(
        "z·Φ(z)", "Φ(z) + z·φ(z)", lambda z: z * _Phi(z), lambda z: _Phi(z) + z * _phi(z)
    ),
    "Identity": HandRule("z", "1", lambda z: z, lambda z: 1.0),
}  # fmt: skip


@dataclass(frozen=True)
class Loss:
    formula: str  # L(ŷ, y) as the page prints it
    derivative: str  # ∂L/∂ŷ as the page prints it
    f: Callable[[float, float], float]  # L(ŷ, y) by hand
    df: Callable[[float, float], float]  # ∂L/∂ŷ by hand
    torch_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # what PyTorch calls it


def _bce(y_hat: float, y: float) -> float:
    # −[y·log σ(ŷ) + (1−y)·log(1−σ(ŷ))], rearranged so that no log ever sees 0.
    return max(y_hat, 0.0) - y_hat * y + math.log1p(math.exp(-abs(y_hat)))


LOSSES: dict[str, Loss] = {
    "squared error": Loss(
        "(ŷ − y)²", "2·(ŷ − y)",
        lambda y_hat, y: (y_hat - y) * (y_hat - y), lambda y_hat, y: 2 * (y_hat - y), F.mse_loss,
    ),
    "cross-entropy": Loss(
        "−[y·log σ(ŷ) + (1−y)·log(1−σ(ŷ))]", "σ(ŷ) − y",
        _bce, lambda y_hat, y: _sigmoid(y_hat) - y, F.binary_cross_entropy_with_logits,
    ),
}  # fmt: skip


def parse_numbers(text: str, count: int, what: str) -> list[float]:
    """Exactly `count` numbers within ±MAX_ABS_VALUE, read from one of the page's boxes."""
    return read_numbers(text, what, count=count, max_abs=MAX_ABS_VALUE, max_chars=MAX_TEXT_CHARS)


@dataclass(frozen=True)
class TinyNet:
    x: tuple[float, float]  # the two inputs x1, x2
    y: float  # the target the output should reach
    params: dict[str, float]  # w11, w12, w21, w22, b1, b2, v1, v2, c: what training changes
    activation: str = "Sigmoid"  # a key of HAND_RULES, used by both hidden units
    loss: str = "squared error"  # a key of LOSSES


def make_net(x_text: str, y_text: str, params_text: str, activation: str, loss: str) -> TinyNet:
    """The network from the page's text boxes, with a clear message for anything wrong."""
    if activation not in HAND_RULES:
        raise ConfigError(
            f"Unknown activation {activation!r}. Choose one of: {', '.join(HAND_RULES)}."
        )
    if loss not in LOSSES:
        raise ConfigError(f"Unknown loss {loss!r}. Choose one of: {', '.join(LOSSES)}.")
    x = parse_numbers(x_text, 2, "Inputs x₁, x₂")
    (y,) = parse_numbers(y_text, 1, "Target y")
    if loss == "cross-entropy" and not 0.0 <= y <= 1.0:
        raise ConfigError(f"With cross-entropy the target is a probability in [0, 1], not {y:g}.")
    values = parse_numbers(params_text, len(PARAMS), "Parameters " + ", ".join(PARAMS))
    return TinyNet((x[0], x[1]), y, dict(zip(PARAMS, values, strict=True)), activation, loss)


def random_params(seed: int) -> str:
    """Nine random parameters as text for the page's box, the same for the same seed."""
    rng = random.Random(seed)
    return ", ".join(f"{rng.uniform(-RANDOM_SCALE, RANDOM_SCALE):.2f}" for _ in PARAMS)


def forward(net: TinyNet) -> dict[str, float]:
    """Every node's value, inputs to loss, with Python floats."""
    p, act = net.params, HAND_RULES[net.activation]
    v = {"x1": net.x[0], "x2": net.x[1], "y": net.y, **p}
    for j in ("1", "2"):
        v["z" + j] = p[f"w{j}1"] * v["x1"] + p[f"w{j}2"] * v["x2"] + p["b" + j]
        v["h" + j] = act.f(v["z" + j])
    v["y_hat"] = p["v1"] * v["h1"] + p["v2"] * v["h2"] + p["c"]
    v["L"] = LOSSES[net.loss].f(v["y_hat"], net.y)
    return v


def forward_lines(net: TinyNet, v: dict[str, float]) -> list[tuple[str, str, str]]:
    """(node, formula, formula with the numbers in) for each computed node, in forward order."""
    act = "act" if net.activation == "Identity" else net.activation.lower()
    lines = []
    for j, s in (("1", "₁"), ("2", "₂")):
        lines.append(
            (f"z{j}", f"z{s} = w{s}₁·x₁ + w{s}₂·x₂ + b{s}",
             f"({v[f'w{j}1']:.4g})·({v['x1']:.4g}) + ({v[f'w{j}2']:.4g})·({v['x2']:.4g}) "
             f"+ ({v['b' + j]:.4g}) = {v['z' + j]:.6g}"),
        )  # fmt: skip
        lines.append(
            (f"h{j}", f"h{s} = {act}(z{s})", f"{act}({v['z' + j]:.4g}) = {v['h' + j]:.6g}")
        )
    lines.append(
        ("y_hat", "ŷ = v₁·h₁ + v₂·h₂ + c",
         f"({v['v1']:.4g})·({v['h1']:.4g}) + ({v['v2']:.4g})·({v['h2']:.4g}) + ({v['c']:.4g}) "
         f"= {v['y_hat']:.6g}"),
    )  # fmt: skip
    lines.append(
        (
            "L",
            f"L = {LOSSES[net.loss].formula}",
            f"L({v['y_hat']:.4g}, {v['y']:.4g}) = {v['L']:.6g}",
        )
    )
    return lines


@dataclass(frozen=True)
class Term:
    upstream: str  # the node whose gradient is already known, e.g. "z1"
    upstream_grad: float  # ∂L/∂upstream
    local: str  # the local derivative ∂upstream/∂node as a formula, e.g. "x₁"
    local_value: float  # that local derivative's number


@dataclass(frozen=True)
class BackwardStep:
    node: str  # the node whose gradient this step finds
    terms: tuple[Term, ...]  # one chain-rule product per edge leaving the node
    grad: float  # ∂L/∂node = Σ upstream_grad · local_value

    def chain(self) -> str:
        """The chain rule for this node in symbols, e.g. ∂L/∂w₁₂ = ∂L/∂z₁ · x₁."""
        if not self.terms:
            return "∂L/∂L = 1 (where the chain starts)"
        return f"∂L/∂{LABELS[self.node]} = " + " + ".join(
            f"∂L/∂{LABELS[t.upstream]} · {t.local}" for t in self.terms
        )

    def numbers(self) -> str:
        """The same products with the numbers filled in."""
        if not self.terms:
            return "1"
        return " + ".join(f"({t.upstream_grad:.4g})·({t.local_value:.4g})" for t in self.terms) + (
            f" = {self.grad:.6g}"
        )


def backward(net: TinyNet, v: dict[str, float] | None = None) -> list[BackwardStep]:
    """The backward pass by hand: from L back to every parameter and input, one node at a time."""
    v = v or forward(net)
    act, loss = HAND_RULES[net.activation], LOSSES[net.loss]
    grads: dict[str, float] = {"L": 1.0}
    steps = [BackwardStep("L", (), 1.0)]  # ∂L/∂L = 1 starts the chain

    def step(node: str, *terms: tuple[str, str, float]) -> None:
        ts = tuple(Term(up, grads[up], local, value) for up, local, value in terms)
        grads[node] = math.fsum(t.upstream_grad * t.local_value for t in ts)
        steps.append(BackwardStep(node, ts, grads[node]))

    step("y_hat", ("L", loss.derivative, loss.df(v["y_hat"], v["y"])))
    step("c", ("y_hat", "1", 1.0))
    for j, s in (("1", "₁"), ("2", "₂")):
        step("v" + j, ("y_hat", f"h{s}", v["h" + j]))
    for j, s in (("1", "₁"), ("2", "₂")):
        step("h" + j, ("y_hat", f"v{s}", v["v" + j]))
    for j, s in (("1", "₁"), ("2", "₂")):
        step("z" + j, ("h" + j, f"{net.activation}′(z{s})", act.df(v["z" + j])))
    for j in ("1", "2"):
        step(f"w{j}1", ("z" + j, "x₁", v["x1"]))
        step(f"w{j}2", ("z" + j, "x₂", v["x2"]))
        step("b" + j, ("z" + j, "1", 1.0))
    for k, s in (("1", "₁"), ("2", "₂")):
        step("x" + k, ("z1", f"w₁{s}", v[f"w1{k}"]), ("z2", f"w₂{s}", v[f"w2{k}"]))
    return steps


def hand_gradients(net: TinyNet) -> dict[str, float]:
    """∂L/∂node for every node, by hand."""
    return {s.node: s.grad for s in backward(net)}


def torch_forward(net: TinyNet) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """The same network in PyTorch (float64, so rounding cannot hide a wrong formula)."""
    p = net.params

    def leaf(values: list) -> torch.Tensor:
        return torch.tensor(values, dtype=torch.float64, requires_grad=True)

    t = {
        "X": leaf(list(net.x)),  # (2,) inputs: requires_grad too, to get ∂L/∂x
        "W1": leaf([[p["w11"], p["w12"]], [p["w21"], p["w22"]]]),  # (2, 2) hidden weights
        "b1": leaf([p["b1"], p["b2"]]),  # (2,)
        "w2": leaf([p["v1"], p["v2"]]),  # (2,) output weights
        "b2": leaf([p["c"]]),  # (1,)
    }
    y = torch.tensor([net.y], dtype=torch.float64)  # (1,) the target needs no gradient
    t["z"] = t["W1"] @ t["X"] + t["b1"]  # (2,)
    t["h"] = activation_layer(net.activation)(t["z"])  # (2,)
    t["y_hat"] = (t["w2"] @ t["h"] + t["b2"]).reshape(1)  # (1,)
    for name in ("z", "h", "y_hat"):
        t[name].retain_grad()  # keep .grad on inner nodes too, so every step can be checked
    return t, LOSSES[net.loss].torch_fn(t["y_hat"], y)


def named_numbers(t: dict[str, torch.Tensor], attr: str | None = None) -> dict[str, float]:
    """Name each number of the torch tensors (or of their .grad) like the hand computation."""

    def get(name: str) -> list[float]:
        x = t[name] if attr is None else getattr(t[name], attr)
        return x.detach().reshape(-1).tolist()

    (w11, w12, w21, w22), (b1, b2), (v1, v2), (c,) = get("W1"), get("b1"), get("w2"), get("b2")
    out = dict(w11=w11, w12=w12, w21=w21, w22=w22, b1=b1, b2=b2, v1=v1, v2=v2, c=c)
    if attr is not None:
        (x1, x2), (z1, z2), (h1, h2), (y_hat,) = get("X"), get("z"), get("h"), get("y_hat")
        out.update(x1=x1, x2=x2, z1=z1, z2=z2, h1=h1, h2=h2, y_hat=y_hat)
    return out


def autograd_gradients(net: TinyNet) -> dict[str, float]:
    """What `loss.backward()` puts in `.grad` for every node (and 1.0 for L itself)."""
    t, loss = torch_forward(net)
    loss.backward()
    return {"L": 1.0, **named_numbers(t, "grad")}


def agree(a: float, b: float) -> bool:
    """Equal up to float64 rounding: the two calculations add the same terms in other orders."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def gradient_rows(steps: list[BackwardStep], autograd: dict[str, float]) -> list[dict[str, object]]:
    """One row per backward step: the chain rule, its numbers, and autograd's .grad beside it."""
    return [
        {
            "node": LABELS[s.node],
            "chain rule": s.chain(),
            "numbers": s.numbers(),
            "∂L/∂node by hand": s.grad,
            ".grad from loss.backward()": autograd[s.node],
            "agree": agree(s.grad, autograd[s.node]),
        }
        for s in steps
    ]
