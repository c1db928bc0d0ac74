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
    assert "Too large, blew up then stuck near a uniform guess: lr = 10." in lines
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


def test_a_rate_that_blew_up_does_not_share_the_verdict_of_one_too_small_to_move():
    """Issue 27: lr 1 and 10 got "barely learned", like lr 0.0001, while the text said they
    blew the loss up to 80.5 and 704. The table's verdict and the sentences now agree."""
    knobs = LearningRateKnobs(lr_min=1e-4, lr_max=10.0, points=6)
    configs = learning_rate_runs(knobs)
    chance = math.log(10)
    losses = {  # what the sweep logged, in short
        1e-4: [2.31, 2.30, 2.29],
        1e-3: [2.3, 1.9, 1.2],
        1e-2: [2.3, 0.9, 0.4],
        1e-1: [2.3, 0.5, 0.2],
        1.0: [2.3, 80.5, 2.4, 2.31],
        10.0: [2.3, 704.0, 2.35, 2.30],
    }
    snaps = []
    for config in configs:
        (lr,) = [k for k in losses if math.isclose(k, config.lr)]
        stuck = losses[lr][-1] > 2.0
        snaps.append(snapshot(config, losses=losses[lr], accuracy=0.1 if stuck else 0.9,
                              test_loss=chance if stuck else losses[lr][-1]))  # fmt: skip
    finding = summarise("learning_rate", snaps)
    verdicts = {row["lr"]: row["verdict"] for row in finding.rows}
    assert verdicts[1.0] == verdicts[10.0] == "blew up"
    assert verdicts[configs[0].lr] == "barely learned"
    text = " ".join(finding.lines)
    for row in finding.rows:  # every rate a sentence says blew up carries that verdict
        if f"lr = {row['lr']:g} blew the loss up" in text:
            assert row["verdict"] == "blew up"
    marked = next(t for t in F.lr_figure(snaps).data if t.name == "blew up, then stuck")
    assert list(marked.x) == [1.0, 10.0] and "blew up to 704" in marked.text[1]
    assert "Too small, barely moved: lr = 0.0001." in finding.lines
    assert "Too large, blew up then stuck near a uniform guess: lr = 1, 10." in finding.lines


def test_the_batch_size_summary_names_the_batch_that_learned_most_per_sample():
    """Issue 27: the page said "per sample, batch 1 learns fastest" while batch 8 reached
    90.3% against 70.5% on the same samples. The summary says which one did, from the runs."""
    configs = batch_size_runs(BatchSizeKnobs(batch_sizes=[1, 8, 32], whole_subset=False))
    results = {1: (0.9, 0.705), 8: (0.35, 0.903), 32: (0.6, 0.85)}  # test loss, accuracy
    snaps = [
        snapshot(c, losses=[2.3, 1.0, 0.5], accuracy=results[c.batch_size][1],
                 test_loss=results[c.batch_size][0])
        for c in configs
    ]  # fmt: skip
    text = " ".join(summarise("batch_size", snaps).lines)
    assert "Per sample (every run saw the same 3,000 images): batch 8 learned most" in text
    assert "batch 1 learns fastest" not in text
