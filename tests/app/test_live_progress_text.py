"""The live view's progress line: what a learner reads under the progress bar."""

from __future__ import annotations

from dataclasses import replace

from core.engine.learning.presets import run_preset
from core.engine.runs.record import Run, RunStatus
from views.train import live
from views.train.live import progress_text


def snapshot(**changes) -> Run:
    base = Run(
        id="run-1", owner="me", group="", config=run_preset("classic"),
        status=RunStatus.RUNNING, epoch=0, step=0, total_steps=0, samples_seen=0,
        samples_per_s=0.0, eta_s=None, elapsed_s=1.0, train=[], test=[], log=[], error=None,
        run_dir=None,
    )  # fmt: skip
    return replace(base, **changes)


def test_a_run_still_loading_its_data_says_so_instead_of_batch_0_of_0():
    text = progress_text(snapshot())
    assert "loading the data" in text and "0/0" not in text


def test_a_run_that_failed_before_its_first_batch_does_not_claim_to_be_loading():
    text = progress_text(snapshot(status=RunStatus.FAILED))
    assert "before the first batch" in text and "loading" not in text


def test_a_training_run_counts_epochs_batches_and_images_per_second():
    config = run_preset("classic")
    text = progress_text(
        snapshot(epoch=2, step=1875 + 100, total_steps=2 * 1875, samples_per_s=1234.0, eta_s=90)
    )
    assert text == f"epoch 2/{config.epochs} · batch 100/1,875 · 1,234 images/s · 1:30 left"


def test_a_poll_with_no_newly_logged_row_builds_no_figure(monkeypatch):
    """The live charts are rebuilt only when the run logged a row or a chart setting changed;
    a poll in between hands Streamlit the same figures (so the browser gets the same chart)."""
    built = []
    monkeypatch.setattr(live, "loss_figure", lambda *a, **k: built.append("loss") or object())
    monkeypatch.setattr(live, "accuracy_figure", lambda *a, **k: built.append("acc") or object())
    monkeypatch.setattr(live.st, "session_state", {})
    rows = [{"step": 10, "samples": 320, "seconds": 0.5, "loss": 1.0}]
    tests = [{"step": 10, "samples": 320, "seconds": 0.5, "loss": 0.9, "accuracy": 0.5}]
    snap = snapshot(epoch=1, step=10, total_steps=100, train=rows, test=tests)
    first = live.live_figures(snap, "step", 0.6, False)
    assert built == ["loss", "acc"]
    later = replace(snap, step=15, samples_per_s=900.0, eta_s=30)  # no new row logged
    assert live.live_figures(later, "step", 0.6, False) == first
    assert built == ["loss", "acc"]
    more = [*rows, {"step": 20, "samples": 640, "seconds": 1.0, "loss": 0.8}]
    live.live_figures(replace(later, train=more), "step", 0.6, False)
    assert built == ["loss", "acc"] * 2
    live.live_figures(replace(later, train=more), "samples", 0.6, False)  # another x-axis
    assert built == ["loss", "acc"] * 3


def test_a_run_not_yet_tested_has_no_accuracy_figure(monkeypatch):
    monkeypatch.setattr(live.st, "session_state", {})
    rows = [{"step": 10, "samples": 320, "seconds": 0.5, "loss": 1.0}]
    loss, accuracy = live.live_figures(snapshot(train=rows), "step", 0.6, False)
    assert accuracy is None and list(loss.data[0].y) == [1.0]
