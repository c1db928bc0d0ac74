"""A run as the live chart in the browser reads it: plain JSON, bounded, the same for a run
that trains now and one read back from its folder.

The Train page's chart component (ui/live_chart.py) draws it, and the app's live route
(ui/live_route.py) sends it again every second or two while a run trains, so the page never
reruns to update a curve. Curves are thinned here, on the server: however long a run, one
update carries at most MAX_LIVE_POINTS points per curve.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from core.engine.learning.data import TRAIN_SIZE
from core.engine.learning.probes import SATURATING
from core.engine.looks.figures import PALETTE, thinned_indices
from core.engine.looks.inside import inside_payload
from core.engine.runs.record import Run, RunStatus

MAX_LIVE_POINTS = 1000  # points per curve in one live update
LIVE_LOG_LINES = 12  # newest log lines a live update carries
TRAIN_COLUMNS = ("step", "samples", "seconds", "loss")
TEST_COLUMNS = ("step", "samples", "seconds", "loss", "accuracy")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "…"
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


def progress_text(run: Run, queue_position: int | None = None) -> str:
    """epoch 1/2 · batch 120/3750 · 1,850 images/s · 2:31 left"""
    if run.status == RunStatus.QUEUED:
        place = f" (place {queue_position} in the queue)" if queue_position else ""
        return f"queued: waiting for a free slot{place}"
    if not run.total_steps:  # it has not counted its batches yet: nothing to count in
        if run.finished:
            return "ended before the first batch"
        return "loading the data and building the model…"
    per_epoch = run.total_steps // max(run.config.epochs, 1)
    batch = run.step - (run.epoch - 1) * per_epoch if per_epoch else run.step
    parts = [
        f"epoch {run.epoch}/{run.config.epochs}",
        f"batch {max(batch, 0):,}/{per_epoch:,}",
        f"{run.samples_per_s:,.0f} images/s",
    ]
    if run.finished:
        parts.append(f"{duration(run.elapsed_s)} in all")
    else:
        parts.append(f"{duration(run.eta_s)} left")
    return " · ".join(parts)


def _finite(value: Any) -> float | None:
    """A number JSON can carry: NaN and infinity (a diverged loss) travel as null."""
    number = float(value)
    return number if math.isfinite(number) else None


def columns(rows: Sequence[dict[str, Any]], keys: Sequence[str], images: int) -> dict:
    """Rows as thinned columns, plus `epochs`: images seen over the training set's size."""
    idx = thinned_indices(len(rows), MAX_LIVE_POINTS)
    out = {key: [_finite(rows[i][key]) for i in idx] for key in keys}
    out["epochs"] = [round(rows[i]["samples"] / images, 4) for i in idx]
    return out


def run_payload(
    run: Run, color_index: int = 0, queue_position: int | None = None, digit: bool = False
) -> dict:
    """One run for the chart: its curves, where it is, what the page says of it, and its
    inside (with the probe digit's pictures only when `digit`: they are most of the bytes)."""
    images = run.config.train_subset or TRAIN_SIZE
    last_test = run.test[-1] if run.test else None
    return {
        "id": run.id,
        "name": run.name,
        "color": PALETTE[color_index % len(PALETTE)],
        "status": run.status.value,
        "finished": run.finished,
        "stopping": run.stop_requested and not run.finished,
        "halted": run.halted,
        "progress": min(run.progress, 1.0),
        "progress_text": progress_text(run, queue_position),
        "seed": run.config.seed,
        "error": run.error,
        "resumed_after": run.resumed_after,
        "accuracy": last_test["accuracy"] if last_test else None,
        "test_loss": _finite(last_test["loss"]) if last_test else None,
        "tested_when": run.tested_when,
        "train_loss": _finite(run.train[-1]["loss"]) if run.train else None,
        "train": columns(run.train, TRAIN_COLUMNS, images),
        "test": columns(run.test, TEST_COLUMNS, images),
        "logged": len(run.train),
        "log": list(run.log[-LIVE_LOG_LINES:]),
        "inside": inside_payload(run.probes, run.digit if digit else None, SATURATING),
    }


def live_payload(
    runs: Sequence[Run], queue_positions: dict[str, int] | None = None, digit: bool = False
) -> dict:
    """What one live update carries: every run asked for, in order, and whether any trains."""
    positions = queue_positions or {}
    return {
        "runs": [run_payload(r, i, positions.get(r.id), digit) for i, r in enumerate(runs)],
        "training": any(not r.finished for r in runs),
    }
