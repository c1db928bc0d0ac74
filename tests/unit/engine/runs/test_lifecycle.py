"""A run's whole life on the real worker processes: who owns it on every path, what a resume
restores and continues (with a schedule, momentum and dropout), what reaches the disk before a
crash, how a model and a checkpoint are loaded, which runs the list and the server keep.

These were written against hand-made lifecycle bugs (tests/mutants/lifecycle.py): each test
names the bugs it catches.
"""

from __future__ import annotations

import io
import pickle
import time

import pytest
import torch

from core.engine.learning.config import RunConfig
from core.engine.learning.models import ModelSpec, build_model
from core.engine.runs import folder as run_folder
from core.engine.runs import runner as run_queue
from core.engine.runs.checkpoint import WEIGHTS_FILE, load_model, load_weights, save_model
from core.engine.runs.folder import StatusRecord, load_run, scan_runs, write_config, write_status
from core.engine.runs.record import RunStatus
from core.engine.runs.resume import RESUME_FILE
from core.errors import CheckpointError, TorchlabError
from tests.run_settings import SCHEDULED
from tests.unit.engine.runs.gate import Gate

pytestmark = pytest.mark.needs_data

TIMEOUT = 180


def curve(run) -> list[tuple]:
    return [(r["step"], r["loss"], r["lr"]) for r in run.train]


def scores(run) -> list[tuple]:
    return [(r["epoch"], r["loss"], r["accuracy"]) for r in run.test]


def test_a_resume_continues_a_scheduled_run_exactly_and_keeps_its_owner(runner):
    """Catches: a resume that forgets the schedule's place, the batch order, the dropout
    masks, the last epoch's test, when the run started, or whose run it is."""
    straight = runner.wait(runner.submit(SCHEDULED, owner="learner"), TIMEOUT)
    per_epoch = straight.total_steps // 3
    job_id = runner.submit(SCHEDULED, owner="learner", stop_after=per_epoch + 3)
    stopped = runner.wait(job_id, TIMEOUT)
    assert stopped.status == RunStatus.STOPPED and load_run(stopped.run_dir).owner == "learner"

    resumed = runner.wait(runner.resume(stopped.run_dir, owner="teacher"), TIMEOUT)
    assert resumed.status == RunStatus.DONE, resumed.error
    assert curve(resumed) == curve(straight)  # losses and the one-cycle rate, every step
    assert scores(resumed) == scores(straight)
    straight_weights = load_weights(straight.run_dir / WEIGHTS_FILE)
    resumed_weights = load_weights(resumed.run_dir / WEIGHTS_FILE)
    assert all(torch.equal(straight_weights[k], resumed_weights[k]) for k in straight_weights)

    on_disk = load_run(resumed.run_dir)
    assert resumed.owner == on_disk.owner == "learner"  # the teacher's resume keeps it theirs
    assert resumed.resumed_after == on_disk.resumed_after == 1
    assert on_disk.started_at == stopped.started_at  # the run's start, not the resume's
    assert curve(on_disk) == curve(straight) and scores(on_disk) == scores(straight)


def test_a_run_resumed_from_the_command_line_stays_its_tabs(runner):
    """Catches: a resume without a tab (the CLI's) that drops the run's owner."""
    per_epoch = run_folder.planned_steps(SCHEDULED) // 3
    stopped = runner.wait(runner.submit(SCHEDULED, owner="learner", stop_after=per_epoch), TIMEOUT)
    resumed = runner.wait(runner.resume(stopped.run_dir), TIMEOUT)
    assert resumed.owner == load_run(resumed.run_dir).owner == "learner"
    with pytest.raises(TorchlabError, match="nothing to resume"):
        runner.resume(resumed.run_dir)  # done: a finished run is never trained again


def test_the_climb_to_a_nan_loss_is_on_disk_as_on_the_page(runner):
    """Catches: a NaN run whose last rows never reach metrics.csv."""
    exploding = RunConfig(
        model=ModelSpec(hidden=[16], activation="LeakyReLU"),
        optimizer="SGD",
        lr=50.0,
        train_subset=640,
        test_subset=100,
        log_interval=100,
    )
    snap = runner.wait(runner.submit(exploding), TIMEOUT)
    assert snap.status == RunStatus.FAILED and ("NaN" in snap.error or "infinite" in snap.error)
    assert snap.train and load_run(snap.run_dir).train == snap.train


def test_a_run_stopped_in_the_queue_ends_and_says_so(inline_runner, monkeypatch):
    """Catches: a queued run that is stopped but never ends for whoever waits on it."""
    gate = Gate(monkeypatch)
    first = inline_runner.submit(SCHEDULED, owner="a")
    assert gate.entered.wait(TIMEOUT)
    queued = inline_runner.submit(SCHEDULED, owner="b")
    inline_runner.stop(queued)
    snap = inline_runner.snapshot(queued)
    assert snap.status == RunStatus.STOPPED and snap.finished
    assert snap.log[-1] == "stopped before it started"
    inline_runner.forget(queued)  # what Delete does: only a run that has ended can go
    assert not inline_runner.has(queued)
    inline_runner.stop(first)
    gate.opened.set()
    assert inline_runner.wait(first, TIMEOUT).finished


def test_the_server_keeps_runs_that_are_still_going_when_it_forgets_old_ones(
    inline_runner, monkeypatch
):
    """Catches: pruning finished jobs that also drops queued or running ones."""
    monkeypatch.setattr(run_queue, "MAX_KEPT_JOBS", 0)
    gate = Gate(monkeypatch)
    running = inline_runner.submit(SCHEDULED, owner="a")
    assert gate.entered.wait(TIMEOUT)
    waiting = inline_runner.submit(SCHEDULED, owner="b")  # prunes: nothing finished to drop
    assert inline_runner.has(running) and inline_runner.has(waiting)
    assert inline_runner.snapshot(running).status == RunStatus.RUNNING
    assert inline_runner.snapshot(waiting).status == RunStatus.QUEUED
    inline_runner.stop(waiting)
    inline_runner.stop(running)
    gate.opened.set()
    assert inline_runner.wait(running, TIMEOUT).finished


def test_a_loaded_model_predicts_with_dropout_off(tmp_path):
    """Catches: load_model handing back a model in training mode (dropout on)."""
    spec = ModelSpec(hidden=[32], dropout=0.5)
    save_model(tmp_path, build_model(spec), spec)
    model, _, _ = load_model(tmp_path)
    x = torch.randn(4, 1, 28, 28)
    assert not model.training and torch.equal(model(x), model(x))


def test_weights_of_another_model_are_refused_not_half_loaded(tmp_path):
    """Catches: a lenient load that keeps the new model's random weights where names differ."""
    # The spec says one hidden layer of 10 units, the weights are softmax regression: the
    # first Linear has the same shape in both, the second is missing from the file.
    plain, deeper = ModelSpec(hidden=[]), ModelSpec(hidden=[10])
    save_model(tmp_path, build_model(plain), deeper)
    with pytest.raises(CheckpointError, match="do not fit"):
        load_model(tmp_path)


class Payload:
    """What a pickle runs when it is loaded: here, it creates a file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_resume_checkpoint_that_holds_code_never_runs_it(runner, tmp_path):
    """Catches: torch.load of a checkpoint without weights_only."""
    run_dir, marker = tmp_path / "run", tmp_path / "the checkpoint ran code"
    write_config(run_dir, SCHEDULED)
    write_status(run_dir, StatusRecord(RunStatus.STOPPED, started=1.0))
    buffer = io.BytesIO()
    torch.save({"format": 1, "epoch": 1, "payload": Payload(marker)}, buffer, pickle_module=pickle)
    (run_dir / RESUME_FILE).write_bytes(buffer.getvalue())
    snap = runner.wait(runner.resume(run_dir), TIMEOUT)
    assert snap.status == RunStatus.FAILED and "cannot be resumed" in snap.error
    assert not marker.exists()


def test_the_run_list_keeps_the_newest_runs(tmp_path, monkeypatch):
    """Catches: a listing cut to its limit from the wrong end."""
    monkeypatch.setattr(run_folder, "MAX_LISTED_RUNS", 2)
    for i, stamp in enumerate(["20260101-000000", "20260102-000000", "20260103-000000"]):
        write_config(tmp_path / f"{stamp}-run", RunConfig(name=f"run {i}"))
        write_status(tmp_path / f"{stamp}-run", StatusRecord(RunStatus.DONE, started=time.time()))
    listed, _ = scan_runs(tmp_path)
    assert [r.config.name for r in listed] == ["run 2", "run 1"]
