"""The handwriting collection: labelled PNGs written atomically, and scoring a model on them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.canvas import figures as figs
from core.canvas import handwriting as hw
from core.canvas import preprocess as inf
from core.engine.learning.data import load_raw
from core.engine.learning.models import build_model, classic_spec
from core.engine.products import predictor as pr
from core.engine.runs.checkpoint import save_model
from core.errors import LimitError


def stroke(label: int) -> np.ndarray:
    """A different simple shape per label, white on black at canvas size."""
    ink = np.zeros((inf.CANVAS_SIZE, inf.CANVAS_SIZE), dtype=np.float32)
    ink[40 + 10 * label : 240, 120 : 140 + 8 * label] = 1.0
    return ink


@pytest.fixture
def predictor(tmp_path):
    torch.manual_seed(0)
    spec = classic_spec()
    save_model(tmp_path / "model", build_model(spec), spec, {"dataset": "MNIST"})
    return pr.load_predictor(tmp_path / "model")


def test_the_folder_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(hw.HANDWRITING_ENV, str(tmp_path / "mine"))
    assert hw.handwriting_root() == (tmp_path / "mine").resolve()
    monkeypatch.delenv(hw.HANDWRITING_ENV)
    assert hw.handwriting_root().name == "handwriting"


def test_save_then_list_and_load_round_trips_label_and_pixels(tmp_path):
    root = tmp_path / "new" / "folder"  # created on the first save
    ink = stroke(3)
    saved = hw.save_sketch(ink, 3, root)
    assert saved.path.parent == root and saved.path.name.startswith("3-")
    assert [s.path for s in hw.list_sketches(root)] == [saved.path]
    assert hw.list_sketches(root)[0].label == 3
    np.testing.assert_array_equal(hw.load_sketch(saved), ink)  # 0 and 1 survive uint8 exactly
    assert [p.name for p in root.iterdir()] == [saved.path.name]  # no temporary file left


def test_other_files_in_the_folder_are_ignored(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "12-20260101T000000-abcdef.png").write_bytes(b"not a sketch name")
    hw.save_sketch(stroke(1), 1, tmp_path)
    assert [s.label for s in hw.list_sketches(tmp_path)] == [1]


def test_bad_labels_and_empty_sketches_are_refused(tmp_path):
    with pytest.raises(hw.HandwritingError, match="0 to 9"):
        hw.save_sketch(stroke(1), 10, tmp_path)
    with pytest.raises(hw.HandwritingError, match="0 to 9"):
        hw.save_sketch(stroke(1), "7", tmp_path)
    with pytest.raises(hw.HandwritingError, match="nothing to save"):
        hw.save_sketch(np.zeros((50, 50)), 1, tmp_path)
    assert hw.list_sketches(tmp_path) == []


def test_the_collection_limit_is_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setattr(hw, "MAX_SKETCHES", 2)
    hw.save_sketch(stroke(1), 1, tmp_path)
    hw.save_sketch(stroke(2), 2, tmp_path)
    with pytest.raises(LimitError, match="limit is 2"):
        hw.save_sketch(stroke(3), 3, tmp_path)


def test_delete_removes_a_sketch_and_refuses_anything_else(tmp_path):
    saved = hw.save_sketch(stroke(4), 4, tmp_path / "c")
    outside = tmp_path / "4-20260101T000000-abcdef.png"
    outside.write_bytes(b"x")
    with pytest.raises(hw.HandwritingError, match="not a sketch"):
        hw.delete_sketch(hw.Sketch(outside, 4, ""), tmp_path / "c")
    assert outside.exists()
    hw.delete_sketch(saved, tmp_path / "c")
    assert hw.list_sketches(tmp_path / "c") == []


def test_evaluate_collection_scores_exactly_what_the_canvas_would_predict(tmp_path, predictor):
    for label in (0, 1, 1, 5, 7):
        hw.save_sketch(stroke(label), label, tmp_path)
    (tmp_path / "9-20260101T000000-abcdef.png").write_bytes(b"broken")  # a corrupted file
    sketches = hw.list_sketches(tmp_path)
    report = hw.evaluate_collection(predictor, sketches)
    expected = [  # the canvas's own path, sketch by sketch
        pr.predict(predictor.model, inf.preprocess(stroke(s.label), predictor.normalization).X).top
        == s.label
        for s in sketches
        if s.label != 9
    ]
    assert report.total == 5 and len(report.skipped) == 1 and "9-2026" in report.skipped[0]
    assert report.correct == sum(expected)
    assert report.accuracy == pytest.approx(sum(expected) / 5)
    assert sum(n for _, n in report.per_class.values()) == 5 and report.per_class["1"][1] == 2
    assert len(report.mistakes) == 5 - sum(expected)
    assert all(pred != s.label for s, pred in report.mistakes)


def test_the_per_digit_plot_keeps_every_digit_in_its_place(tmp_path, predictor):
    for label in (1, 1, 7):
        hw.save_sketch(stroke(label), label, tmp_path)
    report = hw.evaluate_collection(predictor, hw.list_sketches(tmp_path))
    bars = figs.per_class_figure(report.per_class).data[0]
    assert list(bars.x) == [str(d) for d in range(10)]  # not just the two digits saved
    right_ones = report.per_class["1"][0]
    assert bars.y[1] == pytest.approx(right_ones / 2) and bars.text[1] == f"{right_ones}/2"
    assert bars.text[0] == "none yet" and bars.y[0] == 0 and "no sketches" in bars.hovertext[0]


def test_the_collection_line_counts_only_the_digits_present(tmp_path):
    assert "0 sketches" in hw.describe_collection([], tmp_path)
    assert "none saved yet" in hw.describe_collection([], tmp_path)
    hw.save_sketch(stroke(3), 3, tmp_path)
    line = hw.describe_collection(hw.list_sketches(tmp_path), tmp_path)
    assert line.startswith("1 sketch of at most") and line.endswith("· 3: 1")


def test_an_empty_collection_has_no_accuracy(tmp_path, predictor):
    report = hw.evaluate_collection(predictor, hw.list_sketches(tmp_path))
    assert report.total == 0 and report.accuracy is None


@pytest.mark.needs_data
def test_mnist_test_accuracy_matches_a_direct_computation(predictor):
    images, labels = load_raw("MNIST", train=False)
    mean, std = predictor.normalization
    X = images[:300].to(torch.float32).div(255).sub(mean).div(std).unsqueeze(1)  # (300, 1, 28, 28)
    with torch.no_grad():
        direct = (predictor.model(X).argmax(1) == labels[:300]).float().mean()
    assert hw.mnist_test_accuracy(predictor, limit=300) == pytest.approx(float(direct), abs=1e-9)


def test_a_read_only_folder_is_a_plain_message(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):  # what a read-only folder does (root writes anywhere)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(hw.tempfile, "mkstemp", refuse)
    with pytest.raises(hw.HandwritingError, match=r"not writable\. Whoever runs this server"):
        hw.save_sketch(stroke(3), 3, tmp_path)
