"""The event contract: the one rule from events to a status, and what a Job keeps of each.

(`events.Tested` by its module: pytest would take a bare `Tested` for a test class.)"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from core.engine.learning.config import RunConfig
from core.engine.runs import events
from core.engine.runs.events import (
    Ended,
    Handed,
    Logged,
    Progress,
    Saved,
    Started,
    died,
    status_after,
    stopped_before_start,
)
from core.engine.runs.folder import load_run, write_config
from core.engine.runs.job import Job
from core.engine.runs.record import RunStatus

STARTED = Started(
    started=100.0,
    init_hash="abc",
    total_steps=20,
    total_samples=640,
    epoch=2,
    step=10,
    samples_seen=320,
    process="1:2",
    train=[{"step": 10, "epoch": 1, "samples": 320, "seconds": 1.0, "loss": 0.5, "lr": 0.1}],
    test=[{"step": 10, "epoch": 1, "samples": 320, "seconds": 1.1, "loss": 0.4, "accuracy": 0.9}],
    resumed_after=1,
)


def job(tmp_path: Path) -> Job:
    return Job("run-1", RunConfig(), "tab", "", None, tmp_path / "run-1")


@pytest.mark.parametrize(
    "event, before, after",
    [
        (Handed(), RunStatus.QUEUED, RunStatus.RUNNING),
        (STARTED, RunStatus.QUEUED, RunStatus.RUNNING),
        (Progress(1, 1, 32, 0.1), RunStatus.RUNNING, RunStatus.RUNNING),
        (events.Tested({"accuracy": 0.5}, "line"), RunStatus.RUNNING, RunStatus.RUNNING),
        (Saved(), RunStatus.RUNNING, RunStatus.RUNNING),
        (Logged("x"), RunStatus.QUEUED, RunStatus.QUEUED),
        (Ended(RunStatus.DONE, 1.0), RunStatus.RUNNING, RunStatus.DONE),
        (stopped_before_start(), RunStatus.QUEUED, RunStatus.STOPPED),
        (died("gone"), RunStatus.RUNNING, RunStatus.FAILED),
    ],
)
def test_one_rule_turns_each_event_into_a_status(event, before, after):
    assert status_after(before, event) == after


def test_events_travel_as_they_are():  # both backends pickle them across processes
    for event in (Handed(), STARTED, Progress(1, 2, 64, 0.5, [{"loss": 1.0}], ["l"]), died("x")):
        assert pickle.loads(pickle.dumps(event)) == event


def test_a_job_keeps_what_each_event_says(tmp_path):
    j = job(tmp_path)
    j.apply(Handed())
    assert j.snapshot().status == RunStatus.RUNNING
    j.apply(STARTED)
    snap = j.snapshot()
    assert (snap.epoch, snap.step, snap.samples_seen, snap.total_steps) == (2, 10, 320, 20)
    assert snap.resumed_after == 1 and snap.init_hash == "abc" and snap.started_at == 100.0
    assert snap.train == STARTED.train and snap.test == STARTED.test
    row = {"step": 12, "epoch": 2, "samples": 384, "seconds": 1.5, "loss": 0.3, "lr": 0.1}
    j.apply(Progress(2, 12, 384, 0.25, [row], ["epoch: 2 ..."]))
    j.apply(events.Tested({**row, "accuracy": 0.95}, "test set: ..."))
    j.apply(Saved())
    snap = j.snapshot()
    assert snap.train[-1] == row and snap.test[-1]["accuracy"] == 0.95 and snap.has_model
    assert snap.log[-2:] == ["epoch: 2 ...", "test set: ..."] and snap.step == 12
    j.apply(Progress(2, 13, 416, 0.01, halted=True))  # the stop took effect
    assert j.snapshot().halted and j.snapshot().status == RunStatus.RUNNING  # saving next
    j.apply(Ended(RunStatus.STOPPED, 200.0, stop_after_batches=1))
    snap = j.snapshot()
    assert not snap.halted  # ended: the status says it all
    assert snap.status == RunStatus.STOPPED and snap.ended_at == 200.0
    assert snap.stop_after_batches == 1 and snap.finished


def test_a_died_end_is_written_to_the_folder_the_worker_can_no_longer_write(tmp_path):
    j = job(tmp_path)
    write_config(j.run_dir, j.config)
    j.apply(STARTED)
    j.apply(died("The training process died: signal 9 (killed, often out of memory)."))
    on_disk = load_run(j.run_dir)
    assert on_disk.status == RunStatus.FAILED and "signal 9" in on_disk.error
    assert on_disk.owner == "tab" and on_disk.resumed_after == 1
    assert "failed: The training process died" in j.snapshot().log[-1]
