"""Test-set browser: predictions of a saved run, filters, paging, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from core.engine.learning.config import RunConfig
from core.engine.learning.data import load_raw, load_tensors
from core.engine.learning.models import ModelSpec, build_model, linear_spec
from core.engine.learning.setup import normalization_of
from core.engine.products.predictor import PRETRAINED_DIR, model_choices, pretrained_present
from core.engine.runs.checkpoint import save_model
from core.engine.runs.folder import write_config
from core.engine.runs.runner import Runner
from core.errors import CheckpointError, ConfigError, LimitError
from core.experiments import testset as T

pytestmark = pytest.mark.slow  # it trains a run in a worker process


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, needs_data):
    """A real saved run: the linear model trained briefly, scored on the whole test set."""
    root = tmp_path_factory.mktemp("runs")
    runner = Runner(runs_root=root, max_concurrent=1)
    config = RunConfig(
        model=linear_spec(), optimizer="SGD", lr=0.1, train_subset=300, normalization="dataset"
    )
    snap = runner.wait(runner.submit(config, name="tiny linear"), timeout=60)
    runner.shutdown()
    assert snap.status == "done"
    return snap


@pytest.fixture(scope="module")
def preds(run_dir):
    return T.predict_test_set(run_dir.run_dir)


def test_predictions_match_the_model_and_the_runs_own_score(run_dir, preds):
    from core.engine.runs.checkpoint import load_model

    model, _, _ = load_model(run_dir.run_dir)
    X, y = load_tensors("MNIST", False, normalization=normalization_of(run_dir.config))
    with torch.no_grad():
        expected = model.double()(X.double()).exp()  # (N, 10)
    torch.testing.assert_close(preds.probs.double(), expected, rtol=1e-4, atol=1e-5)
    assert torch.equal(preds.labels, y)
    assert preds.accuracy == pytest.approx(run_dir.test[-1]["accuracy"])  # the whole test set


def test_the_browser_lists_saved_runs_of_any_dataset(run_dir, tmp_path):
    root = Path(run_dir.run_dir).parent
    labels = [c.label for c in model_choices(root, datasets=None)]
    assert any(label.startswith("Run tiny linear · MNIST") for label in labels)
    assert labels[0].startswith("Pretrained digit model") == pretrained_present()
    fashion = tmp_path / "20260101-000000-fashion"
    fashion.mkdir()
    write_config(fashion, RunConfig(dataset="FashionMNIST", name="fashion"))
    save_model(fashion, build_model(linear_spec()), linear_spec(), {"dataset": "FashionMNIST"})
    assert [c.folder for c in model_choices(tmp_path, datasets=None)] == [
        *([PRETRAINED_DIR] if pretrained_present() else []),
        fashion,
    ]
    assert fashion not in [c.folder for c in model_choices(tmp_path)]  # the canvas: digits only


def test_filters_agree_with_a_plain_loop(preds):
    predicted, conf = preds.predicted.tolist(), preds.confidence.tolist()
    labels = preds.labels.tolist()
    got = T.select(preds, true_class=7, wrong_only=True, max_confidence=0.8).tolist()
    want = [i for i in range(len(labels)) if labels[i] == 7 and predicted[i] != 7 and conf[i] < 0.8]
    assert got == want and got
    as_3 = T.select(preds, predicted_class=3).tolist()
    assert as_3 == [i for i, p in enumerate(predicted) if p == 3]


def test_orders_by_confidence(preds):
    least = T.select(preds, true_class=1, order="least confident first")
    conf = preds.confidence[least]
    assert torch.all(conf[1:] >= conf[:-1])
    most = T.select(preds, true_class=1, order="most confident first")
    assert sorted(most.tolist()) == sorted(least.tolist())
    assert preds.confidence[most[0]] == conf.max()


def test_paging_and_items(preds):
    idx = T.select(preds, wrong_only=True)
    pages = T.page_count(len(idx), 24)
    last = T.page_of(idx, pages, 24)
    assert 1 <= len(last) <= 24
    assert torch.equal(torch.cat([T.page_of(idx, p, 24) for p in range(1, pages + 1)]), idx)
    images, _ = load_raw("MNIST", train=False)
    item = T.items(preds, idx[:1])[0]
    assert not item.correct and item.image.shape == (28, 28) and item.image.dtype.name == "uint8"
    assert (item.image == images[item.index].numpy()).all()
    assert sum(item.probs) == pytest.approx(1.0, abs=1e-4)
    assert item.confidence == pytest.approx(max(item.probs))


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"true_class": 10}, ConfigError, "0 to 9"),
        ({"predicted_class": -1}, ConfigError, "0 to 9"),
        ({"max_confidence": 0.0}, ConfigError, "confidence"),
        ({"order": "random"}, ConfigError, "Order"),
    ],
)
def test_bad_filters_get_messages(preds, kwargs, error, words):
    with pytest.raises(error, match=words):
        T.select(preds, **kwargs)


def test_bad_pages_get_messages(preds):
    idx = T.select(preds)
    with pytest.raises(LimitError, match="pages"):
        T.page_of(idx, 10_000, 24)
    with pytest.raises(LimitError, match="per page"):
        T.page_of(idx, 1, T.MAX_PAGE_SIZE + 1)
    assert T.page_count(0, 24) == 1 and len(T.page_of(idx[:0], 1, 24)) == 0


@pytest.mark.needs_data
def test_a_folder_without_config_uses_the_dataset_statistics(tmp_path):
    torch.manual_seed(0)
    model = build_model(linear_spec())
    save_model(tmp_path / "m", model, linear_spec(), {"dataset": "FashionMNIST"})
    preds = T.predict_test_set(tmp_path / "m")
    assert preds.dataset == "FashionMNIST" and preds.classes[0] == "T-shirt/top"
    assert preds.probs.shape == (10_000, 10)


def test_unusable_folders_get_messages(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        T.predict_test_set(tmp_path / "nothing")
    spec = ModelSpec(num_classes=3)
    save_model(tmp_path / "three", build_model(spec), spec, {"dataset": "MNIST"})
    with pytest.raises(CheckpointError, match="3 classes"):
        T.predict_test_set(tmp_path / "three")
