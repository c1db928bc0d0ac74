"""Loss and cost on a real mini-batch: each image's negative log-likelihood, then sum or mean.

The loss of one input says how wrong the model is on it; the cost gathers the losses of a
batch into the single number that backward() starts from. `reduction='sum'` adds them,
`'mean'` (PyTorch's default) divides by the batch size, so the step size does not grow
with the batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from core.engine.learning.config import MAX_SEED
from core.engine.learning.data import CLASSIC_MNIST_NORMALIZATION, load_tensors
from core.engine.learning.models import ConvNet, build_model, classic_spec
from core.engine.learning.randomness import seeded
from core.engine.products.predictor import PRETRAINED_DIR
from core.engine.runs.checkpoint import SPEC_FILE, WEIGHTS_FILE, load_model
from core.errors import CheckpointError, LimitError

MAX_BATCH_SIZE = 64  # most images in the demo's mini-batch
DEFAULT_BATCH_SIZE = 8  # what the page starts with
TEST_SET_SIZE = 10_000  # images in the MNIST test set, where the mini-batch comes from
SOURCES = ("pretrained", "fresh")  # where the model's weights come from
FOLDER = f"{PRETRAINED_DIR.parent.name}/{PRETRAINED_DIR.name}/"  # as the page names it


@dataclass
class DemoModel:
    model: ConvNet  # in eval mode: dropout off, so the losses are repeatable
    source: str  # "pretrained" or "fresh": what was really loaded
    normalization: tuple[float, float]  # (mean, std) the model expects its pixels in
    note: str  # one sentence for the page: where the weights came from


def pretrained_available() -> bool:
    return (PRETRAINED_DIR / SPEC_FILE).is_file() and (PRETRAINED_DIR / WEIGHTS_FILE).is_file()


def fresh_model(seed: int, device: str | torch.device = "cpu") -> ConvNet:
    """The chapter's ConvNet with random initial weights, the same ones for the same seed."""
    if not 0 <= seed <= MAX_SEED:
        raise LimitError(f"The seed must be 0 to {MAX_SEED:,}, not {seed}.")
    with seeded(seed):
        model = build_model(classic_spec())
    return model.to(device).eval()


def _normalization(meta: dict) -> tuple[float, float]:
    # The shipped model may say how its pixels were normalized; else the classic constants.
    value = meta.get("normalization")
    if isinstance(value, list | tuple) and len(value) == 2:
        try:
            mean, std = float(value[0]), float(value[1])
        except (TypeError, ValueError):
            return CLASSIC_MNIST_NORMALIZATION
        if std > 0:
            return mean, std
    return CLASSIC_MNIST_NORMALIZATION


def demo_model(source: str, seed: int, device: str | torch.device = "cpu") -> DemoModel:
    """The pretrained digit model if asked for and present, else a fresh one, saying which."""
    if source == "pretrained":
        if not pretrained_available():
            note = (
                f"The pretrained model is not in {FOLDER} yet, so this is a freshly "
                f"initialised one (seed {seed}): expect losses near log 10 ≈ 2.3."
            )
            return DemoModel(fresh_model(seed, device), "fresh", CLASSIC_MNIST_NORMALIZATION, note)
        try:
            model, _, meta = load_model(PRETRAINED_DIR, device)
        except CheckpointError as exc:
            note = (
                f"The pretrained model could not be read ({exc}); using a fresh one (seed {seed})."
            )
            return DemoModel(fresh_model(seed, device), "fresh", CLASSIC_MNIST_NORMALIZATION, note)
        accuracy = meta.get("test_accuracy", meta.get("accuracy"))
        note = "The shipped pretrained digit model" + (
            f" ({float(accuracy):.1%} test accuracy)." if isinstance(accuracy, float) else "."
        )
        return DemoModel(model, "pretrained", _normalization(meta), note)
    note = (
        f"A freshly initialised model (seed {seed}): it guesses, so losses sit near log 10 ≈ 2.3."
    )
    return DemoModel(fresh_model(seed, device), "fresh", CLASSIC_MNIST_NORMALIZATION, note)


def mini_batch(
    start: int, batch_size: int, normalization: tuple[float, float], device: str | torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Test images start..start+batch_size (X normalized as the model expects) and labels y."""
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise LimitError(f"The mini-batch holds 1 to {MAX_BATCH_SIZE} images, not {batch_size}.")
    X_all, y_all = load_tensors("MNIST", train=False, normalization=normalization)
    if not 0 <= start <= len(X_all) - batch_size:
        raise LimitError(
            f"The first image must be 0 to {len(X_all) - batch_size:,} for a batch of "
            f"{batch_size}, not {start}."
        )
    X = X_all[start : start + batch_size].to(device)  # (B, 1, 28, 28)
    y = y_all[start : start + batch_size].to(device)  # (B,)
    return X, y


def logits(model: ConvNet, X: torch.Tensor) -> torch.Tensor:
    """The raw scores z, before the log_softmax that ConvNet.forward ends with."""
    h = torch.flatten(model.features(X), 1)  # (B, C·H'·W')
    return model.classifier(h)  # (B, 10)


@dataclass
class LossReport:
    y: list[int]  # the true digit of each image
    predicted: list[int]  # the digit with the highest score
    p_true: list[float]  # softmax probability the model gives the true digit
    losses: list[float]  # F.nll_loss(F.log_softmax(z), y, reduction='none'): −log p_true
    cross_entropy: list[float]  # F.cross_entropy(z, y, reduction='none'): the same numbers
    cost_sum: float  # reduction='sum'
    cost_mean: float  # reduction='mean'
    max_difference: float  # largest |nll − cross_entropy| over the batch: rounding only
    images: torch.Tensor  # (28, 28·B) the batch side by side, pixels in [0, 1], for the figure

    @property
    def mean_times_batch(self) -> float:
        """cost_mean × B: equal to cost_sum, which is why 'mean' is 'sum' scaled by 1/B."""
        return self.cost_mean * len(self.losses)


def loss_report(
    model: ConvNet, X: torch.Tensor, y: torch.Tensor, normalization: tuple[float, float]
) -> LossReport:
    """Each image's loss, the batch's cost both ways, and cross_entropy = nll_loss ∘ log_softmax."""
    with torch.no_grad():
        z = logits(model, X)  # (B, 10)
        log_p = F.log_softmax(z, dim=1)  # (B, 10)
        nll = F.nll_loss(log_p, y, reduction="none")  # (B,)
        ce = F.cross_entropy(z, y, reduction="none")  # (B,)
        cost_sum = F.nll_loss(log_p, y, reduction="sum")
        cost_mean = F.nll_loss(log_p, y, reduction="mean")
        p_true = log_p.exp().gather(1, y[:, None])[:, 0]  # (B,)
    mean, std = normalization
    pixels = (X[:, 0] * std + mean).clamp(0, 1).cpu()  # (B, 28, 28)
    strip = pixels.permute(1, 0, 2).reshape(pixels.shape[1], -1)  # (28, 28·B)
    return LossReport(
        y.tolist(), z.argmax(1).tolist(), p_true.tolist(), nll.tolist(), ce.tolist(),
        cost_sum.item(), cost_mean.item(), (nll - ce).abs().max().item(), strip,
    )  # fmt: skip
