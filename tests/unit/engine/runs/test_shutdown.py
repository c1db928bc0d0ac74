"""A server that goes keeps every run: a shutdown stops what trains at the batch it is on
(status stopped, a checkpoint of that very batch), what waits is on disk from the moment it
was accepted, and the next server finishes both exactly as an uninterrupted run would."""

from __future__ import annotations

import time

import pytest
import torch

from core.engine.runs.checkpoint import WEIGHTS_FILE, load_weights
from core.engine.runs.folder import load_run
from core.engine.runs.record import RunStatus
from core.engine.runs.resume import RESUME_FILE
from core.engine.runs.runner import Runner
from core.errors import TorchlabError
from tests.run_settings import SCHEDULED

pytestmark = [pytest.mark.needs_data, pytest.mark.slow]

# Momentum, a one-cycle schedule and dropout, long enough to stop inside epoch 2.
CONFIG = SCHEDULED.with_changes(train_subset=2000, epochs=6)
PER_EPOCH = 63  # 2,000 images in batches of 32
TIMEOUT = 180


def curve(run) -> list[tuple]:
    return [(r["step"], r["epoch"], r["samples"], r["loss"], r["lr"]) for r in run.train]


def scores(run) -> list[tuple]:
    return [(r["epoch"], r["loss"], r["accuracy"]) for r in run.test]


def wait_for(predicate, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the run never got there"
        time.sleep(0.05)


def test_a_shutdown_keeps_every_run_and_the_next_server_finishes_them_exactly(runs_dir):
    first = Runner(runs_root=runs_dir, max_concurrent=1)
    try:
        straight = first.wait(first.submit(CONFIG, owner="reference"), TIMEOUT)
        assert straight.status == RunStatus.DONE, straight.error
        training = first.submit(CONFIG, owner="learner")
        waiting = [first.submit(CONFIG, owner="learner"), first.submit(CONFIG, owner="other")]
        # accepted means on disk: a server killed now (SIGKILL) still leaves these
        for job_id in waiting:
            queued = load_run(runs_dir / job_id)
            assert queued.status == RunStatus.QUEUED and queued.owner in ("learner", "other")
        wait_for(lambda: first.snapshot(training).step > PER_EPOCH + 5)  # inside epoch 2
    finally:
        first.shutdown()  # what SIGTERM and Ctrl+C do (app.py's lifespan)

    stopped = load_run(runs_dir / training)
    assert stopped.status == RunStatus.STOPPED and stopped.stopped_by == "server"
    assert stopped.what_happened().startswith("stopped by a server shutdown at epoch")
    point = torch.load(runs_dir / training / RESUME_FILE, weights_only=True)
    assert point["epoch"] * PER_EPOCH + point["batch"] == stopped.step  # the stopping point
    for job_id in waiting:
        left = load_run(runs_dir / job_id)  # held by no server now: the next one lists it
        assert left.status == RunStatus.INTERRUPTED and left.never_started
        assert left.what_happened() == "waiting in the queue when the server stopped"

    second = Runner(runs_root=runs_dir, max_concurrent=1)  # the next server start
    try:
        resumed = second.wait(second.resume(runs_dir / training), TIMEOUT)
        assert resumed.status == RunStatus.DONE, resumed.error
        assert resumed.log[0].startswith(f"resumed at step {stopped.step:,}")
        started = [second.wait(second.resume(runs_dir / i), TIMEOUT) for i in waiting]
    finally:
        second.shutdown()
    for run in (resumed, *started):
        on_disk = load_run(run.run_dir)
        assert curve(on_disk) == curve(straight) and scores(on_disk) == scores(straight)
        weights, reference = (
            load_weights(d / WEIGHTS_FILE) for d in (run.run_dir, straight.run_dir)
        )
        assert all(torch.equal(weights[k], reference[k]) for k in reference)
    assert [r.owner for r in started] == ["learner", "other"]  # still theirs


def test_a_run_stopped_in_the_queue_leaves_nothing_behind(runs_dir):
    runner = Runner(runs_root=runs_dir, max_concurrent=1)
    try:
        training = runner.submit(CONFIG.with_changes(epochs=50))
        waiting = runner.submit(CONFIG)
        assert (runs_dir / waiting).is_dir()
        runner.stop(waiting)
        assert not (runs_dir / waiting).exists()
        runner.stop(training)
        assert runner.wait(training, TIMEOUT).status == RunStatus.STOPPED
        with pytest.raises(TorchlabError, match="shutting down"):
            runner.shutdown()
            runner.submit(CONFIG)
    finally:
        runner.shutdown()
