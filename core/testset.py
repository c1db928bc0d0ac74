"""The test-set browser: a trained model's prediction and probabilities for every test image.

The model comes from a folder written by core.checkpoint.save_model: the shipped pretrained
digit model or any saved run. Predictions are computed once for the whole test set; filters
(class, wrong, low confidence) and paging are then just index selections.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core.checkpoint import PRETRAINED_DIR, SPEC_FILE, WEIGHTS_FILE, load_model, read_json
from core.config import RunConfig
from core.data import dataset_info, load_raw, load_tensors
from core.errors import CheckpointError, ConfigError, LimitError, TorchlabError
from core.runs import CONFIG_FILE, list_runs
from core.training import normalization_of, predict_proba

MAX_PAGE_SIZE = 100  # images on one page of the browser
ORDERS = ("test-set order", "least confident first", "most confident first")


@dataclass(frozen=True)
class ModelChoice:
    label: str  # what the picker shows
    folder: Path  # holds model.json + model.safetensors


def pretrained_available() -> bool:
    return (PRETRAINED_DIR / SPEC_FILE).exists() and (PRETRAINED_DIR / WEIGHTS_FILE).exists()


def model_choices(runs_root: Path | None = None) -> list[ModelChoice]:
    """The pretrained model (when shipped), then every saved run that has weights."""
    choices = []
    if pretrained_available():
        choices.append(ModelChoice("Pretrained digit model", PRETRAINED_DIR))
    for record in list_runs(runs_root):
        if record.has_model:
            acc = record.final_accuracy
            score = f", {100 * acc:.1f}%" if acc is not None else ""
            label = f"{record.name} ({record.config.dataset}{score}, {record.status})"
            choices.append(ModelChoice(label, record.dir))
    return choices


@dataclass
class Predictions:
    dataset: str  # a key of core.data.DATASETS
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


def _input_settings(folder: Path, meta: dict) -> tuple[str, tuple[float, float]]:
    """The dataset and (mean, std) the model was trained with: from model.json's meta, else
    from the run's config.json, else the dataset's own statistics."""
    config = None
    if (folder / CONFIG_FILE).exists():
        try:
            config = RunConfig.from_dict(read_json(folder / CONFIG_FILE))
        except (TypeError, TorchlabError):  # an unreadable config: fall back to the defaults
            config = None
    dataset = meta.get("dataset") or (config.dataset if config else "MNIST")
    info = dataset_info(dataset)
    if isinstance(meta.get("mean"), int | float) and isinstance(meta.get("std"), int | float):
        return info.key, (float(meta["mean"]), float(meta["std"]))
    if config is not None:
        return info.key, normalization_of(config)
    return info.key, (info.mean, info.std)


def predict_test_set(folder: Path | str, device: str = "cpu") -> Predictions:
    """Load the model in `folder` and score every image of its dataset's test set."""
    folder = Path(folder)
    model, spec, meta = load_model(folder, device)
    dataset, normalization = _input_settings(folder, meta)
    info = dataset_info(dataset)
    if spec.num_classes != len(info.classes):
        raise CheckpointError(
            f"This model predicts {spec.num_classes} classes but {dataset} has "
            f"{len(info.classes)}: it cannot be browsed on that test set."
        )
    X, y = load_tensors(dataset, False, device=device, normalization=normalization)
    probs = predict_proba(model, X)  # (N, classes)
    return Predictions(dataset, info.classes, y.cpu(), probs.float())


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
