"""Your handwriting: a local collection of labelled sketches, and how well a model reads it.

MNIST's test accuracy says how well a model reads the digits of MNIST's writers (US census
staff and students, decades ago). This collection asks the question that matters on the
canvas: how well does it read *yours*? Each sketch is one PNG whose name holds its label.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from core.canvas.preprocess import InputImageError, PreprocessOptions, ink_image, preprocess
from core.engine.learning.data import load_tensors
from core.engine.products.predictor import Predictor
from core.engine.runs.folder import write_reason
from core.errors import LimitError, TorchlabError, logged_error_id

log = logging.getLogger(__name__)

HANDWRITING_ENV = "TORCHLAB_HANDWRITING"
DEFAULT_FOLDER = "./handwriting"
MAX_SKETCHES = 2000  # the collection's size limit: evaluating all of them stays a few seconds
MAX_SKETCH_SIDE = 560  # sketches are stored at most this size; a digit needs no more
EVAL_BATCH = 1000  # images per forward pass when evaluating
FEW_SKETCHES = 20  # below this, one sketch moves the score by over 5 points: say so
# <label>-<local time>-<random>.png: the label is in the name, so the folder is the dataset.
NAME = re.compile(r"^(?P<label>\d)-(?P<created>\d{8}T\d{6})-[0-9a-f]{6}\.png$")


class HandwritingError(TorchlabError):
    """A sketch that cannot be saved, read or removed."""


@dataclass(frozen=True)
class Sketch:
    path: Path  # the PNG: white ink on black, as drawn
    label: int  # the digit the writer says it is
    created: str  # local time it was saved, YYYYMMDDTHHMMSS


def handwriting_root() -> Path:
    """`TORCHLAB_HANDWRITING` if set, else ./handwriting."""
    return Path(os.environ.get(HANDWRITING_ENV) or DEFAULT_FOLDER).expanduser().resolve()


def list_sketches(root: Path | None = None) -> list[Sketch]:
    """Every sketch in the collection, oldest first; files with other names are ignored."""
    folder = Path(root) if root else handwriting_root()
    if not folder.is_dir():
        return []
    sketches = []
    for path in sorted(folder.iterdir(), key=lambda p: p.name[2:]):
        match = NAME.match(path.name)
        if match and path.is_file():
            sketches.append(Sketch(path, int(match["label"]), match["created"]))
    return sketches


def plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def describe_collection(sketches: list[Sketch], root: Path | None = None) -> str:
    """One line: how many sketches and how many of each digit (only those present); where
    they are is the server's business (TORCHLAB_HANDWRITING), not the page's."""
    counts = {d: sum(s.label == d for s in sketches) for d in range(10)}
    per_digit = " · ".join(f"{d}: {n}" for d, n in counts.items() if n) or "none saved yet"
    return (
        f"{plural(len(sketches), 'sketch', 'sketches')} of at most {MAX_SKETCHES:,} in "
        f"this server's handwriting folder · {per_digit}"
    )


def save_sketch(ink: np.ndarray, label: int, root: Path | None = None) -> Sketch:
    """Store an ink image ((H, W) on [0, 1], white on black) as a labelled PNG, atomically."""
    if not isinstance(label, (int, np.integer)) or not 0 <= int(label) <= 9:
        raise HandwritingError(f"A sketch's label is a digit from 0 to 9, not {label!r}.")
    ink = np.asarray(ink, dtype=np.float32)
    if ink.ndim != 2 or ink.size == 0 or float(ink.max()) <= 0.0:
        raise HandwritingError("There is nothing to save: draw a digit first.")
    folder = Path(root) if root else handwriting_root()
    count = len(list_sketches(folder))
    if count >= MAX_SKETCHES:
        raise LimitError(
            f"The collection holds {count} sketches, the limit is {MAX_SKETCHES}. "
            "Remove some before saving more."
        )
    img = Image.fromarray((np.clip(ink, 0.0, 1.0) * 255).round().astype(np.uint8))
    img.thumbnail((MAX_SKETCH_SIDE, MAX_SKETCH_SIDE))
    created = time.strftime("%Y%m%dT%H%M%S")
    path = folder / f"{int(label)}-{created}-{secrets.token_hex(3)}.png"
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # A temporary file in the same folder, then os.replace: nobody ever sees half a PNG.
        fd, tmp = tempfile.mkstemp(prefix=".sketch-", suffix=".png", dir=folder)
        os.close(fd)
        img.save(tmp, format="PNG")
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        why = write_reason(exc, "the folder")
        raise HandwritingError(
            f"Could not save the sketch in the handwriting folder: {why}. "
            f"Whoever runs this server can point {HANDWRITING_ENV} at a writable folder."
        ) from exc
    return Sketch(path, int(label), created)


def load_sketch(sketch: Sketch) -> np.ndarray:
    """The sketch's ink, (H, W) float32 on [0, 1]."""
    try:
        with Image.open(sketch.path) as img:
            return ink_image(np.asarray(img.convert("L")), background="black")
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        error_id = logged_error_id(log, exc)
        raise HandwritingError(
            f"{sketch.path.name} is not a readable PNG (error id `{error_id}` in the server log)."
        ) from exc


def delete_sketch(sketch: Sketch, root: Path | None = None) -> None:
    """Remove one sketch; refuses any path outside the collection or not named like a sketch."""
    folder = (Path(root) if root else handwriting_root()).resolve()
    path = Path(sketch.path).resolve()
    if path.parent != folder or not NAME.match(path.name):
        raise HandwritingError(f"{path.name} is not a sketch of this collection.")
    path.unlink(missing_ok=True)


@dataclass
class CollectionReport:
    total: int = 0  # sketches the model was asked about
    correct: int = 0
    per_class: dict[str, tuple[int, int]] = field(default_factory=dict)  # label -> (right, all)
    mistakes: list[tuple[Sketch, int]] = field(default_factory=list)  # sketch, predicted class
    skipped: list[str] = field(default_factory=list)  # why a sketch could not be used

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.total if self.total else None


def _batched_argmax(model: torch.nn.Module, X: torch.Tensor) -> torch.Tensor:
    device = next(model.parameters()).device
    preds = []
    with torch.inference_mode():
        for i in range(0, len(X), EVAL_BATCH):
            preds.append(model(X[i : i + EVAL_BATCH].to(device)).argmax(1).cpu())  # (B,)
    return torch.cat(preds) if preds else torch.zeros(0, dtype=torch.long)


def evaluate_collection(
    predictor: Predictor,
    sketches: list[Sketch] | None = None,
    options: PreprocessOptions | None = None,
) -> CollectionReport:
    """Run every sketch through the canvas's own preprocessing and the model, and score it."""
    sketches = list_sketches() if sketches is None else sketches
    report = CollectionReport()
    if len(sketches) > MAX_SKETCHES:  # files copied in by hand can pass the saving limit
        report.skipped.append(
            f"{len(sketches) - MAX_SKETCHES} sketches over the limit of {MAX_SKETCHES}"
        )
    used: list[Sketch] = []
    inputs: list[torch.Tensor] = []
    for sketch in sketches[:MAX_SKETCHES]:
        try:
            prep = preprocess(load_sketch(sketch), predictor.normalization, options)
        except (HandwritingError, InputImageError) as exc:
            report.skipped.append(f"{sketch.path.name}: {exc}")
            continue
        if prep.X is None:
            report.skipped.append(f"{sketch.path.name}: no ink")
            continue
        used.append(sketch)
        inputs.append(prep.X)
    if not used:
        return report
    y_hat = _batched_argmax(predictor.model, torch.cat(inputs)).tolist()  # (N,)
    counts = {str(d): [0, 0] for d in range(10)}
    for sketch, pred in zip(used, y_hat, strict=True):
        counts[str(sketch.label)][1] += 1
        if pred == sketch.label:
            counts[str(sketch.label)][0] += 1
        else:
            report.mistakes.append((sketch, int(pred)))
    report.total = len(used)
    report.correct = report.total - len(report.mistakes)
    report.per_class = {k: (c, n) for k, (c, n) in counts.items() if n}
    return report


def mnist_test_accuracy(predictor: Predictor, limit: int | None = None) -> float:
    """Accuracy on the MNIST test set (first `limit` images), normalized as in training."""
    X, y = load_tensors("MNIST", False, normalization=predictor.normalization)  # (N, 1, 28, 28)
    if limit is not None:
        X, y = X[:limit], y[:limit]
    y_hat = _batched_argmax(predictor.model, X)  # (N,)
    return float((y_hat == y).float().mean())
