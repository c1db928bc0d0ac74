"""The Train page's Compare section says what its overlay draws (issue 27 item 14)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.engine.learning.config import RunConfig
from core.engine.looks.figures import smooth
from core.engine.runs.folder import StatusRecord, write_config, write_metrics, write_status
from core.engine.runs.record import RunStatus

PAGE = str(Path(__file__).resolve().parents[2] / "views" / "train" / "page.py")
TIMEOUT = 120


def saved_run(root: Path, name: str, losses: list[float]) -> str:
    """A finished run folder with these logged losses (no training, no model)."""
    folder = root / f"20260101-00000{len(list(root.glob('*')))}-{name}"
    folder.mkdir(parents=True)
    write_config(folder, RunConfig(name=name, epochs=1, train_subset=32 * len(losses)))
    train = [
        {"epoch": 1, "step": s, "samples": 32 * s, "seconds": s / 10, "loss": v, "lr": 0.5}
        for s, v in enumerate(losses, 1)
    ]
    test = [{"epoch": 1, "step": len(losses), "samples": 32 * len(losses), "seconds": 3.0,
             "loss": losses[-1], "accuracy": 0.8}]  # fmt: skip
    write_metrics(folder, train, test)
    write_status(folder, StatusRecord(RunStatus.DONE, started=1.0, finished=3.0))
    return folder.name


def test_the_overlay_says_when_it_smoothed_less_than_the_slider_reads(runs_dir):
    """With 8 and 15 logged losses the overlay drew them raw (and 0.33) under a slider reading
    0.60, without the note the single-run view gives. The note's numbers are what is drawn."""
    short = [2.3, 1.1, 0.9, 0.5, 0.7, 0.3, 0.4, 0.14]
    longer = [2.3 / (1 + i) + 0.05 * (i % 3) for i in range(15)]
    ids = [saved_run(runs_dir, "short", short), saved_run(runs_dir, "longer", longer)]
    at = AppTest.from_file(PAGE).run(timeout=TIMEOUT)
    at.multiselect(key="training_compare").set_value(ids).run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert at.slider(key="training_cmp_smoothing").value == 0.6
    note = next(c.value for c in at.caption if c.value.startswith("Smoothed with less than"))
    drawn = {
        t["name"]: t["y"]
        for c in at.get("plotly_chart")
        if c.key == "training_cmp_loss"
        for t in json.loads(c.proto.spec)["data"]
    }
    for name, losses in (("short", short), ("longer", longer)):
        weight = float(re.search(rf"{name} with ([0-9.]+) \({len(losses)} logged", note)[1])
        values = numbers(drawn[f"{name} · training loss"])
        # the note rounds the weight to two decimals: the curve it names, to within that
        assert values == pytest.approx(smooth(losses, weight), rel=0.01), name
        assert values != pytest.approx(smooth(losses, 0.6), rel=0.01)  # not the slider's


def numbers(ys) -> list[float]:
    """A trace's y values, also when Plotly sent them as a binary array."""
    if isinstance(ys, dict):
        ys = np.frombuffer(base64.b64decode(ys["bdata"]), dtype=ys["dtype"]).tolist()
    return [round(float(v), 9) for v in ys]
