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
    """One stop. Its page opens with `params`, which never show the answer; once the learner
    has answered, been shown the answer or skipped, it opens with `reveal` on top (the card,
    the plot, the setting that gives the answer away), and the page parts named in `hides`
    (which pages look up with ui.route.hidden) appear."""

    key: str  # stable id, kept in the route's progress
    title: str
    page: str  # url path of the page it opens ("" is Home)
    look: str  # two or three sentences: what to look at there
    question: Question
    params: dict[str, str] = field(default_factory=dict)  # the page's link settings
    reveal: dict[str, str] = field(default_factory=dict)  # on top of params, once revealed
    # (every name in `reveal` is in `params` too: a link goes back to the stop's own value)
    hides: tuple[str, ...] = ()  # page parts kept hidden until then

    def link(self, revealed: bool) -> dict[str, str]:
        """The page's settings for this stop, before or after the answer may be seen."""
        return {**self.params, **self.reveal} if revealed else dict(self.params)


def shareable(params: dict[str, str], stop: Stop | None, marks_param: str) -> dict[str, str]:
    """A page's URL parameters as a link to send: never the answer. The learner's marks stay
    home (they would open the stop revealed for whoever gets the link), and a setting the
    stop only shows once answered goes back to the stop's own."""
    out = {k: v for k, v in params.items() if k != marks_param}
    if stop is not None:
        for name, value in stop.reveal.items():
            # absent: the page's default, which may be the revealing value (expr=x.t())
            if out.get(name, value) == value:
                out[name] = stop.params[name]
    return out


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
