"""Run a checked chain (core.tensors.parse) on a tensor, one step at a time, sizes checked first.

Each operation is first run on a *meta* mirror of the tensor (same size, stride, offset and
storage length, but no memory), which gives torch's own result shape, or torch's own error,
without allocating anything. Only a result within the limits is then computed for real.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from core.errors import LimitError, TorchlabError
from core.tensors.methods import METHODS
from core.tensors.parse import Chain, IndexList, Mask, Op

MAX_ELEMENTS = 10_000_000  # elements in x or in any intermediate result
MAX_DIMS = 8  # dimensions of any intermediate result
MAX_COPY_BYTES = 512 * 2**20  # new memory (copies) one chain may allocate, all steps together

_COMPARE = {
    ">": torch.gt,
    ">=": torch.ge,
    "<": torch.lt,
    "<=": torch.le,
    "==": torch.eq,
    "!=": torch.ne,
}
# Every allowed method, looked up by its checked name in this fixed table (never getattr on text).
_FUNCTIONS = {name: getattr(torch.Tensor, name) for name in METHODS}
_ATTRIBUTES = {"T": lambda t: t.T, "mT": lambda t: t.mT}


class TensorOpError(TorchlabError):
    """torch refused an operation on the learner's tensor; the message says why and the fix."""


class IndexRangeError(TensorOpError):
    """An index is outside a dimension; the message gives the valid range."""


@dataclass
class Step:
    code: str  # the expression up to and including this step, e.g. "x.t()[1:]"
    op: str  # this step alone, e.g. "[1:]"
    tensor: torch.Tensor  # its result


def evaluate(chain: Chain, x: torch.Tensor, reservation: Any = None) -> list[Step]:
    """Apply the chain to x, returning every intermediate result (x itself is not a step).
    Each copy is added to `reservation` (a core.tensors.budget.Reservation) as it is made."""
    check_elements(x, "x")
    steps: list[Step] = []
    t = x
    code = "x"
    copied = 0
    for op in chain.ops:
        code += op.code
        previous, t = t, apply_op(t, op, x, code)
        if t.untyped_storage().data_ptr() != previous.untyped_storage().data_ptr():
            copied += t.untyped_storage().nbytes()
            if copied > MAX_COPY_BYTES:
                raise LimitError(
                    f"`{code}`: the copies in this chain take {copied / 2**20:,.1f} MiB; the "
                    f"limit is {MAX_COPY_BYTES / 2**20:,.1f} MiB. Use views, or a smaller x."
                )
            if reservation is not None:
                reservation.add(t.untyped_storage().nbytes())
        steps.append(Step(code, op.code, t))
    return steps


def write_index(t: torch.Tensor, op: Op, x: torch.Tensor, value: Any, code: str) -> None:
    """`t[index] = value` as torch does it: into the storage the elements share."""
    try:
        index = _index(t, op.args, x)
    except IndexRangeError as exc:
        raise IndexRangeError(f"`{code}`: {exc}") from None
    _call_torch(lambda r: r.__setitem__(index, value), t, code)


def check_elements(t: torch.Tensor, code: str) -> None:
    if t.numel() > MAX_ELEMENTS:
        raise LimitError(f"`{code}` has {t.numel():,} elements; the limit is {MAX_ELEMENTS:,}.")
    if t.dim() > MAX_DIMS:
        raise LimitError(f"`{code}` has {t.dim()} dimensions; the limit is {MAX_DIMS}.")


def meta_mirror(t: torch.Tensor) -> torch.Tensor:
    """A meta tensor with t's size, stride, offset and storage length, and no memory at all."""
    length = t.untyped_storage().nbytes() // t.element_size()
    base = torch.empty(length, dtype=t.dtype, device="meta")
    return base.as_strided(t.size(), t.stride(), t.storage_offset())


def apply_op(t: torch.Tensor, op: Op, x: torch.Tensor, code: str) -> torch.Tensor:
    """One operation: checked on the meta mirror (shape, limits, torch's errors), then real."""
    if op.kind == "index":
        try:
            index = _index(t, op.args, x)
        except IndexRangeError as exc:
            raise IndexRangeError(f"`{code}`: {exc}") from None
        meta_index = tuple(_meta_index_item(item) for item in index)
        run = _call_torch(lambda m: m[_flatten_masks(meta_index)], meta_mirror(t), code)
        check_elements(run, code)
        return _call_torch(lambda r: r[index], t, code)
    run = _call_torch(lambda m: _apply(m, op), meta_mirror(t), code)
    check_elements(run, code)
    return _call_torch(lambda r: _apply(r, op), t, code)


def _apply(t: torch.Tensor, op: Op) -> torch.Tensor:
    if op.kind == "attribute":
        return _ATTRIBUTES[op.name](t)
    return _FUNCTIONS[op.name](t, *op.args, **dict(op.kwargs))


def _call_torch(fn: Any, t: torch.Tensor, code: str) -> torch.Tensor:
    """Run fn(t), turning torch's exceptions into a message that names the step and the fix."""
    try:
        return fn(t)
    except (RuntimeError, IndexError, ValueError, TypeError, NotImplementedError) as exc:
        lines = str(exc).strip().splitlines()
        message = " ".join(lines[0].split()) if lines else type(exc).__name__
        if len(message) > 400:
            message = message[:400] + "..."
        message = message if message.endswith((".", "?", "!")) else message + "."
        raise TensorOpError(f"`{code}` failed: {message}{_hint(message)}") from None


def _hint(message: str) -> str:
    """What to do about the errors a learner meets most, in plain words."""
    if "view size is not compatible" in message:
        return (
            " view() never copies, so it needs strides that describe the new shape over the "
            "same storage, and this tensor is not contiguous. Use .reshape(...) (which copies "
            "when it must) or .contiguous().view(...)."
        )
    if "is invalid for input of size" in message:
        return (
            " A new shape must have the same number of elements as the tensor; at most one "
            "size may be -1, meaning 'work it out'."
        )
    if "expanded size" in message:
        return " expand() can only stretch dims of size 1 (stride 0); use -1 to keep a size."
    if "out of bounds for storage" in message:
        return (
            " as_strided may only touch the existing storage: offset + Σ (size−1)·stride must "
            "be below the storage length."
        )
    if "Negative strides" in message or "negative stride" in message:
        return " torch strides cannot be negative; use .flip(dim), which copies."
    return ""


def _mask(mask: Mask, x: torch.Tensor) -> torch.Tensor:
    """Evaluate a mask: its tensor side is a chain on x, checked like any other chain."""
    if mask.op in ("&", "|"):
        assert isinstance(mask.left, Mask) and isinstance(mask.right, Mask)
        left, right = _mask(mask.left, x), _mask(mask.right, x)
        combine = torch.logical_and if mask.op == "&" else torch.logical_or
        return _call_torch(lambda a: combine(a, right), left, f"mask {mask.op}")
    if mask.op == "~":
        assert isinstance(mask.left, Mask)
        return torch.logical_not(_mask(mask.left, x))
    assert isinstance(mask.left, Chain)
    steps = evaluate(mask.left, x)
    side = steps[-1].tensor if steps else x
    value = mask.right
    return _call_torch(lambda s: _COMPARE[mask.op](s, value), side, f"{mask.left.code} {mask.op}")


def _index(t: torch.Tensor, items: tuple[Any, ...], x: torch.Tensor) -> tuple[Any, ...]:
    """Turn checked index items into torch index objects, checking every range first."""
    index = []
    for item in items:
        if isinstance(item, IndexList):
            index.append(torch.tensor(item.values, dtype=torch.long, device=t.device))
        elif isinstance(item, Mask):
            index.append(_mask(item, x).to(t.device))
        else:
            index.append(item)
    check_index(tuple(t.shape), tuple(index))
    return tuple(index)


def check_index(shape: tuple[int, ...], index: tuple[Any, ...]) -> None:
    """Refuse indices outside their dimension, with the valid range, before torch sees them."""
    used = sum(
        item.dim() if _is_mask(item) else (0 if item is None or item is Ellipsis else 1)
        for item in index
    )
    if used > len(shape):
        raise IndexRangeError(
            f"Too many indices: the tensor has {len(shape)} dimension(s) but the index uses {used}."
        )
    dim = 0
    for item in index:
        if item is Ellipsis:
            dim += len(shape) - used
        elif _is_mask(item):
            covered = tuple(shape[dim : dim + item.dim()])
            if tuple(item.shape) != covered:
                raise IndexRangeError(
                    f"The mask has shape {tuple(item.shape)} but it indexes dims of sizes "
                    f"{covered}; a mask must have the shape of what it selects from."
                )
            dim += item.dim()
        elif isinstance(item, int | torch.Tensor):
            values = [item] if isinstance(item, int) else item.tolist()
            size = shape[dim]
            for value in values:
                if not -size <= value < size:
                    valid = f"valid: {-size} to {size - 1}" if size else "it is empty"
                    raise IndexRangeError(
                        f"Index {value} is out of range for dimension {dim} of size {size} "
                        f"({valid})."
                    )
            dim += 1
        elif isinstance(item, slice):
            dim += 1


def _is_mask(item: Any) -> bool:
    return isinstance(item, torch.Tensor) and item.dtype == torch.bool


def _meta_index_item(item: Any) -> Any:
    """Masks become their nonzero positions, so the meta run needs no data-dependent shape."""
    if _is_mask(item):
        return item.cpu().nonzero(as_tuple=True)
    if isinstance(item, torch.Tensor):
        return item.cpu()
    return item


def _flatten_masks(items: tuple[Any, ...]) -> tuple[Any, ...]:
    flat: list[Any] = []
    for item in items:
        flat.extend(item if isinstance(item, tuple) else (item,))
    return tuple(flat)
