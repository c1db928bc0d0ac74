"""Experiments: each run set is built from its knobs, bad knobs get messages, tiny sets train."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from core.engine.learning.config import MAX_LOG_INTERVAL, RunConfig
from core.engine.learning.models import ConvSpec, ModelSpec, build_model, classic_spec, linear_spec
from core.engine.runs.runner import Runner
from core.errors import ConfigError, LimitError, TorchlabError
from core.experiments import figures as F
from core.experiments import sets as E
from core.experiments.results import chance_loss, error_factor, summarise, verdict


def _without(config: RunConfig, *keys: str) -> dict:
    data = config.to_dict()
    for key in keys:
        data.pop(key)
    return data


# ---- building run sets --------------------------------------------------------------------


def test_data_size_defaults_pair_each_size_with_the_linear_baseline():
    knobs = E.DataSizeKnobs()
    configs = E.build_runs("data_size")
    assert len(configs) == 2 * len(knobs.sizes)
    for size in knobs.sizes:
        pair = [c for c in configs if c.train_subset == size]
        assert sorted(E.is_baseline(c) for c in pair) == [False, True]
        for c in pair:
            assert c.epochs == math.ceil(knobs.samples_per_run / size)
            assert c.train_subset * c.epochs >= knobs.samples_per_run
        deep = next(c for c in pair if not E.is_baseline(c))
        assert deep.model == classic_spec()
        # "trained the same way": only the model differs inside a pair
        assert _without(pair[0], "model", "name") == _without(pair[1], "model", "name")


def test_data_size_full_set_and_no_baseline():
    knobs = E.DataSizeKnobs(sizes=[60_000, 500, 500], baseline=False, model="linear")
    configs = E.data_size_runs(knobs)
    assert [c.train_subset for c in configs] == [500, None]  # sorted, deduplicated; None = all
    assert configs[1].epochs == 1
    assert all(c.model == linear_spec() for c in configs)


def test_batch_size_runs_differ_only_in_the_batch():
    knobs = E.BatchSizeKnobs(batch_sizes=[32, 1, 8], train_subset=500, epochs=2, seed=7)
    configs = E.batch_size_runs(knobs)
    assert [c.batch_size for c in configs] == [1, 8, 32, 500]
    assert configs[-1].name.startswith("whole subset")
    base = _without(configs[0], "batch_size", "name", "log_interval")
    assert all(_without(c, "batch_size", "name", "log_interval") == base for c in configs)
    assert all(c.seed == 7 and c.train_subset == 500 and c.epochs == 2 for c in configs)
    # about the same number of logged points whatever the batch
    for c in configs:
        steps = math.ceil(500 / c.batch_size) * 2
        assert steps // c.log_interval <= 150


def test_the_longest_batch_size_set_logs_as_often_as_a_run_may():
    """Every image, 50 epochs, batch 1: 3,000,000 updates would be logged every 20,000, past
    the most a RunConfig allows, and the page refused a set its own knobs allow."""
    knobs = E.BatchSizeKnobs(batch_sizes=[1, 2], train_subset=60_000, epochs=50, seed=0)
    configs = E.batch_size_runs(knobs)
    assert configs[0].batch_size == 1 and configs[0].log_interval == MAX_LOG_INTERVAL


def test_gd_variants_are_sgd_minibatch_and_batch():
    configs = E.gd_variants_runs(E.GDVariantsKnobs(mini_batch=16, train_subset=300, lr=0.1))
    assert [c.batch_size for c in configs] == [1, 16, 300]
    assert [E.gd_variant(c) for c in configs] == list(E.GD_VARIANTS)
    assert {c.optimizer for c in configs} == {"SGD"} and {c.lr for c in configs} == {0.1}


def test_lr_sweep_is_log_spaced_like_torch_logspace():
    rates = E.lr_sweep(1e-4, 10.0, 6)
    expected = torch.logspace(-4, 1, 6, dtype=torch.float64)
    torch.testing.assert_close(
        torch.tensor(rates, dtype=torch.float64), expected, rtol=5e-3, atol=0
    )
    odd = E.lr_sweep(0.003, 0.7, 5)
    ratios = [b / a for a, b in itertools.pairwise(odd)]
    torch.testing.assert_close(
        torch.tensor(ratios, dtype=torch.float64),
        torch.full((4,), (0.7 / 0.003) ** 0.25, dtype=torch.float64),
        rtol=2e-2,
        atol=0,
    )
    configs = E.learning_rate_runs(E.LearningRateKnobs(optimizer="Adam", points=3))
    assert [c.lr for c in configs] == E.lr_sweep(1e-4, 10.0, 3)
    assert {c.optimizer for c in configs} == {"Adam"}


@pytest.mark.parametrize(
    ("experiment_id", "knobs", "error", "words"),
    [
        ("data_size", E.DataSizeKnobs(sizes=[]), ConfigError, "at least one"),
        ("data_size", E.DataSizeKnobs(sizes=[70_000]), LimitError, "60,000"),
        ("data_size", E.DataSizeKnobs(sizes=[0]), LimitError, "training subset"),
        ("data_size", E.DataSizeKnobs(sizes=list(range(100, 800, 100))), LimitError, "at most"),
        ("data_size", E.DataSizeKnobs(samples_per_run=10**9), LimitError, "Samples per run"),
        ("data_size", E.DataSizeKnobs(model="huge"), ConfigError, "preset"),
        ("data_size", E.DataSizeKnobs(dataset="CIFAR"), TorchlabError, "Unknown dataset"),
        (
            "batch_size",
            E.BatchSizeKnobs(batch_sizes=[2_000], train_subset=1_000),
            LimitError,
            "fit",
        ),
        ("batch_size", E.BatchSizeKnobs(optimizer="Nope"), ConfigError, "optimizer"),
        ("batch_size", E.BatchSizeKnobs(epochs=500), ConfigError, "Epochs"),
        ("batch_size", E.BatchSizeKnobs(test_subset=0), LimitError, "test subset"),
        ("gd_variants", E.GDVariantsKnobs(mini_batch=1), LimitError, "mini-batch"),
        (
            "gd_variants",
            E.GDVariantsKnobs(mini_batch=1_000, train_subset=1_000),
            LimitError,
            "smaller",
        ),
        ("learning_rate", E.LearningRateKnobs(lr_min=1.0, lr_max=0.1), ConfigError, "below"),
        ("learning_rate", E.LearningRateKnobs(lr_max=1_000.0), LimitError, "between"),
        ("learning_rate", E.LearningRateKnobs(points=40), LimitError, "2 to"),
        ("learning_rate", E.LearningRateKnobs(batch_size=0), LimitError, "batch size"),
        ("learning_rate", E.LearningRateKnobs(seed=-1), ConfigError, "seed"),
    ],
)
def test_bad_knobs_get_messages(experiment_id, knobs, error, words):
    with pytest.raises(error, match=words):
        E.build_runs(experiment_id, knobs)


def test_unknown_experiment_and_wrong_knobs_type():
    with pytest.raises(ConfigError, match="Unknown experiment"):
        E.build_runs("nope")
    with pytest.raises(ConfigError, match="LearningRateKnobs"):
        E.build_runs("learning_rate", E.DataSizeKnobs())


# ---- tiny sets train to completion ----------------------------------------------------------


def _run(runner: Runner, experiment_id: str, knobs) -> list:
    ids = E.launch(runner, experiment_id, E.build_runs(experiment_id, knobs), owner="test")
    snaps = [runner.wait(i, timeout=60) for i in ids]
    assert {s.group for s in snaps} == {experiment_id}
    assert E.launched_set(runner.jobs(owner="test", group=experiment_id), ids[0]) == [
        runner.snapshot(i) for i in ids
    ]
    return snaps


@pytest.mark.needs_data
def test_tiny_data_size_set_runs_and_summarises(runner):
    knobs = E.DataSizeKnobs(sizes=[50, 200], samples_per_run=200, test_subset=100, model="linear")
    snaps = _run(runner, "data_size", knobs)
    assert [s.status for s in snaps] == ["done", "done"]
    assert [s.samples_seen for s in snaps] == [200, 200]  # same budget, different data
    finding = summarise("data_size", snaps)
    assert finding.complete and len(finding.rows) == 2
    assert any("linear model" in line for line in finding.lines)
    fig = F.accuracy_vs_size_figure(snaps)
    assert list(fig.data[0].x) == [50, 200] and fig.layout.xaxis.type == "log"
    assert list(fig.data[0].y) == [100 * s.test[-1]["accuracy"] for s in snaps]


@pytest.mark.needs_data
def test_tiny_batch_size_set_shows_updates_against_samples(runner):
    knobs = E.BatchSizeKnobs(
        batch_sizes=[1, 16], train_subset=64, epochs=1, test_subset=50, model="linear"
    )
    snaps = _run(runner, "batch_size", knobs)
    assert [s.step for s in snaps] == [64, 4, 1]
    assert all(s.samples_seen == 64 for s in snaps)
    finding = summarise("batch_size", snaps)
    assert [r["batch"] for r in finding.rows] == [1, 16, 64]
    assert finding.rows[0]["updates/s"] > 0 and finding.lines
    # images per second: the hardware side of the trade-off, read from each run itself
    assert [r["samples/s"] for r in finding.rows] == [round(s.samples_per_s) for s in snaps]
    busiest = max(snaps, key=lambda s: s.samples_per_s)
    assert any(
        line.startswith(f"Images per second of training: batch {busiest.config.batch_size}")
        for line in finding.lines
    )
    fig = F.loss_curves_figure(snaps, x="samples")
    assert [max(t.x) for t in fig.data] == [64, 64, 64]
    assert list(F.loss_curves_figure(snaps, x="step").data[0].x) == [
        r["step"] for r in snaps[0].train
    ]


@pytest.mark.needs_data
def test_tiny_gd_variants_set_runs(runner):
    knobs = E.GDVariantsKnobs(train_subset=48, mini_batch=8, epochs=1, test_subset=50)
    snaps = _run(runner, "gd_variants", knobs)
    assert [s.status for s in snaps] == ["done"] * 3
    assert [s.step for s in snaps] == [48, 6, 1]
    finding = summarise("gd_variants", snaps)
    assert [r["variant"] for r in finding.rows] == list(E.GD_VARIANTS)


@pytest.mark.needs_data
def test_tiny_lr_sweep_marks_the_diverging_runs(runner):
    knobs = E.LearningRateKnobs(
        lr_min=0.01, lr_max=100.0, points=3, train_subset=128, test_subset=100, model="linear"
    )
    snaps = _run(runner, "learning_rate", knobs)
    verdicts = {s.config.lr: verdict(s) for s in snaps}
    assert verdicts[100.0] == "diverged"
    assert verdicts[0.01] != "diverged"
    finding = summarise("learning_rate", snaps)
    assert any(line.startswith("Diverged") and "100" in line for line in finding.lines)
    fig = F.lr_figure(snaps)
    marked = next(t for t in fig.data if t.name == "diverged")
    assert 100.0 in marked.x
    assert all(100.0 not in t.x for t in fig.data if t.name != "diverged")


@pytest.mark.needs_data
def test_same_seed_gives_the_same_numbers(runner):
    knobs = E.GDVariantsKnobs(
        train_subset=40, mini_batch=8, epochs=1, test_subset=40, model="linear", seed=3
    )
    first, again = _run(runner, "gd_variants", knobs), _run(runner, "gd_variants", knobs)
    assert [s.train for s in first] != []
    for a, b in zip(first, again, strict=True):
        assert [r["loss"] for r in a.train] == [r["loss"] for r in b.train]
        assert a.test[-1]["accuracy"] == b.test[-1]["accuracy"]


@pytest.mark.needs_data
def test_stopping_a_set_stops_every_run(runner):
    knobs = E.BatchSizeKnobs(batch_sizes=[1, 2], train_subset=3_000, epochs=5, test_subset=50)
    ids = E.launch(runner, "batch_size", E.build_runs("batch_size", knobs), owner="stopper")
    snaps = E.launched_set(runner.jobs(owner="stopper"), ids[0])
    assert E.stop_set(runner, snaps) == len(ids)
    done = [runner.wait(i, timeout=30) for i in ids]
    assert [s.status for s in done] == ["stopped"] * len(ids)
    assert summarise("batch_size", done).complete


@pytest.mark.needs_data
def test_a_refused_run_queues_none_of_the_set(runner):
    good = RunConfig(train_subset=10, test_subset=10, model=linear_spec(), epochs=50)
    # valid numbers, but the fourth 9×9 conv has no 9×9 image left: only the runner sees it
    bad = good.with_changes(model=ModelSpec(convs=[ConvSpec(4, 9)] * 4))
    with pytest.raises(TorchlabError, match="breaks at layer"):
        E.launch(runner, "batch_size", [good, bad], owner="refused")
    assert runner.jobs(owner="refused") == []  # not even the good run trains


@pytest.mark.needs_data
def test_a_set_the_queue_cannot_hold_queues_none_of_it(runner, monkeypatch):
    monkeypatch.setattr("core.engine.runs.runner.MAX_QUEUED", 2)
    configs = [RunConfig(train_subset=10, test_subset=10, model=linear_spec())] * 4
    # one slot trains the first run, two wait: the fourth does not fit, so none is queued
    with pytest.raises(LimitError, match="room for 2 more runs, not 4"):
        E.launch(runner, "batch_size", configs, owner="full")
    assert runner.jobs(owner="full") == []
    ids = E.launch(runner, "batch_size", configs[:3], owner="fits")
    assert [runner.wait(i, timeout=60).status for i in ids] == ["done"] * 3


class _CheckingRunner(Runner):
    """Checks each config as the real runner does (which builds its model), trains nothing."""

    def _enqueue(self, jobs):
        return [job.id for job in jobs]


@pytest.mark.needs_data
def test_launching_a_set_leaves_the_global_random_stream_alone(tmp_path):
    """The first run of a set trains while the rest are submitted, with dropout masks from
    the global generator: submitting must not draw from it, or the same seed gives another
    curve depending on what was launched meanwhile."""
    configs = E.build_runs("batch_size", E.BatchSizeKnobs(batch_sizes=[1, 8]))  # ConvNets
    torch.manual_seed(0)
    expected = torch.rand(5)
    torch.manual_seed(0)
    ids = E.launch(_CheckingRunner(tmp_path), "batch_size", configs)
    torch.testing.assert_close(torch.rand(5), expected)
    assert len(ids) == len(configs)


def test_chance_loss_is_the_uniform_guess():
    config = RunConfig()
    uniform = torch.full((1, 10), 0.1, dtype=torch.float64).log()
    expected = torch.nn.functional.nll_loss(uniform, torch.tensor([3]))
    assert chance_loss(config) == pytest.approx(float(expected))


def test_error_factor_counts_mistakes_not_points():
    assert error_factor(0.90, 0.99) == pytest.approx(10.0)
    assert error_factor(0.80, 0.90) == pytest.approx(2.0)
    assert error_factor(0.5, 1.0) == pytest.approx(0.5 / 1e-4)  # no errors left: capped


@pytest.mark.needs_data
def test_a_run_stopped_for_a_nan_loss_counts_as_diverged(runner):
    config = E.build_runs(
        "learning_rate",
        E.LearningRateKnobs(
            lr_min=0.01, lr_max=0.1, points=2, train_subset=64, test_subset=50, model="linear"
        ),
    )[1]
    nan_weights = {
        k: torch.full_like(v, float("nan"))
        for k, v in build_model(linear_spec()).state_dict().items()
    }
    job = runner.submit(config, group="learning_rate", initial_state=nan_weights)
    snap = runner.wait(job, timeout=30)
    assert snap.status == "failed" and verdict(snap) == "diverged"
    finding = summarise("learning_rate", [snap])
    assert finding.complete and finding.lines == [f"Diverged: lr = {config.lr:g}."]
    assert 0.1 in next(t for t in F.lr_figure([snap]).data if t.name == "diverged").x
