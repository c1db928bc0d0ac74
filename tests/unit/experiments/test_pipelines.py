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
    assert P.estimate_seconds(4_000) > 1.9 * P.estimate_seconds(2_000)
    assert P.estimate_seconds(2_000, rounds=6) == pytest.approx(2 * P.estimate_seconds(2_000, 3))
    text = P.measuring_text(2_000)
    assert text.startswith("Measuring takes up to about") and "busy machine" in text
    last = [_result("manual", 4_000.0, 3_700, 6_700), _result("tensors", 4e5, 3e5, 5e5)]
    assert "at the 4,000 samples/s the slower" in P.measuring_text(2_000, last)


def _result(key: str, rate: float, low: float | None = None, high: float | None = None):
    low, high = low or rate, high or rate
    return P.PipelineResult(key, P.PIPELINES[key].title, 2_000, 32, 2_000 / rate, rate, low,
                            high, rounds=5)  # fmt: skip


def test_findings_say_how_many_times_faster_and_what_an_epoch_costs():
    results = [_result("manual", 4_000.0), _result("dataloader", 3_600.0)]
    results.append(_result("tensors", 400_000.0))
    lines = P.findings(results)
    assert "400,000 samples/s (median of 5 rounds" in lines[0]
    assert "100× the manual loop's 4,000" in lines[0]
    assert "15.0 s with the manual loop and 0.15 s tensor-resident" in lines[1]
    assert "0.9× the manual loop's rate, slower in every round" in lines[2]
    assert P.findings([]) == []
    # a ratio under 1 is said as it is, and so is what it means
    upside_down = P.findings([_result("manual", 4_000.0), _result("tensors", 2_520.0)])
    assert "0.63× the manual loop's 4,000" in upside_down[0]
    assert "does not show the usual gain" in upside_down[0]


def test_a_verdict_is_given_only_where_the_rounds_do_not_overlap():
    """Issue 27: "The DataLoader at 1.3× is faster: it does the same per-sample work" said a
    faster pipeline did the same work, from rounds that overlapped (3,700-6,700 samples/s)."""
    manual = _result("manual", 4_000.0, 3_700, 6_700)
    overlapping = P.findings([manual, _result("dataloader", 5_200.0, 3_900, 6_500)])[0]
    assert "1.3× the manual loop's rate, about as fast: its rounds" in overlapping
    assert "faster in every round" not in overlapping and "is faster" not in overlapping
    apart = P.findings([manual, _result("dataloader", 9_000.0, 8_000, 9_900)])[0]
    assert "faster in every round, though the transform it runs on each sample is the same" in apart
    close = P.findings([manual, _result("tensors", 6_000.0, 5_000, 7_000)])[0]
    assert "too close to call" in close and "was done once" not in close


def test_rounds_far_apart_are_said_to_be_disturbed():
    wild = _result("tensors", 500_000.0, 2_935, 2_731_289)  # what one pipeline's rounds read
    lines = P.findings([_result("manual", 4_000.0), wild])
    assert any("rounds differ by 930.6×" in line and "Measure again" in line for line in lines)


@pytest.mark.needs_data
def test_a_fast_pipeline_is_timed_over_many_passes_not_its_fastest_one(monkeypatch):
    """The tensor-resident pass takes about a millisecond: one lucky or unlucky pass made its
    rate swing by 1,000×. Its rate is all samples over all time measured."""
    seen = []
    real = P._one_pass

    def counted(key, batches, dev):
        result = real(key, batches, dev)
        seen.append(result.seconds)
        return result

    monkeypatch.setattr(P, "_one_pass", counted)
    result = P.measure("tensors", samples=256, batch_size=64)
    assert len(seen) > 5 and (sum(seen) >= P.MIN_MEASURE_S or len(seen) == P.MAX_PASSES)
    assert result.samples_per_s == pytest.approx(256 * len(seen) / sum(seen))
