"""What to learn from a trained model: where it errs (confusion matrix, per-class accuracy, the
misclassified images, most confident first)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core.engine.learning.data import dataset_info, load_raw
from core.engine.learning.loop import predict_proba
from core.engine.learning.setup import load_run_data
from core.engine.runs.checkpoint import load_model
from core.engine.runs.folder import load_run

MAX_GALLERY = 48  # misclassified images the page may show at once


@dataclass
class Analysis:
    classes: tuple[str, ...]
    confusion: list[list[int]]  # [true][predicted] counts
    per_class_accuracy: list[float]  # hits / images of each true class (nan-free: 0 if none)
    accuracy: float
    wrong: list[int]  # test-set indices of misclassified images, most confident mistakes first
    probabilities: torch.Tensor  # (N, classes) on the CPU
    labels: torch.Tensor  # (N,) true labels on the CPU

    def gallery(self, limit: int = MAX_GALLERY) -> list[dict[str, Any]]:
        """The first `limit` mistakes: index, true and predicted class with their probabilities."""
        rows = []
        for i in self.wrong[: max(0, min(limit, MAX_GALLERY))]:
            p = self.probabilities[i]
            predicted, true = int(p.argmax()), int(self.labels[i])
            rows.append(
                {
                    "index": i,
                    "true": self.classes[true],
                    "predicted": self.classes[predicted],
                    "p_predicted": float(p[predicted]),
                    "p_true": float(p[true]),
                }
            )
        return rows


def confusion_matrix(y: torch.Tensor, y_pred: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(classes, classes) counts: row = true class, column = predicted class."""
    flat = y.to(torch.int64) * num_classes + y_pred.to(torch.int64)  # (N,)
    return torch.bincount(flat, minlength=num_classes**2).reshape(num_classes, num_classes)


def analyze(model: nn.Module, X: torch.Tensor, y: torch.Tensor, classes: Sequence[str]) -> Analysis:
    """Predict every test image once and derive all the views from those predictions."""
    proba = predict_proba(model, X)  # (N, classes)
    labels = y.detach().to("cpu")
    y_pred = proba.argmax(1)  # (N,)
    confusion = confusion_matrix(labels, y_pred, len(classes))
    totals = confusion.sum(1).clamp_min(1)
    per_class = (confusion.diagonal() / totals).tolist()
    wrong = (y_pred != labels).nonzero().flatten()
    # The most confident mistakes are the most instructive (or a mislabelled image).
    order = proba[wrong, y_pred[wrong]].argsort(descending=True)
    return Analysis(
        classes=tuple(classes),
        confusion=confusion.tolist(),
        per_class_accuracy=per_class,
        accuracy=float((y_pred == labels).float().mean()) if len(labels) else 0.0,
        wrong=wrong[order].tolist(),
        probabilities=proba,
        labels=labels,
    )


def analyze_run(run_dir: Path | str) -> Analysis:
    """Load a saved run's model and test it on its own test images (CPU)."""
    record = load_run(run_dir)
    model, _, _ = load_model(run_dir)
    _, _, X_test, y_test = load_run_data(record.config, "cpu")
    return analyze(model, X_test, y_test, dataset_info(record.config.dataset).classes)


def gallery_images(dataset: str, indices: Sequence[int]) -> list:
    """The raw test images (28×28 uint8 arrays) at `indices`, for the gallery."""
    images, _ = load_raw(dataset, False)
    return [images[i].numpy() for i in indices]
