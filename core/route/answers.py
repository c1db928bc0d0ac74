"""Reading a learner's answer the way torch would print it, and judging it against torch's own.

`(2, 1)`, `[2, 1]`, `torch.Size([2, 1])`, `2`, `1,199,882`, `tensor(42.)`, `True` are all
read as plain Python values; a printed float is right within the four decimals torch shows.
Only literals are read (ast.literal_eval): nothing the learner types is run.
"""

from __future__ import annotations

import ast
import math
import re
from typing import Any

import torch

MAX_ANSWER_LENGTH = 200
_WRAPPER = re.compile(r"^(?:torch\.)?(?:Size|tensor)\((.*)\)$", re.DOTALL)
_DTYPE_TAIL = re.compile(r",\s*(?:dtype|device|requires_grad|grad_fn)=.*$", re.DOTALL)
_THOUSANDS = re.compile(r"(?<=\d)[,_](?=\d{3}\b)")


def plain(value: Any) -> Any:
    """A torch value as the Python value it prints as: Size and tuples -> tuple, a tensor ->
    its number or nested tuple, everything else unchanged."""
    if isinstance(value, torch.Tensor):
        value = value.tolist()
    if isinstance(value, (list, tuple)):  # torch.Size is a tuple
        return tuple(plain(v) for v in value)
    return value


def read_answer(text: str) -> Any:
    """The value a typed answer stands for; ValueError says why it cannot be read."""
    body = " ".join(text.split())
    if not body:
        raise ValueError("Type an answer first.")
    if len(body) > MAX_ANSWER_LENGTH:
        raise ValueError(f"Keep the answer under {MAX_ANSWER_LENGTH} characters.")
    wrapped = _WRAPPER.match(body)
    if wrapped:
        body = _DTYPE_TAIL.sub("", wrapped.group(1)).strip()
    if re.fullmatch(r"-?\d{1,3}(?:[,_]\d{3})+(?:\.\d+)?", body):
        body = _THOUSANDS.sub("", body)  # 1,199,882 is one number, not a tuple
    try:
        value = ast.literal_eval(body)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise ValueError(
            "Answer as torch prints it: a number (`2`), a tuple (`(2, 1)`), a size "
            "(`torch.Size([3, 2])`), a tensor (`tensor(42.)`) or True / False."
        ) from None
    return plain(value)


def same(expected: Any, given: Any) -> bool:
    """Whether `given` is `expected`, floats within what torch's printout shows."""
    expected, given = plain(expected), plain(given)
    if isinstance(expected, tuple) or isinstance(given, tuple):
        if not (isinstance(expected, tuple) and isinstance(given, tuple)):
            return False
        return len(expected) == len(given) and all(map(same, expected, given))
    if isinstance(expected, bool) or isinstance(given, bool):
        return type(expected) is type(given) and expected == given
    if isinstance(expected, (int, float)) and isinstance(given, (int, float)):
        return math.isclose(expected, given, rel_tol=1e-4, abs_tol=5e-5)
    return expected == given


def shown(value: Any) -> str:
    """A value as torch prints it, for the explanation."""
    if isinstance(value, torch.Tensor):
        return repr(value)
    return str(value)
