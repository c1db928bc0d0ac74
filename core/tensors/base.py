"""A tensor is a view over storage: build the base tensor x and read back its view numbers.

Everything the tensor page reports (size, stride, offset, contiguity, view or copy, the storage
index of each element) comes from here, and from torch itself wherever torch can say it.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass

import torch

from core.engine.learning.chapter import POINTS_TEXT
from core.errors import LimitError, ParseError
from core.tensors.dtypes import check_value_fits, dtype_from_name, dtype_name
from core.tensors.evaluate import MAX_ELEMENTS
from core.tensors.methods import number_literal

MAX_BASE_DIMS = 4  # x has 1 to 4 dimensions
MAX_VALUES_TEXT = 20_000  # characters of typed values
MAX_TYPED_VALUES = 10_000  # numbers in typed values
FILLS = ("arange", "zeros", "ones", "random", "values")
SEED_POINTS = POINTS_TEXT  # the seed chapter's `points`


@dataclass
class BaseSpec:
    shape: tuple[int, ...] = (3, 4)  # size of x (ignored when fill == "values")
    dtype: str = "float32"  # a name in core.tensors.dtypes.DTYPES
    fill: str = "arange"  # one of FILLS; arange makes each value equal its storage index
    seed: int = 0  # seeds fill == "random"
    values: str = SEED_POINTS  # a nested list of numbers, used when fill == "values"
    device: str = "cpu"  # where x lives: "cpu", "cuda:0", "mps"


def parse_shape(text: str) -> tuple[int, ...]:
    """'3, 4' or '(3, 4)' -> (3, 4): 1 to 4 positive sizes, at most MAX_ELEMENTS in all."""
    body = (text or "").strip().strip("()[]").strip()
    parts = [p.strip() for p in body.split(",") if p.strip()] if body else []
    if not parts:
        raise ParseError("Type a shape such as 3, 4 (one to four sizes separated by commas).")
    if len(parts) > MAX_BASE_DIMS:
        raise LimitError(f"x can have at most {MAX_BASE_DIMS} dimensions; got {len(parts)}.")
    shape = []
    for part in parts:
        if not part.isascii() or not part.isdigit():
            raise ParseError(f"Each size must be a positive whole number; {part!r} is not.")
        shape.append(int(part))
    if any(size < 1 for size in shape):
        raise ParseError("Each size must be at least 1.")
    check_base_elements(tuple(shape))
    return tuple(shape)


def check_base_elements(shape: tuple[int, ...]) -> None:
    numel = math.prod(shape)
    if numel > MAX_ELEMENTS:
        raise LimitError(
            f"A tensor of shape {shape} has {numel:,} elements; the limit is {MAX_ELEMENTS:,}."
        )


def parse_values(text: str) -> list:
    """A nested list of numbers, read with `ast` as data: lists, numbers and minus signs only."""
    source = (text or "").strip()
    if len(source) > MAX_VALUES_TEXT:
        raise LimitError(
            f"The values are {len(source):,} characters; the limit is {MAX_VALUES_TEXT:,}."
        )
    if not source.isascii():
        raise ParseError("Type the values with plain ASCII characters: digits, . - , [ ].")
    try:
        node = ast.parse(source, mode="eval").body
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        raise ParseError(
            "The values must be a nested list of numbers, e.g. [[1.0, 4.0], [2.0, 1.0]]."
        ) from None
    count = [0]
    values = _literal(node, 0, count)
    if not isinstance(values, list):
        raise ParseError("Put the values in brackets, e.g. [1, 2, 3] or [[1, 2], [3, 4]].")
    _shape_of(values)
    return values


def _literal(node: ast.expr, depth: int, count: list[int]) -> list | float | int | bool:
    if isinstance(node, ast.List | ast.Tuple):
        if depth >= MAX_BASE_DIMS:
            raise LimitError(f"x can have at most {MAX_BASE_DIMS} dimensions.")
        return [_literal(e, depth + 1, count) for e in node.elts]
    value = number_literal(node)
    if value is None:
        raise ParseError(
            f"`{ast.unparse(node)}` is not a number; the values may only hold numbers."
        )
    count[0] += 1
    if count[0] > MAX_TYPED_VALUES:
        raise LimitError(
            f"At most {MAX_TYPED_VALUES:,} typed values; use a fill for bigger tensors."
        )
    return value


def _shape_of(values: list | float | int | bool) -> tuple[int, ...]:
    """The shape of a nested list, refusing ragged ones (torch.tensor would too)."""
    if not isinstance(values, list):
        return ()
    if not values:
        raise ParseError("Every list in the values needs at least one number.")
    shapes = {_shape_of(v) for v in values}
    if len(shapes) != 1:
        raise ParseError("The values are ragged: every row must have the same length and depth.")
    return (len(values), *shapes.pop())


def _flat(values: list | float | int | bool) -> list:
    return [v for item in values for v in _flat(item)] if isinstance(values, list) else [values]


def make_base(spec: BaseSpec) -> torch.Tensor:
    """Build x as `base_code(spec)` describes; on the CPU first so a seed gives the same values."""
    dtype = dtype_from_name(spec.dtype)
    if spec.fill not in FILLS:
        raise ParseError(f"Unknown fill {spec.fill!r}. Choose one of: {', '.join(FILLS)}.")
    if spec.fill == "values":
        values = parse_values(spec.values)
        for value in _flat(values):
            check_value_fits(value, dtype)
        x = torch.tensor(values, dtype=dtype)
    else:
        if not 1 <= len(spec.shape) <= MAX_BASE_DIMS or any(s < 1 for s in spec.shape):
            raise ParseError(f"x needs 1 to {MAX_BASE_DIMS} sizes, each at least 1.")
        check_base_elements(spec.shape)
        x = _filled(spec, dtype)
    return x.to(spec.device)


def _filled(spec: BaseSpec, dtype: torch.dtype) -> torch.Tensor:
    shape, numel = spec.shape, math.prod(spec.shape)
    if spec.fill == "zeros":
        return torch.zeros(shape, dtype=dtype)
    if spec.fill == "ones":
        return torch.ones(shape, dtype=dtype)
    if spec.fill == "arange":
        if dtype == torch.bool:  # torch has no bool arange: 0 is False, every other index True
            return torch.arange(numel).to(torch.bool).reshape(shape)
        return torch.arange(numel, dtype=dtype).reshape(shape)
    g = torch.Generator().manual_seed(spec.seed)
    if dtype.is_floating_point:
        return torch.randn(shape, generator=g, dtype=dtype)
    high = 2 if dtype == torch.bool else 10
    return torch.randint(0, high, shape, generator=g, dtype=dtype)


def base_code(spec: BaseSpec) -> list[str]:
    """The PyTorch lines that build x exactly as make_base does."""
    dtype = f"torch.{dtype_name(dtype_from_name(spec.dtype))}"
    sizes = ", ".join(str(s) for s in spec.shape)
    shape = f"({sizes},)" if len(spec.shape) == 1 else f"({sizes})"
    numel = math.prod(spec.shape)
    to = "" if spec.device == "cpu" else f'.to("{spec.device}")'
    lines: list[str] = []
    if spec.fill == "values":
        values = parse_values(spec.values)
        line = f"x = torch.tensor({values!r}, dtype={dtype}){to}"
    elif spec.fill in ("zeros", "ones"):
        line = f"x = torch.{spec.fill}({sizes}, dtype={dtype}){to}"
    elif spec.fill == "arange" and dtype == "torch.bool":
        line = f"x = torch.arange({numel}).to(torch.bool).reshape({sizes}){to}"
    elif spec.fill == "arange":
        line = f"x = torch.arange({numel}, dtype={dtype}).reshape({sizes}){to}"
    else:
        lines.append(f"g = torch.Generator().manual_seed({spec.seed})")
        if dtype_from_name(spec.dtype).is_floating_point:
            line = f"x = torch.randn({shape}, generator=g, dtype={dtype}){to}"
        else:
            high = 2 if dtype == "torch.bool" else 10
            line = f"x = torch.randint(0, {high}, {shape}, generator=g, dtype={dtype}){to}"
    return [*lines, line]


@dataclass(frozen=True)
class TensorInfo:
    size: tuple[int, ...]  # t.size()
    stride: tuple[int, ...]  # t.stride(): elements to skip in storage per step along each dim
    storage_offset: int  # t.storage_offset(): where element (0, ..., 0) sits in storage
    is_contiguous: bool  # t.is_contiguous(): row-major with no gaps
    element_size: int  # t.element_size(): bytes per element
    numel: int  # elements the view shows
    nbytes: int  # numel * element_size: bytes the view's elements take
    storage_length: int  # elements in the underlying storage
    storage_nbytes: int  # bytes of the underlying storage
    dtype: str  # "float32"
    shares_storage: bool  # same storage as x, as torch reports it (untyped_storage().data_ptr())

    @property
    def verdict(self) -> str:
        return "view of x's storage" if self.shares_storage else "copy (new storage)"


def same_storage(t: torch.Tensor, x: torch.Tensor) -> bool:
    """torch's own answer to "is t a view of x's memory?": the storages' data pointers match."""
    return t.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()


def tensor_info(t: torch.Tensor, x: torch.Tensor) -> TensorInfo:
    storage_nbytes = t.untyped_storage().nbytes()
    return TensorInfo(
        size=tuple(t.size()),
        stride=tuple(t.stride()),
        storage_offset=t.storage_offset(),
        is_contiguous=t.is_contiguous(),
        element_size=t.element_size(),
        numel=t.numel(),
        nbytes=t.numel() * t.element_size(),
        storage_length=storage_nbytes // t.element_size(),
        storage_nbytes=storage_nbytes,
        dtype=dtype_name(t.dtype),
        shares_storage=same_storage(t, x),
    )


def storage_indices(size: tuple[int, ...], stride: tuple[int, ...], offset: int) -> torch.Tensor:
    """For each element, offset + Σ iₖ·strideₖ: where it lives in storage. Shape `size`."""
    index = torch.full(size, offset, dtype=torch.long)
    for k, (n, s) in enumerate(zip(size, stride, strict=True)):
        shape = [1] * len(size)
        shape[k] = n
        index = index + torch.arange(n, dtype=torch.long).reshape(shape) * s  # broadcast on dim k
    return index


def storage_of(t: torch.Tensor) -> torch.Tensor:
    """t's whole storage as a 1-D tensor of t's dtype (a view: it shares the memory)."""
    length = t.untyped_storage().nbytes() // t.element_size()
    return t.as_strided((length,), (1,), 0)


@dataclass(frozen=True)
class Address:
    index: tuple[int, ...]  # the element picked, e.g. (1, 2)
    offset: int  # storage_offset
    stride: tuple[int, ...]
    storage_index: int  # offset + Σ iₖ·strideₖ

    @property
    def formula(self) -> str:
        """'offset + Σ iₖ·strideₖ = 2 + 1·4 + 2·1 = 8' with the numbers filled in."""
        terms = "".join(f" + {i}·{s}" for i, s in zip(self.index, self.stride, strict=True))
        return f"offset + Σ iₖ·strideₖ = {self.offset}{terms} = {self.storage_index}"


def address(t: torch.Tensor, index: tuple[int, ...]) -> Address:
    """The storage index of one element, term by term, checked against the view's size."""
    if len(index) != t.dim():
        raise ParseError(f"Pick {t.dim()} indices for a {t.dim()}-D tensor, not {len(index)}.")
    for dim, (i, n) in enumerate(zip(index, t.shape, strict=True)):
        if not 0 <= i < n:
            raise ParseError(f"Index {i} is outside dimension {dim} (valid: 0 to {n - 1}).")
    total = t.storage_offset() + sum(i * s for i, s in zip(index, t.stride(), strict=True))
    return Address(tuple(index), t.storage_offset(), tuple(t.stride()), total)


def format_value(value: float | int | bool, dtype: torch.dtype) -> str:
    """How a cell shows a value: 1.0 for floats (as torch prints), 3 for ints, True for bool."""
    if dtype == torch.bool:
        return str(bool(value))
    if not dtype.is_floating_point:
        return str(int(value))
    if math.isfinite(value) and float(value).is_integer() and abs(value) < 1e6:
        return f"{value:.1f}"
    return f"{value:.4g}"


def formatted_values(t: torch.Tensor, limit: int = MAX_ELEMENTS) -> list[str]:
    """t's values in row-major (view) order, formatted for cell labels."""
    flat = t.detach().reshape(-1)[:limit].cpu()
    return [format_value(v, t.dtype) for v in flat.tolist()]
