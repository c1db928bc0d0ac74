"""Loss and cost on real MNIST test images, checked against torch.nn.functional."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

import core.backprop.loss as loss_demo
from core.backprop.loss import (
    MAX_BATCH_SIZE,
    MAX_SEED,
    TEST_SET_SIZE,
    demo_model,
    fresh_model,
    logits,
    loss_report,
    mini_batch,
)
from core.engine.learning.data import CLASSIC_MNIST_NORMALIZATION, load_tensors
from core.engine.learning.models import classic_spec
from core.engine.runs.checkpoint import save_model
from core.errors import LimitError


@pytest.fixture
def no_pretrained(tmp_path, monkeypatch):
    monkeypatch.setattr(loss_demo, "PRETRAINED_DIR", tmp_path / "missing")


def test_fresh_model_is_repeatable_and_leaves_the_global_rng_alone():
    state = torch.random.get_rng_state()
    a, b, c = fresh_model(3), fresh_model(3), fresh_model(4)
    assert torch.equal(torch.random.get_rng_state(), state)
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(pa, pb), name
    assert not torch.equal(a.classifier[0].weight, c.classifier[0].weight)
    assert not a.training  # eval mode: dropout off, losses repeatable
    with pytest.raises(LimitError, match="seed"):
        fresh_model(MAX_SEED + 1)


def test_missing_pretrained_model_falls_back_to_a_fresh_one_and_says_so(no_pretrained):
    demo = demo_model("pretrained", 5)
    assert demo.source == "fresh"
    assert "not in" in demo.note and "seed 5" in demo.note
    assert torch.equal(demo.model.classifier[0].weight, fresh_model(5).classifier[0].weight)


def test_shipped_model_is_loaded_when_present(tmp_path, monkeypatch):
    model = fresh_model(11)
    save_model(tmp_path, model, classic_spec(), {"normalization": [0.1307, 0.3081]})
    monkeypatch.setattr(loss_demo, "PRETRAINED_DIR", tmp_path)
    demo = demo_model("pretrained", 0)
    assert demo.source == "pretrained" and "pretrained" in demo.note
    assert demo.normalization == (0.1307, 0.3081)
    assert torch.equal(demo.model.classifier[0].weight, model.classifier[0].weight)
    (tmp_path / "model.safetensors").write_bytes(b"not weights")
    broken = demo_model("pretrained", 0)
    assert broken.source == "fresh" and "could not be read" in broken.note


@pytest.mark.needs_data
def test_mini_batch_is_a_slice_of_the_test_set_with_limits():
    X, y = mini_batch(100, 16, CLASSIC_MNIST_NORMALIZATION, "cpu")
    X_all, y_all = load_tensors("MNIST", train=False, normalization=CLASSIC_MNIST_NORMALIZATION)
    assert X.shape == (16, 1, 28, 28) and len(X_all) == TEST_SET_SIZE
    assert torch.equal(X, X_all[100:116]) and torch.equal(y, y_all[100:116])
    for start, size in [(0, 0), (0, MAX_BATCH_SIZE + 1), (-1, 4), (len(X_all) - 3, 4)]:
        with pytest.raises(LimitError):
            mini_batch(start, size, CLASSIC_MNIST_NORMALIZATION, "cpu")


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.needs_data
def test_loss_report_matches_torch_and_sum_is_mean_times_batch(seed):
    model = fresh_model(seed)
    X, y = mini_batch(40, 12, CLASSIC_MNIST_NORMALIZATION, "cpu")
    report = loss_report(model, X, y, CLASSIC_MNIST_NORMALIZATION)
    with torch.no_grad():
        z = logits(model, X).double()
        assert_close(F.log_softmax(z, 1).float(), model(X), rtol=1e-5, atol=1e-5)
        expected = F.cross_entropy(z, y, reduction="none")
    B = len(y)
    losses = torch.tensor(report.losses, dtype=torch.float64)
    assert_close(losses, expected, rtol=1e-5, atol=1e-5)
    assert_close(torch.tensor(report.cross_entropy, dtype=torch.float64), losses)
    assert report.max_difference <= 1e-5
    assert_close(report.cost_sum, report.cost_mean * B, rtol=1e-5, atol=1e-5)
    assert report.mean_times_batch == pytest.approx(report.cost_mean * B)
    assert_close(report.cost_sum, float(losses.sum()), rtol=1e-5, atol=1e-5)
    assert_close(
        torch.tensor(report.p_true, dtype=torch.float64), torch.exp(-losses), rtol=1e-5, atol=1e-6
    )
    assert report.y == y.tolist()
    assert report.predicted == z.argmax(1).tolist()


@pytest.mark.needs_data
def test_image_strip_puts_each_image_in_its_own_block():
    mean, std = CLASSIC_MNIST_NORMALIZATION
    X, y = mini_batch(0, 5, CLASSIC_MNIST_NORMALIZATION, "cpu")
    report = loss_report(fresh_model(0), X, y, CLASSIC_MNIST_NORMALIZATION)
    assert report.images.shape == (28, 28 * 5)
    assert report.images.min() >= 0.0 and report.images.max() <= 1.0
    assert_close(report.images[:, 56:84], (X[2, 0] * std + mean).clamp(0, 1))


@pytest.mark.needs_data
def test_loss_figure_puts_each_loss_under_its_image():
    from core.backprop.figures import loss_figure

    X, y = mini_batch(0, 6, CLASSIC_MNIST_NORMALIZATION, "cpu")
    report = loss_report(fresh_model(0), X, y, CLASSIC_MNIST_NORMALIZATION)
    images, bars, mean = loss_figure(report).data
    assert list(bars.y) == report.losses
    assert list(bars.x) == pytest.approx([28 * i + 13.5 for i in range(6)])  # image centres
    assert len(images.z[0]) == 28 * 6
    assert isinstance(images.z, np.ndarray)  # sent as one binary array, not 4,704 numbers
    assert set(mean.y) == {report.cost_mean}


@pytest.mark.needs_data
def test_loss_figure_labels_keep_their_digits_when_the_losses_are_tiny():
    from core.backprop.figures import loss_figure

    X, y = mini_batch(0, 4, CLASSIC_MNIST_NORMALIZATION, "cpu")
    report = loss_report(fresh_model(0), X, y, CLASSIC_MNIST_NORMALIZATION)
    tiny = [v * 1e-4 for v in report.losses]  # what the pretrained model gets on easy digits
    report = replace(report, losses=tiny, cost_mean=sum(tiny) / len(tiny))
    _, bars, mean = loss_figure(report).data
    assert [float(t) for t in bars.text] == pytest.approx(tiny, rel=0.05)  # not "0.00"
    assert f"{report.cost_mean:.3g}" in mean.name
