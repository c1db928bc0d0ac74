"""Probes through the real worker: sent as events, on disk with the curve, continued by a
resume, read forgivingly, and never a change to the run's numbers."""

from __future__ import annotations

import pytest

from core.engine.learning.config import RunConfig
from core.engine.learning.models import ConvSpec, ModelSpec
from core.engine.runs.folder import PROBES_FILE, load_run, read_probes
from core.engine.runs.record import RunStatus

pytestmark = pytest.mark.needs_data

SPEC = ModelSpec(convs=[ConvSpec(16, 3, 1, 0, "max")], hidden=[32], dropout=0.3)
RUN = RunConfig(model=SPEC, train_subset=9600, test_subset=100, epochs=2, log_interval=5)
PER_EPOCH = 9600 // 32
TIMEOUT = 180


def test_probes_reach_the_page_and_the_folder_and_change_no_loss(runner):
    probed = runner.wait(runner.submit(RUN), TIMEOUT)
    plain = runner.wait(runner.submit(RUN, probes=False), TIMEOUT)
    assert probed.status == plain.status == RunStatus.DONE
    assert [r["loss"] for r in probed.train] == [r["loss"] for r in plain.train]  # bit for bit
    assert [r["accuracy"] for r in probed.test] == [r["accuracy"] for r in plain.test]
    steps = [p["step"] for p in probed.probes]  # how many: as the clock allows (~1 per 1.5 s)
    assert steps[0] == 1 and steps == sorted(steps)
    assert {"epoch", "samples", "seconds", "layers", "weights"} <= set(probed.probes[-1])
    on_disk, digit, problem = read_probes(probed.run_dir)
    assert problem is None and on_disk == probed.probes and digit == probed.digit
    assert digit["softmax"] and digit["maps"][0]["name"] == "conv1"
    assert read_probes(plain.run_dir) == ([], None, None)  # probes off: no file


def test_a_resumed_run_continues_its_probes(runner):
    per_epoch = PER_EPOCH
    stopped = runner.wait(runner.submit(RUN, stop_after=per_epoch + 10), TIMEOUT)
    before = read_probes(stopped.run_dir)[0]
    resumed = runner.wait(runner.resume(stopped.run_dir), TIMEOUT)
    steps = [p["step"] for p in resumed.probes]
    kept = [p for p in before if p["step"] <= per_epoch]  # the checkpoint's: epoch 1's probes
    assert resumed.probes[: len(kept)] == kept and steps == sorted(steps)
    assert all(s > per_epoch for s in steps[len(kept) :]) and len(steps) > len(kept)
    layers = {layer["name"]: layer["edges"] for layer in kept[0]["layers"]}
    for probe in resumed.probes:  # the histogram edges stay where the first probe set them
        assert {layer["name"]: layer["edges"] for layer in probe["layers"]} == layers


@pytest.mark.parametrize("damage", [b"{not json", b'{"probes": 3}', b'{"probes": [{"x": 1}]}'])
def test_a_damaged_probe_file_is_a_notice_not_an_error(runner, damage):
    done = runner.wait(runner.submit(RUN.with_changes(epochs=1, train_subset=320)), TIMEOUT)
    (done.run_dir / PROBES_FILE).write_bytes(damage)
    probes, digit, problem = read_probes(done.run_dir)
    assert probes == [] and digit is None and PROBES_FILE in problem
    assert load_run(done.run_dir).status == RunStatus.DONE  # the rest of the run reads as ever
