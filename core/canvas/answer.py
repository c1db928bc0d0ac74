"""What the Canvas page says about the model's answer: sure, guessing, or not to be trusted.

An answer is flagged when the model is unsure (core.engine.products.predictor) or when the
drawing itself cannot be read reliably (the preprocessing's doubt: ink as wide as a blob), so
the page is never confidently wrong about a drawing no model can read.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.engine.products.predictor import Prediction, verdict


@dataclass(frozen=True)
class Answer:
    flagged: bool  # show it as a guess ("7?"), not as an answer
    shown: str  # the metric's value: "7" or "7?"
    text: str  # markdown: why it is (or is not) to be trusted


def answer(pred: Prediction, classes: tuple[str, ...], doubt: str = "") -> Answer:
    top, second = classes[pred.top], classes[pred.runner_up]
    sure, runner_up = f"{pred.confidence:.0%}", f"{pred.probs[pred.runner_up]:.0%}"
    if pred.unsure:
        text = (
            f"**{verdict(pred, classes).capitalize()}** Only {sure} for {top} and {runner_up} "
            f"for {second}: the model is guessing, and says so."
        )
    elif doubt:
        text = f"**A guess: {top}?** The model says {sure}, but: {doubt}"
    else:
        return Answer(False, top, f"It's a **{top}**, {sure} sure.")
    if pred.unsure and doubt:
        text += f" And: {doubt}"
    return Answer(True, f"{top}?", text)
