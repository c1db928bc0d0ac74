"""Prediction, saliency, model loading and the model list of the predictor, against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.canvas import preprocess as inf
from core.engine.learning.config import RunConfig
from core.engine.learning.data import DATASETS, load_raw
from core.engine.learning.models import build_model, classic_spec, linear_spec
from core.engine.products import predictor as pr
from core.engine.runs.checkpoint import save_model
from core.engine.runs.folder import StatusRecord, write_config, write_metrics, write_status
from core.engine.runs.record import RunStatus
from core.errors import CheckpointError


@pytest.fixture
def model():
    torch.manual_seed(0)
    return build_model(classic_spec()).eval()


def test_predict_gives_the_softmax_of_the_model_output(model):
    X = torch.randn(1, 1, 28, 28)
    pred = pr.predict(model, X, "cpu")
    expected = torch.exp(model.double()(X.double()))[0]  # the model returns log-probabilities
    torch.testing.assert_close(
        torch.as_tensor(pred.probs, dtype=torch.float64), expected, rtol=1e-5, atol=1e-6
    )
    order = torch.argsort(expected, descending=True)
    assert (pred.top, pred.runner_up) == (int(order[0]), int(order[1]))
    assert pred.seconds >= 0 and pred.device == "cpu"


def test_low_confidence_says_not_sure_instead_of_pretending():
    classes = tuple(str(d) for d in range(10))
    unsure = pr.Prediction(
        np.array([0.02, 0.02, 0.02, 0.03, 0.45, 0.02, 0.02, 0.02, 0.0, 0.40]), 4, 9, 0.0, "cpu"
    )
    sure = pr.Prediction(np.eye(10)[7] * 0.97, 7, 1, 0.0, "cpu")
    assert unsure.unsure and pr.verdict(unsure, classes) == "not sure: 4 or 9?"
    assert not sure.unsure and pr.verdict(sure, classes).startswith("7 (97%")
    # on the line: 69.6% shows as "70%", and is judged as the 70% it shows
    edge = pr.Prediction(np.array([0.696, 0.304] + [0.0] * 8), 0, 1, 0.0, "cpu")
    assert f"{edge.confidence:.0%}" == "70%" and not edge.unsure
    below = pr.Prediction(np.array([0.694, 0.306] + [0.0] * 8), 0, 1, 0.0, "cpu")
    assert f"{below.confidence:.0%}" == "69%" and below.unsure


def test_saliency_is_the_normalized_input_gradient_of_the_top_class(model):
    X = torch.randn(1, 1, 28, 28)
    sal = pr.saliency(model, X)
    assert all(p.grad is None for p in model.parameters())  # a shared model stays untouched
    ref = model.double()
    X64 = X.double().requires_grad_(True)
    out = ref(X64)
    out[0, out[0].argmax()].backward()
    expected = X64.grad.abs()[0, 0] / X64.grad.abs().max()
    torch.testing.assert_close(
        torch.as_tensor(sal, dtype=torch.float64), expected, rtol=1e-4, atol=1e-5
    )


def test_saliency_for_a_chosen_class(model):
    X = torch.randn(1, 1, 28, 28)
    X64 = X.double().requires_grad_(True)
    (grad,) = torch.autograd.grad(model.double()(X64)[0, 3], X64)
    expected = grad.abs()[0, 0] / grad.abs().max()
    model.float()
    torch.testing.assert_close(
        torch.as_tensor(pr.saliency(model, X, target=3), dtype=torch.float64),
        expected,
        rtol=1e-4,
        atol=1e-5,
    )


def test_load_predictor_reads_the_normalization_and_classes_it_was_trained_with(tmp_path, model):
    save_model(
        tmp_path / "a",
        model,
        classic_spec(),
        {"dataset": "MNIST", "mean": 0.2, "std": 0.4, "accuracy": 0.95},
    )
    p = pr.load_predictor(tmp_path / "a")
    assert p.normalization == (0.2, 0.4) and p.accuracy == 0.95
    assert p.classes == DATASETS["MNIST"].classes and p.dataset == "MNIST"
    X = torch.randn(2, 1, 28, 28)
    torch.testing.assert_close(p.model(X), model(X))
    assert not p.model.training

    save_model(tmp_path / "b", model, classic_spec(), {})  # an older file: no statistics saved
    q = pr.load_predictor(tmp_path / "b")
    assert q.normalization == (DATASETS["MNIST"].mean, DATASETS["MNIST"].std) and q.accuracy is None


def test_a_model_for_other_images_is_refused(tmp_path):
    spec = linear_spec()
    spec.image_size = 32
    save_model(tmp_path, build_model(spec), spec)
    with pytest.raises(CheckpointError, match="1-channel 28×28"):
        pr.load_predictor(tmp_path)


def _run(root, name, dataset, with_model=True):
    folder = root / name
    folder.mkdir(parents=True)
    write_config(folder, RunConfig(dataset=dataset, name=name))
    write_status(folder, StatusRecord(RunStatus.DONE, started=1.0))
    if with_model:
        save_model(folder, build_model(linear_spec()), linear_spec(), {"dataset": dataset})
    return folder


def test_model_choices_lists_the_pretrained_model_first_then_mnist_runs_with_weights(
    tmp_path, monkeypatch
):
    pretrained = tmp_path / "assets"
    monkeypatch.setattr(pr, "PRETRAINED_DIR", pretrained)
    runs = tmp_path / "runs"
    _run(runs, "20260101-000001-mnist", "MNIST")
    _run(runs, "20260101-000002-fashion", "FashionMNIST")
    _run(runs, "20260101-000003-unsaved", "MNIST", with_model=False)
    assert not pr.pretrained_present()
    assert [c.folder.name for c in pr.model_choices(runs)] == ["20260101-000001-mnist"]
    save_model(pretrained, build_model(linear_spec()), linear_spec(), {"accuracy": 0.991})
    choices = pr.model_choices(runs)
    assert pr.pretrained_present() and choices[0].folder == pretrained
    assert "99.10%" in choices[0].label
    assert [c.folder.name for c in choices[1:]] == ["20260101-000001-mnist"]


def test_a_runs_label_says_how_many_test_images_its_accuracy_is_on(tmp_path):
    """A run scores a subset each epoch; the browser scores all 10,000: name the subset."""
    for name, subset in (("20260101-000001-subset", 1_000), ("20260101-000002-all", None)):
        folder = _run(tmp_path, name, "MNIST")
        write_config(folder, RunConfig(dataset="MNIST", name=name, test_subset=subset))
        row = {"epoch": 1, "step": 1, "samples": 1, "seconds": 1.0, "loss": 0.2}
        write_metrics(folder, [], [{**row, "accuracy": 0.953}])
    labels = {c.folder.name: c.label for c in pr.model_choices(tmp_path)}
    assert labels["20260101-000001-subset"].endswith("95.30% on 1,000 test images")
    assert labels["20260101-000002-all"].endswith("95.30% on the test set")


@pytest.mark.needs_data
def test_a_briefly_trained_model_reads_digits_redrawn_at_canvas_size_as_it_reads_the_originals():
    """The whole path without the pretrained model: MNIST digits blown up to canvas size and
    preprocessed must get the same answers as the original 28×28 images, most of the time."""
    mean, std = DATASETS["MNIST"].mean, DATASETS["MNIST"].std
    images, y = load_raw("MNIST", True)
    X = ((images[:4000].float() / 255 - mean) / std).unsqueeze(1)  # (4000, 1, 28, 28)
    torch.manual_seed(0)
    model = build_model(linear_spec())
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for i in range(0, 4000, 100):  # a few steps: enough to be far better than chance
        opt.zero_grad()
        F.nll_loss(model(X[i : i + 100]), y[i : i + 100]).backward()
        opt.step()
    model.eval()
    originals = load_raw("MNIST", False)[0][:100].float().numpy() / 255  # (100, 28, 28)
    X_test = ((torch.from_numpy(originals) - mean) / std).unsqueeze(1)  # (100, 1, 28, 28)
    redrawn = [
        inf.preprocess(np.kron(d, np.ones((10, 10), np.float32)), (mean, std)).X for d in originals
    ]
    with torch.no_grad():
        direct = model(X_test).argmax(1)
        via_canvas = model(torch.cat(redrawn)).argmax(1)
    assert (direct == via_canvas).float().mean() >= 0.9


def test_loading_a_model_leaves_the_global_random_stream_alone(tmp_path, model):
    """A run training in another thread takes its dropout masks from the global generator:
    loading a model on a page meanwhile must not draw from it, or the run's numbers change."""
    save_model(tmp_path, model, classic_spec(), {"dataset": "MNIST"})
    torch.manual_seed(0)
    expected = torch.rand(5)
    torch.manual_seed(0)
    loaded = pr.load_predictor(tmp_path)
    torch.testing.assert_close(torch.rand(5), expected)
    X = torch.randn(2, 1, 28, 28)
    torch.testing.assert_close(loaded.model(X), model(X))  # the saved weights, not a fresh init
