"""The live view's progress line: what a learner reads under the progress bar."""

from __future__ import annotations

from dataclasses import replace

from core.engine.loop import run_preset
from core.engine.runs import Run, RunStatus
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
