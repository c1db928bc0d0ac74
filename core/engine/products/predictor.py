"""Asking a saved model about a digit: load it, predict with timing, explain with saliency.

The input comes from core.canvas.preprocess (a drawing or an upload made MNIST-like). Models are the
shipped pretrained one or any saved run: a folder with model.safetensors + model.json, whose
meta says which dataset and normalization the model was trained with.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from core.devices import synchronize
from core.engine.learning.data import DATASETS, IMAGE_SIZE
from core.engine.learning.randomness import seeded
from core.engine.runs.checkpoint import SPEC_FILE, WEIGHTS_FILE, load_model
from core.engine.runs.files import read_json
from core.engine.runs.folder import list_runs
from core.errors import CheckpointError

# The pretrained digit model shipped with the app (the README has the command that makes it).
PRETRAINED_DIR = Path(__file__).resolve().parents[3] / "assets" / "digit_model"
LOW_CONFIDENCE = 0.7  # below this top probability the page says it is not sure


@dataclass(frozen=True)
class Prediction:
    probs: np.ndarray  # (num_classes,) float32 probabilities, summing to 1
    top: int  # the class with the highest probability
    runner_up: int  # the second most likely class
    seconds: float  # the forward pass on `device`, queued GPU work included
    device: str  # where it ran

    @property
    def confidence(self) -> float:
        return float(self.probs[self.top])

    @property
    def unsure(self) -> bool:
        # judged on the percentage the page shows: 69.6% reads "70%", and "70% sure" next
        # to "only 70%" would contradict itself
        return round(self.confidence * 100) < round(LOW_CONFIDENCE * 100)


def verdict(pred: Prediction, classes: tuple[str, ...]) -> str:
    """One honest line: the answer, or the doubt between the two likeliest answers."""
    top, second = classes[pred.top], classes[pred.runner_up]
    if pred.unsure:
        return f"not sure: {top} or {second}?"
    return f"{top} ({pred.confidence:.0%} sure)"


def predict(model: nn.Module, X: torch.Tensor, device: str | torch.device = "cpu") -> Prediction:
    """Probabilities for one input, timed on the device (synchronized, so GPU time is real)."""
    dev = torch.device(device)
    X = X.to(dev)  # (1, 1, 28, 28)
    synchronize(dev)
    start = time.perf_counter()
    with torch.inference_mode():
        out = model(X)  # (1, num_classes) log-probabilities (or logits: softmax fits both)
    synchronize(dev)
    seconds = time.perf_counter() - start
    probs = torch.softmax(out.float(), dim=1)[0].cpu().numpy()  # (num_classes,)
    order = np.argsort(-probs, kind="stable")
    return Prediction(probs, int(order[0]), int(order[1]), seconds, str(dev))


def saliency(model: nn.Module, X: torch.Tensor, target: int | None = None) -> np.ndarray:
    """|∂ score[target] / ∂ X|: which input pixels would change the answer most, on [0, 1].

    `score` is the model's output for the class (its log-probability for our ConvNets);
    `target` defaults to the top class. Only the input gets a gradient, so a model shared
    between sessions is never touched.
    """
    dev = next(model.parameters()).device
    X = X.detach().to(dev).clone().requires_grad_(True)  # (1, 1, 28, 28)
    with torch.enable_grad():
        out = model(X)  # (1, num_classes)
        idx = int(out[0].argmax()) if target is None else int(target)
        (grad,) = torch.autograd.grad(out[0, idx], X)
    s = grad.abs()[0, 0]  # (28, 28)
    peak = float(s.max())
    return (s / peak if peak > 0 else s).cpu().numpy()


@dataclass(frozen=True)
class Predictor:
    model: nn.Module  # in eval mode, on the device it was loaded for
    normalization: tuple[float, float]  # (mean, std) its training inputs were normalized with
    classes: tuple[str, ...]  # the label of each output
    dataset: str  # what it was trained on
    accuracy: float | None  # test accuracy recorded when it was saved, if any
    folder: Path  # where it was loaded from


def load_predictor(folder: Path | str, device: str | torch.device = "cpu") -> Predictor:
    """A saved model plus what it needs to read a drawing: its normalization and classes."""
    folder = Path(folder)
    with seeded(0):  # the weights it builds are overwritten: leave the page's stream alone
        model, spec, meta = load_model(folder, device)
    if spec.in_channels != 1 or spec.image_size != IMAGE_SIZE:
        raise CheckpointError(
            f"The model {folder.name} reads {spec.in_channels}-channel {spec.image_size} px "
            f"images; a drawing becomes a 1-channel {IMAGE_SIZE}×{IMAGE_SIZE} one."
        )
    info = DATASETS.get(str(meta.get("dataset", "MNIST")), DATASETS["MNIST"])
    mean, std = meta.get("mean"), meta.get("std")
    if not all(isinstance(v, (int, float)) for v in (mean, std)) or std <= 0:
        mean, std = info.mean, info.std  # older files: the dataset's own statistics
    classes = tuple(str(c) for c in meta.get("classes") or info.classes)
    if len(classes) != spec.num_classes:
        classes = tuple(str(i) for i in range(spec.num_classes))
    accuracy = meta.get("accuracy")
    with torch.inference_mode():  # one warm-up pass, so the first timing shown is a fair one
        model(torch.zeros(1, 1, IMAGE_SIZE, IMAGE_SIZE, device=device))
    return Predictor(
        model=model,
        normalization=(float(mean), float(std)),
        classes=classes,
        dataset=info.key,
        accuracy=float(accuracy) if isinstance(accuracy, (int, float)) else None,
        folder=folder,
    )


@dataclass(frozen=True)
class ModelChoice:
    label: str  # what the model picker shows
    folder: Path  # a folder `load_predictor` reads
    stamp: float  # modification time of its weights: a retrained model is a new cache entry


def pretrained_present() -> bool:
    return (PRETRAINED_DIR / WEIGHTS_FILE).is_file() and (PRETRAINED_DIR / SPEC_FILE).is_file()


def _stamp(folder: Path) -> float | None:
    try:
        return (folder / WEIGHTS_FILE).stat().st_mtime
    except OSError:  # removed (or not written yet) since it was listed
        return None


def model_choices(
    runs_root: Path | None = None, datasets: Iterable[str] | None = ("MNIST",)
) -> list[ModelChoice]:
    """The shipped pretrained digit model first, then every saved run with weights, newest
    first, trained on one of `datasets` (None: any dataset)."""
    wanted = None if datasets is None else set(datasets)
    choices = []
    stamp = _stamp(PRETRAINED_DIR) if pretrained_present() else None
    if stamp is not None and (wanted is None or "MNIST" in wanted):
        try:
            acc = read_json(PRETRAINED_DIR / SPEC_FILE).get("meta", {}).get("accuracy")
        except (CheckpointError, AttributeError):
            acc = None
        note = f" · {acc:.2%} MNIST test" if isinstance(acc, (int, float)) else ""
        choices.append(ModelChoice(f"Pretrained digit model{note}", PRETRAINED_DIR, stamp))
    for record in list_runs(runs_root):
        # A FashionMNIST run knows clothes, not digits: it has nothing to say about a drawing.
        if not record.has_model or (wanted is not None and record.config.dataset not in wanted):
            continue
        stamp = _stamp(record.run_dir)
        if stamp is None:
            continue
        acc = record.final_accuracy
        # a run scores a subset of the test set each epoch: say which, or the browser's
        # whole-test-set accuracy looks like a contradiction
        tested = (
            f"{record.config.test_subset:,} test images"
            if record.config.test_subset
            else "the test set"
        )
        note = f" · {acc:.2%} on {tested}" if isinstance(acc, (int, float)) else ""
        label = f"Run {record.name} · {record.config.dataset} · {record.status}{note}"
        choices.append(ModelChoice(label, record.run_dir, stamp))
    return choices
