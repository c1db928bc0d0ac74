"""Numbers the learner types into a text box: the one parser the pages share.

The text is split on commas, semicolons or spaces and `float()` reads each piece, so user text
is never code. Every refusal is a message that names the box it came from.
"""

from __future__ import annotations

import math
import re

from core.errors import LimitError, ParseError

SEPARATORS = re.compile(r"[,;\s]+")
EXAMPLE = "Type numbers separated by commas, e.g. 0.5, -1, 2."
SHOWN_CHARS = 20  # a refused piece is quoted up to this many characters


def read_numbers(
    text: str | None,
    what: str,
    *,
    max_abs: float,
    max_chars: int,
    count: int | None = None,
    max_count: int | None = None,
) -> list[float]:
    """Exactly `count` numbers (or 1 to `max_count`), each finite and within ±`max_abs`."""
    text = text or ""
    if len(text) > max_chars:
        raise LimitError(f"{what}: at most {max_chars} characters, not {len(text)}.")
    pieces = [p for p in SEPARATORS.split(text.strip()) if p]
    if count is not None and len(pieces) != count:
        raise ParseError(
            f"{what}: expected {count} number{'s' * (count > 1)} separated by commas, "
            f"got {len(pieces)}. Write decimals with a dot, e.g. 0.5."
        )
    if not pieces:
        raise ParseError(f"{what}: type at least one number. {EXAMPLE}")
    if max_count is not None and len(pieces) > max_count:
        raise LimitError(f"{what}: at most {max_count} numbers, not {len(pieces)}.")
    values = []
    for piece in pieces:
        shown = piece[:SHOWN_CHARS]
        try:
            value = float(piece)
        except ValueError:
            raise ParseError(f"{what}: {shown!r} is not a number. {EXAMPLE}") from None
        if not math.isfinite(value):
            raise ParseError(f"{what}: {shown!r} is not a finite number.")
        if abs(value) > max_abs:
            raise LimitError(f"{what}: {value:g} is too large; keep numbers within ±{max_abs:g}.")
        values.append(value)
    return values


def shown(value: float, digits: int = 4) -> str:
    """`value` to `digits` significant digits, with float rounding dust shown as the 0 it is:
    −1.11e−16 is what 0.1 + 0.2 − 0.3 leaves, not a number a learner should have to read."""
    return "0" if abs(value) < 1e-12 else f"{value:.{digits}g}"
