"""A route stop's question: predict, then reveal what torch computes right now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.route.answers import read_answer, same


@dataclass(frozen=True)
class Question:
    prompt: str  # markdown: the code or the setting it asks about
    solve: Callable[[], Any]  # torch (or the page's own model) computes the answer
    explain: Callable[[Any], str]  # why, told with the computed answer
    hint: str  # after a wrong answer: where to look, without the answer
    options: tuple[str, ...] = ()  # a choice: solve() returns one of them
    placeholder: str = ""  # an example of the form a typed answer takes


@dataclass(frozen=True)
class Verdict:
    right: bool
    message: str
    readable: bool = True  # False: the answer could not be read, so it is neither


@dataclass(frozen=True)
class Stop:
    key: str  # stable id, kept in the route's progress
    title: str
    page: str  # url path of the page it opens ("" is Home)
    look: str  # two or three sentences: what to look at there
    question: Question
    params: dict[str, str] = field(default_factory=dict)  # the page's link settings


def check(question: Question, given: str) -> Verdict:
    """Judge `given` against the answer computed now; explain either way."""
    answer = question.solve()
    if question.options:
        if given not in question.options:
            return Verdict(False, "Pick one of the answers first.", readable=False)
        right = given == answer
    else:
        try:
            right = same(answer, read_answer(given))
        except ValueError as exc:
            return Verdict(False, str(exc), readable=False)
    if right:
        return Verdict(True, question.explain(answer))
    return Verdict(False, f"Not quite. {question.hint}")
