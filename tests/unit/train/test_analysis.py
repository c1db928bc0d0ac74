"""After a run: confusion matrix, per-class accuracy, mistakes, config diff, curve helpers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.engine.learning.config import RunConfig, compare_settings, flat_settings
from core.engine.learning.loop import evaluate
from core.engine.learning.models import ConvSpec, ModelSpec, build_model
from core.engine.learning.setup import load_run_data
from core.engine.looks.figures import (
    accuracy_figure,
    confusion_figure,
    fitted_smoothing,
    loss_figure,
    per_class_figure,
    smooth,
    thin,
)
from core.train.analysis import analyze, confusion_matrix


def test_confusion_matrix_counts_every_true_predicted_pair():
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 4, (200,), generator=g)
    y_pred = torch.randint(0, 4, (200,), generator=g)
    expected = torch.zeros(4, 4, dtype=torch.int64)
    for t, p in zip(y.tolist(), y_pred.tolist(), strict=True):
        expected[t, p] += 1
    torch.testing.assert_close(confusion_matrix(y, y_pred, 4), expected)


@pytest.mark.needs_data
def test_analysis_of_a_model_on_real_test_images():
    _, _, X, y = load_run_data(RunConfig(train_subset=10, test_subset=300), "cpu")
    torch.manual_seed(0)
    model = build_model(ModelSpec(convs=[ConvSpec(4, 3, 2, 0, "max")], hidden=[16]))
    result = analyze(model, X, y, [str(d) for d in range(10)])
    confusion = torch.tensor(result.confusion)
    assert int(confusion.sum()) == 300
    assert result.accuracy == pytest.approx(evaluate(model, X, y)[1])
    assert result.accuracy == pytest.approx(int(confusion.trace()) / 300)
    for c in range(10):
        total = int(confusion[c].sum())
        expected = int(confusion[c, c]) / total if total else 0.0
        assert result.per_class_accuracy[c] == pytest.approx(expected)
    assert len(result.wrong) == 300 - int(confusion.trace())
    gallery = result.gallery(12)
    assert len(gallery) == min(12, len(result.wrong))
    confidences = [row["p_predicted"] for row in gallery]
    assert confidences == sorted(confidences, reverse=True)  # most confident mistakes first
    assert all(r["predicted"] != r["true"] and r["p_predicted"] >= r["p_true"] for r in gallery)


def test_smoothing_is_a_debiased_moving_average():
    values = [4.0, 2.0, 3.0, 1.0]
    assert smooth(values, 0.0) == values
    assert smooth([5.0] * 6, 0.9) == pytest.approx([5.0] * 6)  # no drag towards zero
    w, avg, expected = 0.5, 0.0, []
    for i, v in enumerate(values, 1):
        avg = w * avg + (1 - w) * v
        expected.append(avg / (1 - w**i))
    assert smooth(values, w) == pytest.approx(expected)


def test_a_short_curve_is_smoothed_less_so_its_end_stays_where_the_run_is():
    def rows(losses):
        return [{"step": i, "loss": v} for i, v in enumerate(losses, 1)]

    short = [2.3, 1.4, 0.9, 0.6, 0.4, 0.3, 0.2, 0.136]
    (line,) = loss_figure([("run", rows(short), [])], smoothing=0.6).data  # no faint copy
    assert list(line.y) == short and line.y[-1] == 0.136
    long = [2.3 / (1 + i / 10) for i in range(200)]
    _faint, line = loss_figure([("run", rows(long), [])], smoothing=0.6).data
    assert list(line.y) == pytest.approx(smooth(long, 0.6))
    assert fitted_smoothing(0.9, 40) == pytest.approx(0.75)  # 1 - 10/40
    assert fitted_smoothing(0.6, 0) == 0.0


def test_thinning_keeps_the_ends_and_the_limit():
    xs = list(range(10_001))
    tx, ty = thin(xs, xs, limit=1000)
    assert tx[0] == 0 and tx[-1] == 10_000 and len(tx) <= 1001 and (tx == ty).all()
    assert (np.diff(tx) > 0).all()  # in order, no repeats
    short = thin([1, 2], [3, 4], limit=10)
    assert [a.tolist() for a in short] == [[1.0, 2.0], [3.0, 4.0]]


def test_compare_settings_names_only_what_differs():
    sgd = RunConfig(optimizer="SGD", lr=0.05, optimizer_params={"momentum": 0.9})
    adam = RunConfig(optimizer="Adam", lr=1e-3)
    differing, flats = compare_settings([sgd, adam, adam])
    assert "optimizer" in differing and "lr" in differing
    assert "SGD momentum" in differing and "Adam beta1" in differing
    assert "batch size" not in differing and "seed" not in differing
    assert flats[0]["SGD momentum"] == 0.9 and flats[1]["Adam beta2"] == 0.999
    assert compare_settings([adam, RunConfig(optimizer="Adam", lr=1e-3)])[0] == []
    assert flat_settings(RunConfig())["conv blocks"] == "16@3×3/s1/p0 → 32@3×3/s1/p0+maxpool2"


def test_figures_draw_what_they_are_given():
    train = [{"step": s, "samples": 32 * s, "seconds": s / 10, "loss": 1 / s} for s in (1, 2, 3)]
    test = [{"step": 3, "samples": 96, "seconds": 0.4, "loss": 0.2, "accuracy": 0.9}]
    fig = loss_figure([("a", train, test)], x_axis="samples", smoothing=0.5, log_y=True)
    assert [len(t.x) for t in fig.data] == [3, 1]  # 3 points are drawn raw, then the test
    assert list(fig.data[0].x) == [32, 64, 96] and fig.layout.yaxis.type == "log"
    assert list(accuracy_figure([("a", train, test)]).data[0].y) == [90.0]
    assert [list(r) for r in confusion_figure([[1, 2], [3, 4]], ["x", "y"]).data[0].z] == [
        [1, 2],
        [3, 4],
    ]


def test_per_class_labels_are_not_cut_off_at_100_percent():
    fig = per_class_figure([1.0, 0.5, 0.98], ["0", "1", "2"])
    bars = fig.data[0]
    assert list(bars.y) == [100.0, 50.0, 98.0]
    # The label of a full bar sits above the top of the axis: it must be drawn there.
    assert fig.layout.yaxis.range[1] < 100 + 5 and bars.textposition == "outside"
    assert bars.cliponaxis is False
