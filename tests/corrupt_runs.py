"""Run folders damaged the ways copies, sync tools, hand edits and older versions damage them.

`make_corrupt_runs(root)` writes one intact finished run with a model and, beside it, copies
of it broken in one way each; it returns the names of the folders that cannot be read at all
(their config is gone) and of those that must still be listed, each with a word its problem
notice must contain. The unit tests and the pages' AppTests share it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from core.engine.learning.config import RunConfig
from core.engine.learning.models import ConvSpec, ModelSpec, build_model
from core.engine.runs.checkpoint import SPEC_FILE, save_model
from core.engine.runs.folder import (
    CONFIG_FILE,
    METRICS_FILE,
    STATUS_FILE,
    StatusRecord,
    write_config,
    write_metrics,
    write_status,
)
from core.engine.runs.record import RunStatus

GOOD = "20260101-000000-good"
TRAIN = [
    {"epoch": 1, "step": s, "samples": 32 * s, "seconds": s / 10, "loss": 2.0 / s, "lr": 0.5}
    for s in range(1, 21)
]
TEST = [{"epoch": 1, "step": 20, "samples": 640, "seconds": 2.5, "loss": 0.5, "accuracy": 0.875}]

# folder -> a word the run's problem list must contain (the run is still listed)
DAMAGED = {
    "20260101-000001-cut-last-row": METRICS_FILE,
    "20260101-000002-cut-train-row": METRICS_FILE,
    "20260101-000003-not-a-number": METRICS_FILE,
    "20260101-000004-garbage-status": STATUS_FILE,
    "20260101-000005-started-yesterday": "started",
    "20260101-000006-status-a-list": STATUS_FILE,
    "20260101-000007-binary-metrics": METRICS_FILE,
    "20260101-000008-unknown-status": "status",
}
MISSING_FILES = "20260101-000009-config-only"  # listed, interrupted, nothing else
BAD_META = "20260101-000010-meta-not-an-object"  # listed; its model does not load
UNREADABLE = ("20260101-000011-garbage-config", "20260101-000012-config-wrong-types")
EMPTY = "20260101-000013-empty-folder"  # not a run folder at all: not listed


# A small model tested on a few images: the pages analyse every copy, and the size of the model
# is not what these folders test.
SPEC = ModelSpec(convs=[ConvSpec(4, 3, 2, 0, "max")], hidden=[16])
CONFIG = RunConfig(name="intact run", model=SPEC, epochs=1, train_subset=640, test_subset=200)


def _copy(root: Path, name: str) -> Path:
    """A copy of the good run under its own name (the pickers tell the copies apart)."""
    folder = Path(shutil.copytree(root / GOOD, root / name))
    write_config(folder, CONFIG.with_changes(name=name.split("-", 2)[2]))
    return folder


def make_corrupt_runs(root: Path) -> None:
    good = root / GOOD
    write_config(good, CONFIG)
    write_metrics(good, TRAIN, TEST)
    write_status(good, StatusRecord(RunStatus.DONE, started=1.0, finished=3.0))
    save_model(good, build_model(SPEC), SPEC, {"dataset": "MNIST", "accuracy": 0.875})
    text = (good / METRICS_FILE).read_text()

    cut = _copy(root, "20260101-000001-cut-last-row")
    (cut / METRICS_FILE).write_text(text[: text.rindex(",0.5,,") + 3])  # inside the test row
    lines = text.splitlines(keepends=True)
    middle = _copy(root, "20260101-000002-cut-train-row")
    (middle / METRICS_FILE).write_text("".join([*lines[:5], "train,1,5\n", *lines[6:]]))
    nan = _copy(root, "20260101-000003-not-a-number")
    (nan / METRICS_FILE).write_text(text.replace(",0.5,,0.875", ",zero point five,,0.875"))
    _copy(root, "20260101-000004-garbage-status")
    (root / "20260101-000004-garbage-status" / STATUS_FILE).write_text('{"status": "do')
    yesterday = _copy(root, "20260101-000005-started-yesterday")
    (yesterday / STATUS_FILE).write_text(json.dumps({"status": "done", "started": "yesterday"}))
    listed = _copy(root, "20260101-000006-status-a-list")
    (listed / STATUS_FILE).write_text('["done"]')
    binary = _copy(root, "20260101-000007-binary-metrics")
    (binary / METRICS_FILE).write_bytes(b"\xff\xfe\x00garbage\x00" * 50)
    unknown = _copy(root, "20260101-000008-unknown-status")
    (unknown / STATUS_FILE).write_text(json.dumps({"status": {"nested": 1}, "started": 1.0}))

    only = root / MISSING_FILES
    only.mkdir()
    shutil.copy(good / CONFIG_FILE, only / CONFIG_FILE)
    meta = _copy(root, BAD_META)
    info = json.loads((meta / SPEC_FILE).read_text())
    (meta / SPEC_FILE).write_text(json.dumps({**info, "meta": ["MNIST"]}))

    garbage = _copy(root, UNREADABLE[0])
    (garbage / CONFIG_FILE).write_text("{{{ not json")
    wrong = _copy(root, UNREADABLE[1])
    (wrong / CONFIG_FILE).write_text(json.dumps({"lr": "fast", "epochs": [1]}))
    (root / EMPTY).mkdir()
