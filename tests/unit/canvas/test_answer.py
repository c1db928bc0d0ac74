"""The Canvas page's answer: a sure model about a drawing no model can read is still a guess."""

from __future__ import annotations

import numpy as np

from core.canvas.answer import answer
from core.engine.products.predictor import LOW_CONFIDENCE, Prediction

DIGITS = tuple(str(d) for d in range(10))
BLOB = "the ink is as wide as a blob"


def prediction(top: int, confidence: float, runner_up: int) -> Prediction:
    probs = np.full(10, (1 - confidence - 0.01) / 8, dtype=np.float32)
    probs[top], probs[runner_up] = confidence, 0.01
    return Prediction(probs=probs, top=top, runner_up=runner_up, seconds=0.0, device="cpu")


def test_a_sure_model_about_a_blob_is_shown_as_a_guess_with_the_reason():
    """The shipped model reads a small thick 8 as "0, 94% sure": the page must not say so."""
    shown = answer(prediction(0, 0.94, 8), DIGITS, BLOB)
    assert shown.flagged and shown.shown == "0?"
    assert shown.text.startswith("**A guess: 0?**") and "94%" in shown.text and BLOB in shown.text


def test_a_sure_model_about_a_readable_drawing_answers_plainly():
    shown = answer(prediction(7, 0.94, 1), DIGITS)
    assert not shown.flagged and shown.shown == "7" and shown.text == "It's a **7**, 94% sure."


def test_an_unsure_model_says_so_and_gives_the_drawings_doubt_too():
    shown = answer(prediction(3, LOW_CONFIDENCE - 0.1, 5), DIGITS, BLOB)
    assert shown.flagged and shown.shown == "3?"
    assert "guessing" in shown.text and shown.text.endswith(f"And: {BLOB}")
