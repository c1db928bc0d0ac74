"""The three data pipelines deliver the same normalized images; each is measured; limits hold."""

from __future__ import annotations

import pytest
import torch

from core.engine.learning.data import dataset_info, load_raw, load_tensors
from core.errors import LimitError
from core.experiments import pipelines as P

N = 96


@pytest.fixture(scope="module")
def dataset(needs_data):
    return P.transformed_dataset("MNIST")


def test_manual_loop_matches_the_tensor_resident_batches(dataset):
    X, y = load_tensors("MNIST", True)
    manual = list(P.manual_batches(dataset, N, 32, torch.Generator().manual_seed(4)))
    tensors = list(P.tensor_batches(X[:N], y[:N], 32, torch.Generator().manual_seed(4)))
    assert [b[0].shape for b in manual] == [(32, 1, 28, 28)] * 3
    for (Xm, ym), (Xt, yt) in zip(manual, tensors, strict=True):
        torch.testing.assert_close(Xm, Xt, rtol=0, atol=1e-5)  # ToTensor+Normalize == once
        assert torch.equal(ym, yt)


def test_normalization_matches_the_raw_pixels(dataset):
    images, labels = load_raw("MNIST")
    info = dataset_info("MNIST")
    X_0, y_0 = dataset[0]
    expected = (images[0].to(torch.float64) / 255 - info.mean) / info.std
    torch.testing.assert_close(X_0[0].to(torch.float64), expected, rtol=0, atol=1e-5)
    assert y_0 == int(labels[0])


def test_dataloader_delivers_every_sample_once_per_epoch(dataset):
    batches = list(P.dataloader_batches(dataset, N, 40, torch.Generator().manual_seed(0)))
    assert [len(b[1]) for b in batches] == [40, 40, 16]  # the last batch is smaller
    labels = torch.cat([b[1] for b in batches])
    _, y = load_tensors("MNIST", True)
    assert torch.equal(labels.sort().values, y[:N].sort().values)


@pytest.mark.parametrize("key", list(P.PIPELINES))
@pytest.mark.needs_data
def test_each_pipeline_is_measured(key):
    result = P.measure(key, samples=N, batch_size=32, device="cpu")
    assert result.samples == N and result.batches == 3
    assert result.samples_per_s == pytest.approx(N / result.seconds)
    assert result.title == P.PIPELINES[key].title


@pytest.mark.needs_data
def test_compare_measures_all_three_in_alternating_rounds_and_keeps_the_median(monkeypatch):
    order, rates = [], iter([10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0])
    real = P.measure

    def counted(key, **settings):
        order.append(key)
        result = real(key, **settings)
        return P.dataclasses.replace(result, samples_per_s=next(rates))

    monkeypatch.setattr(P, "measure", counted)
    results = P.compare(rounds=3, samples=64, batch_size=64)
    assert [r.key for r in results] == list(P.PIPELINES)
    assert order == ["manual", "dataloader", "tensors", "dataloader", "tensors", "manual",
                     "tensors", "manual", "dataloader"]  # fmt: skip
    manual = results[0]  # measured at 10, 60 and 80 samples/s
    assert (manual.samples_per_s, manual.low, manual.high, manual.rounds) == (60.0, 10.0, 80.0, 3)
    assert all(r.samples == 64 and r.batches == 1 for r in results)


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"samples": 0}, "1 to"),
        ({"samples": P.MAX_SAMPLES + 1}, "20,000"),
        ({"batch_size": 0}, "batch size"),
        ({"batch_size": P.MAX_BATCH + 1}, "batch size"),
    ],
)
def test_limits_get_messages(settings, words):
    with pytest.raises(LimitError, match=words):
        P.measure("manual", **settings)


def test_unknown_pipeline_and_device():
    with pytest.raises(LimitError, match="Unknown pipeline"):
        P.measure("magic", samples=10)
    with pytest.raises(Exception, match="not available"):
        P.measure("tensors", samples=10, device="cuda:7")


def test_estimate_grows_with_the_samples_and_the_rounds():
    assert P.estimate_seconds(4_000) == pytest.approx(2 * P.estimate_seconds(2_000))
    assert P.estimate_seconds(2_000, rounds=6) == pytest.approx(2 * P.estimate_seconds(2_000))


def _result(key: str, rate: float) -> P.PipelineResult:
    return P.PipelineResult(key, P.PIPELINES[key].title, 2_000, 32, 2_000 / rate, rate)


def test_findings_say_how_many_times_faster_and_what_an_epoch_costs():
    results = [_result("manual", 4_000.0), _result("dataloader", 3_600.0)]
    results.append(_result("tensors", 400_000.0))
    lines = P.findings(results)
    assert "400,000 samples/s, 100× the manual loop's 4,000" in lines[0]
    assert "15.0 s with the manual loop and 0.15 s tensor-resident" in lines[1]
    assert "0.9× the manual loop's rate, about as fast" in lines[2]
    slower = P.findings([_result("manual", 4_000.0), _result("dataloader", 2_000.0)])
    assert slower and "slower" in slower[0]  # no tensor result: only the DataLoader sentence
    assert P.findings([]) == []
    # a ratio under 1 is said as it is, and so is what it means
    upside_down = P.findings([_result("manual", 4_000.0), _result("tensors", 2_520.0)])
    assert "0.63× the manual loop's 4,000" in upside_down[0]
    assert "does not show the usual gain" in upside_down[0]
