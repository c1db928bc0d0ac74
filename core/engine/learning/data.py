"""Datasets as tensors: loaded once through torchvision, normalized once, cached per process.

Batches are index slices of these tensors (see core.engine.learning.loop), so nothing
per-sample runs in the training loop.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch

from core.errors import DataError

DATA_ENV = "TORCHLAB_DATA"
DEFAULT_ROOT = "./data"
IMAGE_SIZE = 28  # height and width of every image in the registry, and of a model's input
TRAIN_SIZE = 60_000  # training images in every registered dataset
TEST_SIZE = 10_000  # test images in every registered dataset


@dataclass(frozen=True)
class DatasetInfo:
    key: str  # registry key and torchvision class name, e.g. "MNIST"
    title: str  # human name for the page
    classes: tuple[str, ...]  # class names in label order
    mean: float  # pixel mean of the training images, on [0, 1]
    std: float  # pixel standard deviation of the training images, on [0, 1]
    description: str


_IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

DATASETS: dict[str, DatasetInfo] = {
    "MNIST": DatasetInfo(
        key="MNIST",
        title="MNIST handwritten digits",
        classes=tuple(str(d) for d in range(10)),
        mean=0.1307,
        std=0.3081,
        description="70,000 grey 28×28 images of the digits 0-9 written by hand.",
    ),
    "FashionMNIST": DatasetInfo(
        key="FashionMNIST",
        title="Fashion-MNIST clothing",
        classes=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        mean=0.2860,
        std=0.3530,
        description="70,000 grey 28×28 images of ten kinds of clothing; harder than MNIST.",
    ),
}

# The constants of the classic PyTorch MNIST example the chapter follows.
CLASSIC_MNIST_NORMALIZATION = (0.1302, 0.3069)


def dataset_info(name: str) -> DatasetInfo:
    try:
        return DATASETS[name]
    except KeyError:
        raise DataError(
            f"Unknown dataset {name!r}. Choose one of: {', '.join(DATASETS)}."
        ) from None


def data_root() -> Path:
    """`TORCHLAB_DATA` if set, else ./data, in torchvision's layout (<root>/MNIST/raw/...)."""
    return Path(os.environ.get(DATA_ENV) or DEFAULT_ROOT).expanduser().resolve()


def missing_files(name: str, root: Path | None = None) -> list[Path]:
    """The raw files torchvision needs for `name` that are not in the data root."""
    raw = (root or data_root()) / dataset_info(name).key / "raw"
    return [raw / f for f in _IDX_FILES if not (raw / f).exists()]


def _missing_message(name: str, root: Path, missing: list[Path]) -> str:
    raw = root / name / "raw"
    return (
        f"{name} is not in the data folder {root}. Put these files (uncompressed IDX, as "
        f"torchvision downloads them) in {raw}: {', '.join(p.name for p in missing)}. "
        f"Or set {DATA_ENV} to a folder that has them, or allow the download when online."
    )


_lock = threading.Lock()


@lru_cache(maxsize=8)
def _load_raw(root: str, name: str, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    import torchvision  # imported here: it is slow to import and only needed on first load

    cls = getattr(torchvision.datasets, name)
    ds = cls(root=root, train=train, download=False)
    return ds.data.contiguous(), ds.targets.to(torch.int64).contiguous()


def load_raw(
    name: str, train: bool = True, *, root: Path | None = None, download: bool = False
) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 images (N, 28, 28) and int64 labels (N,), read once per process.

    Downloads only when files are missing and `download` is true; otherwise a missing file
    is a `DataError` that names the folder and the files expected.
    """
    info = dataset_info(name)
    root = Path(root).resolve() if root else data_root()
    missing = missing_files(info.key, root)
    if missing:
        if not download:
            raise DataError(_missing_message(info.key, root, missing))
        _download(info.key, root)
    with _lock:
        try:
            return _load_raw(str(root), info.key, train)
        except (RuntimeError, OSError, ValueError) as exc:
            raise DataError(f"Could not read {info.key} from {root}: {exc}") from exc


def _download(name: str, root: Path) -> None:
    import torchvision

    cls = getattr(torchvision.datasets, name)
    try:
        for train in (True, False):
            cls(root=str(root), train=train, download=True)
    except Exception as exc:  # network errors come in many types; all mean the same here
        raise DataError(
            f"Could not download {name} into {root} ({exc}). If this machine is offline, "
            + _missing_message(name, root, missing_files(name, root))
        ) from exc


@lru_cache(maxsize=8)
def _normalized(
    root: str, name: str, train: bool, mean: float, std: float, device: str
) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = _load_raw(root, name, train)
    X = images.to(torch.float32).div_(255.0).sub_(mean).div_(std).unsqueeze(1)  # (N, 1, 28, 28)
    return X.to(device), labels.to(device)


def load_tensors(
    name: str,
    train: bool = True,
    *,
    device: str | torch.device = "cpu",
    normalization: tuple[float, float] | None = None,
    root: Path | None = None,
    download: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalized float32 images (N, 1, 28, 28) and int64 labels (N,) on `device`.

    `normalization` is (mean, std) on the [0, 1] scale; by default the dataset's own
    statistics. The result is cached, so treat it as read-only.
    """
    info = dataset_info(name)
    root = Path(root).resolve() if root else data_root()
    load_raw(info.key, train, root=root, download=download)  # raises the clear errors
    mean, std = normalization or (info.mean, info.std)
    if std <= 0:
        raise DataError(f"The normalization std must be positive, not {std}.")
    with _lock:
        return _normalized(str(root), info.key, train, float(mean), float(std), str(device))


def pixel_statistics(name: str, *, root: Path | None = None) -> tuple[float, float]:
    """Mean and std of the training pixels on [0, 1], computed from the data itself."""
    images, _ = load_raw(name, True, root=root)
    x = images.to(torch.float64).div_(255.0)
    return float(x.mean()), float(x.std())
