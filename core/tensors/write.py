"""Write through a view and see who changes; and the writes and views torch refuses, and why.

Views share memory, so writing one element of a view changes x and every other view of the
same storage, while copies keep their old values. Each write runs on a freshly built x, so the
learner's x on the page is never modified.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from core.errors import ParseError
from core.tensors.base import BaseSpec, address, format_value, make_base, same_storage
from core.tensors.dtypes import check_value_fits
from core.tensors.evaluate import evaluate
from core.tensors.parse import Chain

MAX_CHANGES_SHOWN = 6  # changed elements listed by name; the count covers the rest
WRITE_MODES = {
    "element": "set one element: v[i] = value",
    "add": "add to every element: v += value",
}


@dataclass
class Changed:
    name: str  # "x", "v1", "v2"...
    code: str  # the expression that made it, e.g. "x.t()"
    shares_storage: bool  # a view of x's storage (so a write to one may show in the other)
    before: torch.Tensor  # its values before the write (cpu)
    after: torch.Tensor  # its values after the write (cpu)
    changed: torch.Tensor  # bool, same shape: which elements changed

    @property
    def count(self) -> int:
        return int(self.changed.sum())

    def summary(self, shown: int = MAX_CHANGES_SHOWN) -> str:
        """'**x** (the base tensor): 1 element(s) changed: x[1, 1]: 1.0 → 100.0'."""
        kind = (
            "the base tensor"
            if self.name == "x"
            else "view of x"
            if self.shares_storage
            else "copy"
        )
        head = f"**{self.name}** ({kind})"
        if not self.count:
            return f"{head}: unchanged"
        changes = []
        for position in self.changed.nonzero().tolist()[:shown]:
            p = tuple(position)
            old = format_value(self.before[p].item(), self.before.dtype)
            new = format_value(self.after[p].item(), self.after.dtype)
            changes.append(f"{self.name}[{', '.join(map(str, p))}]: {old} → {new}")
        more = ", ..." if self.count > shown else ""
        return f"{head}: {self.count} element(s) changed: {', '.join(changes)}{more}"


@dataclass
class WriteResult:
    code: str  # the write as PyTorch, e.g. "v1[1, 0] = 100.0"
    error: str | None  # torch's refusal and why, or None when the write went through
    tensors: list[Changed]  # x and every step, in chain order


def step_names(count: int) -> list[str]:
    """x, then v1, v2, ... for the chain's intermediate results (the names the code uses)."""
    return ["x", *(f"v{k}" for k in range(1, count + 1))]


def write_through(
    spec: BaseSpec,
    chain: Chain,
    target: int,
    index: tuple[int, ...],
    value: float | int | bool,
    mode: str = "element",
) -> WriteResult:
    """Write into result `target` (0 = x) and report which elements of x and each step changed."""
    if mode not in WRITE_MODES:
        raise ParseError(f"Unknown write mode {mode!r}. Choose one of: {', '.join(WRITE_MODES)}.")
    x = make_base(spec)
    steps = evaluate(chain, x)
    tensors = [x, *(s.tensor for s in steps)]
    codes = ["x", *(s.code for s in steps)]
    names = step_names(len(steps))
    if not 0 <= target < len(tensors):
        raise ParseError(f"Pick one of {', '.join(names)} to write into.")
    t = tensors[target]
    if not t.dtype.is_floating_point and isinstance(value, float) and value.is_integer():
        value = int(value)  # a number input gives 100.0; an int tensor takes 100
    check_value_fits(value, t.dtype)
    before = [_snapshot(u) for u in tensors]
    error = None
    if mode == "element":
        address(t, index)  # checks the index against the view's size
        code = f"{names[target]}[{', '.join(map(str, index))}] = {value!r}"
        try:
            t[index] = value
        except RuntimeError as exc:
            error = _refusal(str(exc))
    else:
        code = f"{names[target]} += {value!r}"
        try:
            t.add_(value)
        except RuntimeError as exc:
            error = _refusal(str(exc))
    changed = [
        Changed(name, c, same_storage(u, x), b, _snapshot(u), _differs(b, _snapshot(u)))
        for name, c, u, b in zip(names, codes, tensors, before, strict=True)
    ]
    return WriteResult(code, error, changed)


def _snapshot(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to("cpu", copy=True)


def _differs(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Elementwise "changed", where nan -> nan counts as unchanged."""
    same = a == b
    if a.dtype.is_floating_point:
        same |= a.isnan() & b.isnan()
    return ~same


def _refusal(message: str) -> str:
    first = " ".join(message.strip().splitlines()[0].split()) if message.strip() else "refused"
    why = (
        " The tensor is expanded: several of its elements are one memory cell (stride 0), so "
        "an in-place update would write the same cell more than once. Write into x (or a "
        "non-expanded view) instead, or make a real copy first with .clone()."
        if "single memory location" in first
        else ""
    )
    return f"torch refused: {first}{why}"


@dataclass(frozen=True)
class Failure:
    title: str  # what the learner tried
    code: str  # the lines that fail
    error: str  # torch's own message, captured live
    why: str  # the reason, in plain words
    fix_code: str  # lines that work instead
    fix_result: str  # what the fix gives (size, stride, view or copy), computed live


def failure_demos() -> list[Failure]:
    """The two classic refusals, run live on a small tensor so the messages are torch's own."""
    a = torch.arange(6.0).reshape(2, 3)  # (2, 3)
    e = a.unsqueeze(0).expand(2, 2, 3)  # (2, 2, 3), stride (0, 3, 1)
    expand_error = _capture(lambda: e.add_(1))
    fixed = e.clone()
    fixed += 1
    t = a.t()  # (3, 2), stride (1, 3): not contiguous
    view_error = _capture(lambda: t.view(6))
    reshaped, contiguous = t.reshape(6), t.contiguous().view(6)
    return [
        Failure(
            title="Writing into an expanded tensor",
            code="a = torch.arange(6.0).reshape(2, 3)\ne = a.unsqueeze(0).expand(2, 2, 3)"
            "  # stride (0, 3, 1)\ne += 1",
            error=expand_error,
            why="expand() repeats data without copying it: along the new dim the stride is 0, so "
            "e[0, i, j] and e[1, i, j] are the same memory cell. An in-place update would write "
            "each cell twice, so torch refuses. (Setting one element, e[0, 0, 0] = 9, is allowed "
            "and shows up in both copies.)",
            fix_code="e = a.unsqueeze(0).expand(2, 2, 3).clone()  # real memory for each element"
            "\ne += 1",
            fix_result=f"e.clone() has stride {fixed.stride()} and its own storage "
            f"({fixed.untyped_storage().nbytes()} bytes); a is unchanged.",
        ),
        Failure(
            title="view() on a non-contiguous tensor",
            code="a = torch.arange(6.0).reshape(2, 3)\nt = a.t()  # stride (1, 3)\nt.view(6)",
            error=view_error,
            why="view() never copies: it only computes new strides over the same storage. Reading "
            "t row by row visits storage cells 0, 3, 1, 4, 2, 5; no single stride walks that "
            "order, so there is no view of shape (6,).",
            fix_code="t.reshape(6)  # a view when possible, otherwise a copy\n"
            "t.contiguous().view(6)  # copy into row-major order, then view",
            fix_result=f"t.reshape(6) -> {reshaped.tolist()} "
            f"({'view' if same_storage(reshaped, a) else 'copy, new storage'}); "
            f"t.contiguous().view(6) -> {contiguous.tolist()} "
            f"({'view' if same_storage(contiguous, a) else 'copy, new storage'}).",
        ),
    ]


def _capture(fn: Callable[[], object]) -> str:
    try:
        fn()
    except RuntimeError as exc:
        return " ".join(str(exc).strip().splitlines()[0].split())
    return "(torch accepted it in this version)"
