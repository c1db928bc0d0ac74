"""The test-set browser: a trained model's prediction and probabilities for every test image.

The model comes from a folder written by core.engine.runs.checkpoint.save_model: the shipped
pretrained digit model or any saved run (core.engine.products.predictor lists and loads them).
Predictions are computed once for the whole test set; filters (class, wrong, low
confidence) and paging are then just index selections.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.engine.learning.data import dataset_info, load_raw, load_tensors
from core.engine.learning.loop import predict_proba
from core.engine.products.predictor import load_predictor
from core.errors import CheckpointError, ConfigError, LimitError

MAX_PAGE_SIZE = 100  # images on one page of the browser
ORDERS = ("test-set order", "least confident first", "most confident first")


@dataclass
class Predictions:
    dataset: str  # a key of core.engine.learning.data.DATASETS
    classes: tuple[str, ...]
    labels: torch.Tensor  # (N,) int64 true classes
    probs: torch.Tensor  # (N, classes) float32 probabilities on the CPU

    @property
    def predicted(self) -> torch.Tensor:
        return self.probs.argmax(1)  # (N,)

    @property
    def confidence(self) -> torch.Tensor:
        return self.probs.max(1).values  # (N,) the probability of the predicted class

    @property
    def correct(self) -> torch.Tensor:
        return self.predicted == self.labels  # (N,) bool

    @property
    def accuracy(self) -> float:
        return float(self.correct.float().mean()) if len(self.labels) else 0.0


def predict_test_set(folder: Path | str, device: str = "cpu") -> Predictions:
    """Load the model in `folder` and score every image of its dataset's test set."""
    predictor = load_predictor(folder, device)  # the dataset and normalization it trained with
    info = dataset_info(predictor.dataset)
    if len(predictor.classes) != len(info.classes):
        raise CheckpointError(
            f"This model predicts {len(predictor.classes)} classes but {info.key} has "
            f"{len(info.classes)}: it cannot be browsed on that test set."
        )
    X, y = load_tensors(info.key, False, device=device, normalization=predictor.normalization)
    probs = predict_proba(predictor.model, X)  # (N, classes)
    return Predictions(info.key, info.classes, y.cpu(), probs.float())


def select(
    preds: Predictions,
    *,
    true_class: int | None = None,
    predicted_class: int | None = None,
    wrong_only: bool = False,
    max_confidence: float | None = None,
    order: str = ORDERS[0],
) -> torch.Tensor:
    """Indices of the test images that pass every filter, in the chosen order."""
    n_classes = len(preds.classes)
    for name, c in (("true", true_class), ("predicted", predicted_class)):
        if c is not None and not 0 <= c < n_classes:
            raise ConfigError(f"The {name} class must be 0 to {n_classes - 1}, not {c}.")
    if max_confidence is not None and not 0.0 < max_confidence <= 1.0:
        raise ConfigError("The confidence limit must be above 0 and at most 1 (100%).")
    if order not in ORDERS:
        raise ConfigError(f"Order by one of: {', '.join(ORDERS)}.")
    keep = torch.ones(len(preds.labels), dtype=torch.bool)  # (N,)
    if true_class is not None:
        keep &= preds.labels == true_class
    if predicted_class is not None:
        keep &= preds.predicted == predicted_class
    if wrong_only:
        keep &= ~preds.correct
    if max_confidence is not None:
        keep &= preds.confidence < max_confidence
    idx = keep.nonzero().flatten()  # (M,) in test-set order
    if order != ORDERS[0]:
        conf = preds.confidence[idx]
        # stable, so equal confidences keep test-set order
        idx = idx[conf.argsort(descending=order == ORDERS[2], stable=True)]
    return idx


def page_count(total: int, page_size: int) -> int:
    return max(1, math.ceil(total / page_size))


def page_of(indices: torch.Tensor, page: int, page_size: int) -> torch.Tensor:
    """The indices on page `page` (from 1) of `page_size` images."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise LimitError(f"Show 1 to {MAX_PAGE_SIZE} images per page, not {page_size}.")
    pages = page_count(len(indices), page_size)
    if not 1 <= page <= pages:
        raise LimitError(f"There are {pages} pages; choose one from 1 to {pages}.")
    return indices[(page - 1) * page_size : page * page_size]


@dataclass(frozen=True)
class Item:
    index: int  # position in the test set
    image: np.ndarray  # (28, 28) uint8, as stored in the dataset (white ink on black)
    label: int
    predicted: int
    confidence: float
    probs: list[float]  # one per class

    @property
    def correct(self) -> bool:
        return self.label == self.predicted


def items(preds: Predictions, indices: torch.Tensor) -> list[Item]:
    """What the page draws for each selected image."""
    images, _ = load_raw(preds.dataset, train=False)
    predicted, confidence = preds.predicted, preds.confidence
    return [
        Item(
            index=i,
            image=images[i].numpy(),
            label=int(preds.labels[i]),
            predicted=int(predicted[i]),
            confidence=float(confidence[i]),
            probs=preds.probs[i].tolist(),
        )
        for i in indices.tolist()
    ]
