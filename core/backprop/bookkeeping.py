"""Autograd's bookkeeping: who requires grad, the grad_fn chain, and .grad adding up.

backward() adds into .grad, it never overwrites it. That is why every training loop calls
optimizer.zero_grad() before loss.backward(): otherwise each batch's gradient would be
added to all the previous ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from core.backprop.tinynet import TinyNet, parse_numbers, torch_forward

MAX_CHAIN_LINES = 40  # longest grad_fn chain the page prints


@dataclass(frozen=True)
class TensorRow:
    name: str  # the Python name, e.g. "y_hat"
    code: str  # the line that made it
    value: float  # its number
    requires_grad: bool  # will autograd track operations on it?
    is_leaf: bool  # made by the user (a leaf) rather than by an operation
    grad_fn: str  # the backward function autograd recorded, "None" for leaves


@dataclass(frozen=True)
class GradEvent:
    code: str  # the line just run
    w_grad: float | None  # w.grad afterwards (None: no .grad at all)
    b_grad: float | None  # b.grad afterwards
    x_grad: float | None  # x.grad afterwards: always None, x does not require grad


@dataclass(frozen=True)
class Bookkeeping:
    rows: list[TensorRow]  # every tensor of the expression, with autograd's flags
    chain: list[str]  # L.grad_fn and everything behind it, one line per node
    events: list[GradEvent]  # .grad after each backward() and zero_grad()
    dL_dw: float  # ∂L/∂w = 2·(ŷ − y)·x by hand: what one backward() adds to w.grad
    dL_db: float  # ∂L/∂b = 2·(ŷ − y) by hand


def _grad(t: torch.Tensor) -> float | None:
    return None if t.grad is None else t.grad.item()


def _fn_name(t: torch.Tensor) -> str:
    return "None" if t.grad_fn is None else type(t.grad_fn).__name__


def grad_fn_chain(
    loss: torch.Tensor, leaves: dict[str, torch.Tensor], max_lines: int = MAX_CHAIN_LINES
) -> list[str]:
    """loss.grad_fn, then its next_functions, depth first: the graph backward() will walk."""
    lines: list[str] = []

    def walk(fn, depth: int) -> None:
        if fn is None or len(lines) > max_lines:
            return
        label = type(fn).__name__
        variable = getattr(fn, "variable", None)  # AccumulateGrad holds the leaf it fills
        if variable is not None:
            name = next((n for n, t in leaves.items() if t is variable), "a leaf")
            label += f" → adds into {name}.grad"
        lines.append("    " * depth + label)
        for next_fn, _ in fn.next_functions:
            walk(next_fn, depth + 1)

    walk(loss.grad_fn, 0)
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"… (cut at {max_lines} lines)"]
    return lines


def bookkeeping(text: str) -> Bookkeeping:
    """Run L = (w·x + b − y)² with w, b, x, y from `text`, and record what autograd keeps."""
    w_val, b_val, x_val, y_val = parse_numbers(text, 4, "w, b, x, y")
    w = torch.tensor(w_val, dtype=torch.float64, requires_grad=True)  # a parameter
    b = torch.tensor(b_val, dtype=torch.float64, requires_grad=True)  # a parameter
    x = torch.tensor(x_val, dtype=torch.float64)  # data: no gradient needed
    y = torch.tensor(y_val, dtype=torch.float64)  # the target: no gradient needed
    y_hat = w * x + b
    L = (y_hat - y) ** 2
    with torch.no_grad():
        y_hat_eval = w * x + b  # the same sum, but nothing is recorded
    made = [
        ("w", "torch.tensor(w, requires_grad=True)", w),
        ("b", "torch.tensor(b, requires_grad=True)", b),
        ("x", "torch.tensor(x)", x),
        ("y", "torch.tensor(y)", y),
        ("y_hat", "w * x + b", y_hat),
        ("L", "(y_hat - y) ** 2", L),
        ("y_hat_eval", "with torch.no_grad(): w * x + b", y_hat_eval),
    ]
    rows = [
        TensorRow(n, code, t.item(), t.requires_grad, t.is_leaf, _fn_name(t)) for n, code, t in made
    ]
    chain = grad_fn_chain(L, {"w": w, "b": b})
    optimizer = torch.optim.SGD([w, b], lr=0.1)
    events = []

    def record(code: str) -> None:
        events.append(GradEvent(code, _grad(w), _grad(b), _grad(x)))

    record("(nothing run yet)")
    L.backward(retain_graph=True)  # keep the graph so we can call backward a second time
    record("L.backward(retain_graph=True)")
    L.backward()
    record("L.backward()  # again: adds, does not replace")
    optimizer.zero_grad()
    record("optimizer.zero_grad()")
    ((w * x + b - y) ** 2).backward()
    record("L = (w * x + b - y) ** 2; L.backward()")
    residual = w_val * x_val + b_val - y_val
    return Bookkeeping(rows, chain, events, 2 * residual * x_val, 2 * residual)


def tiny_net_chain(net: TinyNet) -> list[str]:
    """The grad_fn chain of the tiny network's loss, as PyTorch recorded it."""
    t, loss = torch_forward(net)
    return grad_fn_chain(loss, {k: t[k] for k in ("X", "W1", "b1", "w2", "b2")})
