"""Experiment figures drawn from hand-made snapshots: axes a learner can read, no fake zeros."""

from __future__ import annotations

from types import SimpleNamespace

from core.experiments import DataSizeKnobs, data_size_runs
from core.figures import experiments as F


def snapshot(config, losses=(), accuracy=None, status="done"):
    """What the figures read from a runner JobSnapshot."""
    train = [
        {"step": i + 1, "samples": 32 * (i + 1), "seconds": 0.1 * (i + 1), "loss": loss}
        for i, loss in enumerate(losses)
    ]
    test = [] if accuracy is None else [{"loss": 0.5, "accuracy": accuracy}]
    return SimpleNamespace(config=config, train=train, test=test, status=status)


def test_the_size_axis_is_labelled_at_the_sizes_trained():
    configs = data_size_runs(DataSizeKnobs(sizes=[500, 2_000, 10_000]))
    snaps = [snapshot(c, accuracy=0.9) for c in configs]
    fig = F.accuracy_vs_size_figure(snaps)
    assert fig.layout.xaxis.type == "log"
    assert list(fig.layout.xaxis.tickvals) == [500, 2_000, 10_000]
    assert list(fig.layout.xaxis.ticktext) == ["500", "2k", "10k"]


def test_a_log_loss_axis_spanning_decades_is_labelled_at_powers_of_ten():
    (config,) = data_size_runs(DataSizeKnobs(sizes=[500], baseline=False))
    jumpy = snapshot(config, losses=[2.3, 0.001, 5.0, 0.02])  # one-image losses jump like this
    fig = F.loss_curves_figure([jumpy], "step", log_y=True)
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.dtick == 1
    calm = snapshot(config, losses=[2.3, 1.2, 0.6])  # within a decade: plotly's ticks are fine
    fig = F.loss_curves_figure([calm], "step", log_y=True)
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.dtick is None


def test_a_queued_run_gets_no_bar_rather_than_a_zero():
    fig = F.bar_figure(["batch 1", "batch 8"], [10.2, None], "Updates per second", "steps / s")
    bars = fig.data[0]
    assert list(bars.y) == [10.2, None]
    assert list(bars.text) == ["10.2", ""]
