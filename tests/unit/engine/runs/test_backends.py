"""The backend contract, on both backends: worker processes here, and a local Ray cluster.

Submit, progress, list, stop within one batch, a failure's message, the queue cap, a worker
that dies, resume equal to an uninterrupted run, and the same curve whatever this process
does with torch's global generator meanwhile.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import torch

from core.engine.learning.models import ConvSpec, ModelSpec
from core.engine.runs.backends import make_backend
from core.engine.runs.folder import load_run
from core.engine.runs.record import RunStatus
from core.engine.runs.resume import RESUME_FILE
from core.engine.runs.runner import Runner
from core.errors import ConfigError, LimitError, TorchlabError
from tests import run_settings

pytestmark = pytest.mark.needs_data

QUICK = run_settings.QUICK.with_changes(model=run_settings.TINY_DROPOUT)
LONG = QUICK.with_changes(train_subset=4000, epochs=50)
TIMEOUT = 180  # seconds; generous, the machine's two cores are shared


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, namespace="torchlab-tests")
    yield
    ray.shutdown()


@pytest.fixture(params=["local", "ray"])
def runner(request, runs_dir):
    if request.param == "ray":
        request.getfixturevalue("ray_cluster")
    r = Runner(runs_root=runs_dir, backend=make_backend(1, request.param))
    yield r
    r.shutdown()


def wait_for(predicate, timeout: float = TIMEOUT) -> None:
    """Poll until `predicate()` holds (a wait for a state, not a timed assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the run never got there"
        time.sleep(0.05)


def losses(run) -> list[float]:
    return [r["loss"] for r in run.train]


def test_a_run_trains_reports_progress_and_is_listed(runner):
    job_id = runner.submit(QUICK.with_changes(epochs=2), owner="me")
    snap = runner.wait(job_id, TIMEOUT)
    assert snap.status == RunStatus.DONE, snap.error
    assert snap.step == snap.total_steps == 20 and len(snap.test) == 2
    assert [s.id for s in runner.jobs(owner="me")] == [job_id]
    saved = load_run(snap.run_dir)
    assert saved.status == RunStatus.DONE and losses(saved) == losses(snap) and saved.has_model


def test_stop_takes_effect_within_one_batch(runner):
    job_id = runner.submit(LONG)
    wait_for(lambda: runner.snapshot(job_id).step > 0)
    runner.stop(job_id)
    snap = runner.wait(job_id, TIMEOUT)
    assert snap.status == RunStatus.STOPPED
    assert snap.stop_after_batches is not None and snap.stop_after_batches <= 1
    assert load_run(snap.run_dir).status == RunStatus.STOPPED


def test_a_failing_run_says_why_and_the_queue_goes_on(runner):
    leaky = ModelSpec(convs=[ConvSpec(4, 3, 2, 0, "max")], hidden=[16], activation="LeakyReLU")
    bad = runner.submit(QUICK.with_changes(model=leaky, optimizer="SGD", lr=100.0))
    good = runner.submit(QUICK)
    snap = runner.wait(bad, TIMEOUT)
    assert snap.status == RunStatus.FAILED and "loss became NaN at step" in snap.error
    assert snap.train  # the curve up to the explosion is kept
    assert runner.wait(good, TIMEOUT).status == RunStatus.DONE


def test_the_queue_cap_refuses_with_a_message(runner, monkeypatch):
    monkeypatch.setattr("core.engine.runs.runner.MAX_QUEUED", 1)
    first, second = runner.submit(LONG), runner.submit(LONG)
    assert runner.snapshot(second).status == RunStatus.QUEUED
    with pytest.raises(LimitError, match="already waiting"):
        runner.submit(QUICK)
    runner.stop(second)
    runner.stop(first)
    assert runner.wait(first, TIMEOUT).status == RunStatus.STOPPED


def test_a_worker_that_dies_fails_its_run_and_the_next_one_trains(runner):
    doomed, after = runner.submit(LONG), runner.submit(QUICK)
    wait_for(lambda: runner.snapshot(doomed).step > 0)
    pid = int(runner.snapshot(doomed).process.split(":")[0])
    assert pid != os.getpid()  # it trains in another process, never in this one
    os.kill(pid, signal.SIGKILL)
    snap = runner.wait(doomed, TIMEOUT)
    assert snap.status == RunStatus.FAILED and "The training process died" in snap.error
    if runner.backend.name == "local":
        assert "signal 9 (killed, often out of memory)" in snap.error
    assert load_run(snap.run_dir).status == RunStatus.FAILED  # not left 'running' on disk
    assert runner.wait(after, TIMEOUT).status == RunStatus.DONE


def test_resume_continues_exactly_where_the_run_stopped(runner):
    config = QUICK.with_changes(train_subset=2000, epochs=3)
    straight = runner.wait(runner.submit(config), TIMEOUT)
    per_epoch = straight.total_steps // 3
    # A stop at a fixed batch inside epoch 2: a Stop click after watching the step would
    # race the last 0.4 s of such a small run (the Ray snapshot alone lags 0.25 s).
    job_id = runner.submit(config, stop_after=per_epoch + 5)
    stopped = runner.wait(job_id, TIMEOUT)
    assert stopped.status == RunStatus.STOPPED and stopped.step == per_epoch + 5
    assert len(stopped.test) == 2  # epoch 1's, and the stop's
    resumed = runner.wait(runner.resume(stopped.run_dir), TIMEOUT)
    assert resumed.id == job_id and resumed.status == RunStatus.DONE, resumed.error
    assert losses(resumed) == losses(straight)  # to the last digit
    assert [(r["loss"], r["accuracy"]) for r in resumed.test] == [
        (r["loss"], r["accuracy"]) for r in straight.test
    ]
    assert losses(load_run(resumed.run_dir)) == losses(straight)
    with pytest.raises(TorchlabError, match="nothing to resume"):
        runner.resume(resumed.run_dir)


def test_a_corrupt_or_missing_checkpoint_is_a_message(runner):
    job_id = runner.submit(LONG)
    wait_for(lambda: len(runner.snapshot(job_id).test) >= 1)
    runner.stop(job_id)
    run_dir = runner.wait(job_id, TIMEOUT).run_dir
    curve = load_run(run_dir).train
    (run_dir / RESUME_FILE).write_bytes(b"not a checkpoint")
    snap = runner.wait(runner.resume(run_dir), TIMEOUT)
    assert snap.status == RunStatus.FAILED and "cannot be resumed" in snap.error
    assert curve and load_run(run_dir).train == curve  # the failed resume keeps the curve
    (run_dir / RESUME_FILE).unlink()
    with pytest.raises(TorchlabError, match="no checkpoint"):
        runner.resume(run_dir)


def test_the_same_seed_gives_the_same_curve_whatever_this_process_does(runner):
    alone = runner.wait(runner.submit(QUICK.with_changes(epochs=2)), TIMEOUT)
    busy = threading.Event()

    def page_activity() -> None:  # what the fair-race panel and the Layers demos do
        while not busy.is_set():
            torch.manual_seed(0)
            torch.rand(10)

    thread = threading.Thread(target=page_activity, daemon=True)
    thread.start()
    try:
        beside = runner.wait(runner.submit(QUICK.with_changes(epochs=2)), TIMEOUT)
    finally:
        busy.set()
        thread.join()
    assert losses(beside) == losses(alone)
    assert [r["accuracy"] for r in beside.test] == [r["accuracy"] for r in alone.test]


def test_asking_for_ray_without_ray_says_what_to_install(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "ray", None)  # import ray now fails
    with pytest.raises(ConfigError, match=r"pip install ray==2\.60\.0"):
        make_backend(1, "ray")
    monkeypatch.setenv("TORCHLAB_BACKEND", "spark")
    with pytest.raises(ConfigError, match="is not a backend; use one of: local, ray"):
        make_backend(1)
