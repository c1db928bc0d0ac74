from __future__ import annotations

import pytest
import torch

from core.engine.learning.data import DATASETS, load_raw, load_tensors, missing_files
from core.errors import DataError

REAL_DATASETS = [pytest.param(name, marks=pytest.mark.needs_data(name)) for name in DATASETS]


@pytest.mark.parametrize("name", REAL_DATASETS)
def test_real_datasets_have_their_sizes(name):
    X_train, y_train = load_tensors(name, train=True)
    X_test, y_test = load_tensors(name, train=False)
    assert X_train.shape == (60000, 1, 28, 28) and X_train.dtype == torch.float32
    assert X_test.shape == (10000, 1, 28, 28)
    assert y_train.shape == (60000,) and y_train.dtype == torch.int64
    assert set(y_test.unique().tolist()) == set(range(len(DATASETS[name].classes)))


@pytest.mark.parametrize("name", REAL_DATASETS)
def test_normalized_training_pixels_have_mean_0_std_1(name):
    X, _ = load_tensors(name, train=True)
    assert abs(X.mean().item()) < 1e-3
    assert abs(X.std().item() - 1) < 1e-3


@pytest.mark.needs_data
def test_mnist_label_counts_match_the_published_ones():
    _, y = load_raw("MNIST", train=False)
    counts = torch.bincount(y).tolist()
    assert counts == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.mark.needs_data
def test_loaded_once_and_cached():
    a = load_tensors("MNIST", train=False)
    b = load_tensors("MNIST", train=False)
    assert a[0] is b[0]


def test_missing_root_names_the_folder_and_files(tmp_path):
    root = tmp_path / "nowhere"
    with pytest.raises(DataError) as err:
        load_tensors("MNIST", root=root)
    message = str(err.value)
    assert str(root / "MNIST" / "raw") in message
    assert "train-images-idx3-ubyte" in message
    assert len(missing_files("MNIST", root)) == 4


def test_offline_download_failure_is_a_clear_error(tmp_path, monkeypatch):
    import torchvision

    def offline(*args, **kwargs):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", offline)
    with pytest.raises(DataError, match="Could not download MNIST"):
        load_raw("MNIST", root=tmp_path, download=True)


def test_unknown_dataset():
    with pytest.raises(DataError, match="Unknown dataset"):
        load_tensors("CIFAR10")
