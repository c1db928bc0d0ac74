"""Experiment figures and findings from hand-made snapshots: readable axes, honest sentences."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from core.engine.looks.figures import MAX_PLOT_POINTS
from core.engine.runs.record import Run, RunStatus
from core.experiments import figures as F
from core.experiments.results import summarise
from core.experiments.sets import (
    BatchSizeKnobs,
    DataSizeKnobs,
    LearningRateKnobs,
    batch_size_runs,
    data_size_runs,
    learning_rate_runs,
)


def snapshot(config, losses=(), accuracy=None, status="done", test_loss=0.5):
    """What the figures and summaries read from a runner Run."""
    train = [
        {"step": i + 1, "samples": 32 * (i + 1), "seconds": 0.1 * (i + 1), "loss": loss}
        for i, loss in enumerate(losses)
    ]
    test = [] if accuracy is None else [{"loss": test_loss, "accuracy": accuracy}]
    return Run(
        id=config.name,
        config=config,
        train=train,
        test=test,
        status=RunStatus(status),
        step=len(train),
        elapsed_s=1.0,
    )


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
    # within a decade or two: 1, 2 and 5 of each decade, written out (plotly's own labels
    # read "5, 2, 0.1, 5, 2": the first digit of each minor tick only)
    calm = snapshot(config, losses=[2.3, 0.12, 0.6])
    fig = F.loss_curves_figure([calm], "step", log_y=True)
    axis = fig.layout.yaxis
    assert axis.type == "log" and axis.dtick is None
    assert list(axis.ticktext) == ["0.05", "0.1", "0.2", "0.5", "1", "2", "5"]
    assert list(axis.tickvals) == pytest.approx([float(t) for t in axis.ticktext])


def test_a_queued_run_gets_no_bar_rather_than_a_zero():
    fig = F.bar_figure(["batch 1", "batch 8"], [10.2, None], "Updates per second", "steps / s")
    bars = fig.data[0]
    assert list(bars.y) == [10.2, None]
    assert list(bars.text) == ["10.2", ""]


def test_smoothed_curves_are_a_moving_average_over_the_faint_raw_losses():
    (config,) = data_size_runs(DataSizeKnobs(sizes=[500], baseline=False))
    raw = [2.3, 0.01, 4.0, 0.5, 0.02, 1.0] * 40  # long enough to bear smoothing 0.9
    fig = F.loss_curves_figure([snapshot(config, losses=raw)], "step", smooth_weight=0.9)
    faint, line = fig.data
    assert list(faint.y) == raw and faint.showlegend is False and faint.opacity < 1
    avg, expected = 0.0, []  # exponential moving average, bias-corrected
    for i, loss in enumerate(raw, 1):
        avg = 0.9 * avg + 0.1 * loss
        expected.append(avg / (1 - 0.9**i))
    assert list(line.y) == pytest.approx(expected)
    assert len(F.loss_curves_figure([snapshot(config, losses=raw)], "step").data) == 1
    fig = F.loss_curves_figure([snapshot(config, losses=raw)], "step", log_x=True)
    assert fig.layout.xaxis.type == "log"


def test_long_experiment_curves_are_thinned_like_the_live_chart_and_skip_nan():
    (config,) = data_size_runs(DataSizeKnobs(sizes=[500], baseline=False))
    raw = [1.0 / (i + 1) for i in range(10 * MAX_PLOT_POINTS)] + [math.nan, math.inf]
    (line,) = F.loss_curves_figure([snapshot(config, losses=raw)], "step").data
    assert MAX_PLOT_POINTS <= len(line.y) <= MAX_PLOT_POINTS + 1
    assert line.x[-1] == 10 * MAX_PLOT_POINTS  # the last finite point is always kept
    assert all(math.isfinite(y) for y in line.y)
    # sent to the browser in Plotly's binary array form, not as a list of Python floats
    assert isinstance(line.to_plotly_json()["y"], np.ndarray)


def test_a_rate_that_blew_up_then_stalled_is_explained():
    knobs = LearningRateKnobs(lr_min=0.1, lr_max=10.0, points=2)
    good, big = learning_rate_runs(knobs)
    chance = math.log(10)
    snaps = [
        snapshot(good, losses=[2.3, 1.0, 0.4], accuracy=0.9, test_loss=0.4),
        snapshot(big, losses=[2.3, 716.0, 2.31, 2.30], accuracy=0.1, test_loss=chance),
    ]
    lines = summarise("learning_rate", snaps).lines
    assert lines[0].startswith("Best learning rate: 0.1")
    assert "Too large, stuck near a uniform guess: lr = 10." in lines
    assert any(line.startswith("lr = 10 blew the loss up to 716") for line in lines)
    calm = snapshot(big, losses=[2.3, 2.4, 2.31], accuracy=0.1, test_loss=chance)
    lines = summarise("learning_rate", [snaps[0], calm]).lines
    assert not any("blew the loss up" in line for line in lines)  # no explosion, no claim


def test_rates_read_as_plain_numbers_not_scientific_notation():
    small, big = batch_size_runs(BatchSizeKnobs(batch_sizes=[1], train_subset=1_000))
    snaps = []
    for config, steps, rate in ((small, 3_000, 238.5), (big, 3, 3_914.7)):
        snap = snapshot(config, losses=[2.3, 1.0, 0.5], accuracy=0.7)
        snaps.append(replace(snap, step=steps, samples_seen=3_000, samples_per_s=rate))
    finding = summarise("batch_size", snaps)
    assert [r["samples/s"] for r in finding.rows] == [238, 3_915]
    text = " ".join(finding.lines)
    assert "batch 1,000 pushed the most through (3,915/s against 238/s for batch 1)" in text
    assert "e+" not in text
