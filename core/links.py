"""A page's settings as URL parameters, so a copied link opens the same view elsewhere.

Each page names the fields its link carries: the URL name, the session key of the widget,
the default, and how a value is read back. Nothing in a link is executed: a value is a
number in range, one of a fixed list, or text of bounded length that the page then parses
exactly like typed input (an expression still goes through the safe interpreter).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_VALUE_LENGTH = 4000  # characters in any one value; the Tensors lines are the longest


@dataclass(frozen=True)
class Field:
    """One setting a link carries."""

    param: str  # its name in the URL
    key: str  # the widget's session key
    default: Any
    read: Callable[[str], Any]  # URL text -> value; raises ValueError saying why not
    show: Callable[[Any], str] = str  # value -> URL text; read(show(v)) == v


def choice(param: str, key: str, default: Any, options: Sequence[Any]) -> Field:
    """One of `options`, written as str(option)."""
    by_text = {str(o): o for o in options}

    def read(text: str) -> Any:
        if text not in by_text:
            shown = ", ".join(list(by_text)[:8]) + (", ..." if len(by_text) > 8 else "")
            raise ValueError(f"not one of {shown}")
        return by_text[text]

    return Field(param, key, default, read)


def choices(
    param: str, key: str, default: Sequence[Any], options: Sequence[Any], most: int
) -> Field:
    """Several of `options` (a multiselect), comma separated, no repeats, at most `most`."""
    by_text = {str(o): o for o in options}

    def read(text: str) -> list:
        picked = [t.strip() for t in text.split(",")] if text.strip() else []
        unknown = [t for t in picked if t not in by_text]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not one of the choices")
        if len(set(picked)) != len(picked):
            raise ValueError("a choice is repeated")
        if len(picked) > most:
            raise ValueError(f"at most {most} may be chosen")
        return [by_text[t] for t in picked]

    return Field(param, key, list(default), read, lambda v: ",".join(map(str, v)))


def _ranged(param, key, default, low, high, cast, kind: str, span: str, show) -> Field:
    def read(text: str):
        try:
            value = cast(text)
        except ValueError:
            raise ValueError(f"not {kind}") from None
        if not low <= value <= high:  # also refuses nan and inf
            raise ValueError(f"outside {span}")
        return value

    return Field(param, key, default, read, show)


def integer(param: str, key: str, default: int, low: int, high: int) -> Field:
    return _ranged(
        param, key, default, low, high, int, "a whole number", f"{low:,} to {high:,}", str
    )


def number(param: str, key: str, default: float, low: float, high: float) -> Field:
    """A float, written with repr so that it reads back to the same number."""
    return _ranged(param, key, default, low, high, float, "a number", f"{low:g} to {high:g}", repr)


def flag(param: str, key: str, default: bool) -> Field:
    def read(text: str) -> bool:
        if text not in ("0", "1"):
            raise ValueError("not 0 or 1")
        return text == "1"

    return Field(param, key, default, read, lambda v: "1" if v else "0")


def text(param: str, key: str, default: str, most: int = MAX_VALUE_LENGTH) -> Field:
    """Text the page parses as if typed; only its length is checked here."""

    def read(value: str) -> str:
        if len(value) > most:
            raise ValueError(f"longer than {most:,} characters")
        return value

    return Field(param, key, default, read)


@dataclass
class Reading:
    """What a link says: the values to put in the widgets, and what was ignored and why."""

    values: dict[str, Any]  # session key -> value
    ignored: list[str]


def read_link(params: Mapping[str, str], fields: Sequence[Field]) -> Reading:
    """The usable values of `params`; unknown names and bad values are named, not used."""
    by_param = {f.param: f for f in fields}
    values: dict[str, Any] = {}
    ignored: list[str] = []
    for name, raw in params.items():
        field = by_param.get(name)
        label = _clip(name)
        if field is None:
            ignored.append(f"`{label}` (not a setting of this page)")
            continue
        if len(raw) > MAX_VALUE_LENGTH:
            ignored.append(f"`{label}` (longer than {MAX_VALUE_LENGTH:,} characters)")
            continue
        try:
            values[field.key] = field.read(raw)
        except ValueError as exc:
            ignored.append(f"`{label}={_clip(raw)}` ({exc})")
    return Reading(values, ignored)


def link_params(fields: Sequence[Field], state: Mapping[str, Any]) -> dict[str, str]:
    """The URL parameters for the current values: only those that differ from the default,
    so a link says what was changed."""
    out = {}
    for f in fields:
        value = state.get(f.key, f.default)
        if value != f.default:
            out[f.param] = f.show(value)
    return out


def ignored_text(ignored: Sequence[str]) -> str:
    return (
        "Part of this link could not be used, so the page shows its defaults there: "
        + "; ".join(ignored)
        + "."
    )


def _clip(text: str, most: int = 40) -> str:
    """A value quoted in a message: short, on one line, with no markdown of its own."""
    flat = " ".join(text.split()).replace("`", "'")
    return flat if len(flat) <= most else flat[: most - 1] + "…"
