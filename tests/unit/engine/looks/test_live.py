"""What one live update carries: the progress line a learner reads, thinned curves, a bound."""

from __future__ import annotations

import json
import math
from dataclasses import replace

from core.engine.learning.presets import run_preset
from core.engine.looks.figures import thinned_indices
from core.engine.looks.live import (
    LIVE_LOG_LINES,
    MAX_LIVE_POINTS,
    live_payload,
    progress_text,
    run_payload,
)
from core.engine.runs.record import Run, RunStatus


def snapshot(**changes) -> Run:
    base = Run(
        id="run-1", owner="me", group="", config=run_preset("classic"),
        status=RunStatus.RUNNING, epoch=0, step=0, total_steps=0, samples_seen=0,
        samples_per_s=0.0, eta_s=None, elapsed_s=1.0, train=[], test=[], log=[], error=None,
        run_dir=None,
    )  # fmt: skip
    return replace(base, **changes)


def rows(n: int, loss=lambda i: 1.0 / (i + 1)) -> list[dict]:
    return [
        {"step": i + 1, "epoch": 1, "samples": 32 * (i + 1), "seconds": i / 10, "loss": loss(i)}
        for i in range(n)
    ]


def test_a_run_still_loading_its_data_says_so_instead_of_batch_0_of_0():
    text = progress_text(snapshot())
    assert "loading the data" in text and "0/0" not in text


def test_a_run_that_failed_before_its_first_batch_does_not_claim_to_be_loading():
    text = progress_text(snapshot(status=RunStatus.FAILED))
    assert "before the first batch" in text and "loading" not in text


def test_a_queued_run_says_its_place():
    text = progress_text(snapshot(status=RunStatus.QUEUED), queue_position=2)
    assert text == "queued: waiting for a free slot (place 2 in the queue)"


def test_a_training_run_counts_epochs_batches_and_images_per_second():
    config = run_preset("classic")
    text = progress_text(
        snapshot(epoch=2, step=1875 + 100, total_steps=2 * 1875, samples_per_s=1234.0, eta_s=90)
    )
    assert text == f"epoch 2/{config.epochs} · batch 100/1,875 · 1,234 images/s · 1:30 left"


def test_a_long_run_is_thinned_to_a_bound_that_keeps_its_last_point():
    for n in (0, 5, MAX_LIVE_POINTS, MAX_LIVE_POINTS + 1, 56_250):
        idx = thinned_indices(n, MAX_LIVE_POINTS)
        assert len(idx) <= MAX_LIVE_POINTS + 1 and idx == sorted(set(idx))
        assert (idx[-1] == n - 1) if n else idx == []
    long = snapshot(train=rows(56_250), log=[f"line {i}" for i in range(500)])
    payload = run_payload(long)
    assert len(payload["train"]["loss"]) <= MAX_LIVE_POINTS + 1
    assert payload["train"]["step"][-1] == 56_250 and len(payload["log"]) == LIVE_LOG_LINES
    assert len(json.dumps(live_payload([long] * 10))) < 1_000_000  # ten of them: under 1 MB


def test_epochs_are_images_seen_over_the_training_images_and_nan_travels_as_null():
    config = run_preset("classic").with_changes(train_subset=64)
    run = snapshot(config=config, train=rows(4, loss=lambda i: math.nan if i == 3 else 1.0))
    payload = run_payload(run)
    assert payload["train"]["epochs"] == [0.5, 1.0, 1.5, 2.0]
    assert payload["train"]["loss"] == [1.0, 1.0, 1.0, None]
    json.dumps(payload, allow_nan=False)  # valid JSON: no NaN literal


def test_the_payload_says_whether_anything_still_trains():
    done = snapshot(status=RunStatus.DONE)
    assert live_payload([done])["training"] is False
    assert live_payload([done, snapshot()])["training"] is True
    first, second = live_payload([done, done])["runs"]
    assert first["color"] != second["color"]  # each run its own colour
