"""The dtypes the tensor explorer offers: names, ranges, sizes, and the memory a shape takes.

The table is read from torch itself (`iinfo`, `finfo`, `itemsize`), so it is right for the
installed version and never a copy of numbers typed by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from core.errors import ParseError

# The order the page lists them in: the usual float first, then the other floats, ints, bool.
DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32,
    "float64": torch.float64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "int8": torch.int8,
    "uint8": torch.uint8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "bool": torch.bool,
}


@dataclass(frozen=True)
class DtypeRow:
    name: str  # "float32", the name after `torch.`
    bytes_per_element: int  # what `element_size()` reports
    min: float | int | bool  # the most negative value (iinfo/finfo .min); False for bool
    max: float | int | bool  # the largest value (iinfo/finfo .max); True for bool
    eps: float | None  # gap between 1 and the next float; None for ints and bool
    smallest_normal: float | None  # below this, floats lose precision; None for ints and bool
    exact_integers_up_to: int  # every integer 0..this is stored exactly (where arange stays exact)
    memory_bytes: int  # what a tensor of the chosen shape takes in this dtype


def dtype_from_name(name: str) -> torch.dtype:
    """The torch dtype for one of the names in DTYPES, with a clear message for any other."""
    text = (name or "").strip().removeprefix("torch.")
    try:
        return DTYPES[text]
    except KeyError:
        raise ParseError(f"Unknown dtype {name!r}. Choose one of: {', '.join(DTYPES)}.") from None


def dtype_name(dtype: torch.dtype) -> str:
    """'float32' for torch.float32 (the spelling the page and the generated code use)."""
    return str(dtype).removeprefix("torch.")


def value_range(dtype: torch.dtype) -> tuple[float | int, float | int]:
    """The smallest and largest value a dtype holds (0 and 1 for bool)."""
    if dtype == torch.bool:
        return 0, 1
    info = torch.finfo(dtype) if dtype.is_floating_point else torch.iinfo(dtype)
    return info.min, info.max


def exact_integer_limit(dtype: torch.dtype) -> int:
    """The largest n such that every integer 0..n is exactly representable in this dtype."""
    if dtype == torch.bool:
        return 1
    if dtype.is_floating_point:
        # eps = 2**-mantissa_bits, and integers stay exact up to 2**(mantissa_bits + 1).
        return round(2 / torch.finfo(dtype).eps)
    return torch.iinfo(dtype).max


def check_value_fits(value: float | int | bool, dtype: torch.dtype) -> None:
    """Refuse a number the dtype cannot hold, rather than letting torch wrap or overflow it."""
    if isinstance(value, float) and not math.isfinite(value):
        if dtype.is_floating_point:
            return  # inf and nan are legitimate float values
        raise ParseError(f"{value} cannot be stored in {dtype_name(dtype)}: it has no inf or nan.")
    if dtype == torch.bool:
        if value not in (0, 1):
            raise ParseError(f"A bool tensor holds only True/False (1/0), not {value}.")
        return
    if not dtype.is_floating_point and isinstance(value, float) and not value.is_integer():
        raise ParseError(f"{value} is not a whole number, and {dtype_name(dtype)} holds integers.")
    low, high = value_range(dtype)
    if not low <= value <= high:
        raise ParseError(
            f"{value} does not fit in {dtype_name(dtype)}, whose values go from {low} to {high}."
        )


def dtype_table(shape: tuple[int, ...]) -> list[DtypeRow]:
    """One row per dtype: its size and range, and what a tensor of `shape` costs in it."""
    numel = math.prod(shape)
    rows = []
    for name, dtype in DTYPES.items():
        low, high = value_range(dtype)
        floating = dtype.is_floating_point
        info = torch.finfo(dtype) if floating else None
        rows.append(
            DtypeRow(
                name=name,
                bytes_per_element=dtype.itemsize,
                min=False if dtype == torch.bool else low,
                max=True if dtype == torch.bool else high,
                eps=info.eps if info else None,
                smallest_normal=info.smallest_normal if info else None,
                exact_integers_up_to=exact_integer_limit(dtype),
                memory_bytes=numel * dtype.itemsize,
            )
        )
    return rows


SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
POWER_FROM = 10**12  # integers this large are written as powers of two: 19 digits do not fit


def integer_text(n: int, commas: bool = False) -> str:
    """An integer a table column can show whole: 2⁶³ − 1 rather than 9223372036854775807."""
    if abs(n) >= POWER_FROM:
        sign, k = "-" if n < 0 else "", abs(n).bit_length()
        if abs(n) == 2 ** (k - 1):
            return f"{sign}2{str(k - 1).translate(SUPERSCRIPT)}"
        if abs(n) == 2**k - 1:
            return f"{sign}2{str(k).translate(SUPERSCRIPT)} − 1"
    return f"{n:,}" if commas else str(n)


def dtype_rows(shape: tuple[int, ...], current: str) -> list[dict[str, str | int]]:
    """dtype_table formatted for display, the current dtype marked with ▶."""

    def number(value: float | int | bool | None) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return str(value)
        return f"{value:.6g}" if isinstance(value, float) else integer_text(value)

    return [
        {
            "dtype": ("▶ " if row.name == current else "") + row.name,
            "bytes/element": row.bytes_per_element,
            "min": number(row.min),
            "max": number(row.max),
            "eps": number(row.eps),
            "smallest normal": number(row.smallest_normal),
            "exact integers up to": integer_text(row.exact_integers_up_to, commas=True),
            "memory of x": format_bytes(row.memory_bytes),
        }
        for row in dtype_table(shape)
    ]


def format_bytes(n: int) -> str:
    """'48 B', '3.8 KiB', '38.1 MiB': memory in the unit a person reads at a glance."""
    if n < 1024:
        return f"{n} B"
    value, unit = n / 1024, "KiB"
    for bigger in ("MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}"
