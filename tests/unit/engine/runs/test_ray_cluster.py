"""The Ray backend on a cluster of two nodes (Ray's own simulation, `ray.cluster_utils.Cluster`,
both on this machine): the server trains a run on each node at once, keeps its actors for
the next runs, follows the nodes that leave, and says so when a node takes a run with it.
Also: a cluster that does not answer, or refuses the server's token, is said within seconds."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from core.engine.runs.folder import load_run
from core.engine.runs.record import RunStatus
from core.engine.runs.runner import Runner
from tests.run_settings import QUICK

ROOT = Path(__file__).resolve().parents[4]
LONG = QUICK.with_changes(train_subset=4000, epochs=50)
TIMEOUT = 240  # seconds: two nodes, two actors and their datasets on two shared cores
PROBE_WAIT_S = 45  # a refused connection is said within seconds; ray.init waited 20 to 67 s


def wait_for(predicate, timeout: float = TIMEOUT, what: str = "the state") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"never reached {what}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def two_nodes():
    ray = pytest.importorskip("ray")
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        worker = cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, namespace="torchlab-tests", include_dashboard=False)
        yield cluster, worker
    finally:
        ray.shutdown()
        cluster.shutdown()


@pytest.mark.slow
@pytest.mark.needs_data
def test_the_cluster_trains_on_every_node_reuses_its_actors_and_follows_a_node_that_leaves(
    two_nodes, runs_dir, monkeypatch
):
    cluster, worker = two_nodes
    monkeypatch.setenv("TORCHLAB_BACKEND", "ray")  # as a class's server is started
    runner = Runner(runs_root=runs_dir)
    try:
        assert runner.max_concurrent == 2  # one CPU per run, one CPU per node
        first, second = runner.submit(LONG), runner.submit(LONG)
        assert runner.queue_position(second) is None  # handed out at once, not queued
        wait_for(lambda: all(runner.snapshot(i).step > 0 for i in (first, second)), what="both")
        both = [runner.snapshot(i) for i in (first, second)]
        assert len({s.process for s in both}) == 2  # two actors, each in its own process

        cluster.remove_node(worker)  # a machine of the class goes away mid-run
        wait_for(lambda: any(runner.snapshot(i).finished for i in (first, second)), what="a loss")
        lost, kept = [runner.snapshot(i) for i in (first, second)]
        if not lost.finished:
            lost, kept = kept, lost
        assert lost.status == RunStatus.FAILED
        assert "died on the Ray cluster: its node left the cluster" in lost.error
        assert load_run(lost.run_dir).status == RunStatus.FAILED  # said on disk too
        step = kept.step
        wait_for(lambda: runner.snapshot(kept.id).step > step, what="the other run going on")
        wait_for(lambda: runner.max_concurrent == 1, what="the slots following the nodes")

        runner.stop(kept.id)
        stopped = runner.wait(kept.id, TIMEOUT)
        assert stopped.status == RunStatus.STOPPED
        # two runs started together train at once: their times overlap
        assert lost.started_at < stopped.ended_at and stopped.started_at < lost.ended_at
        after = runner.wait(runner.submit(QUICK), TIMEOUT)
        assert after.status == RunStatus.DONE, after.error
        assert after.process == stopped.process  # the same actor, its data already loaded
    finally:
        runner.shutdown()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _backend_error(env: dict[str, str]) -> tuple[str, bool]:
    """make_backend("ray") in a process of its own (Ray's auth settings are per process):
    its error, and whether it came back within PROBE_WAIT_S."""
    code = (
        "from core.engine.runs.backends import make_backend\n"
        "try:\n    make_backend(None, 'ray')\nexcept Exception as exc:\n"
        "    print(type(exc).__name__ + ': ' + str(exc), flush=True)\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=PROBE_WAIT_S,
        )
    except subprocess.TimeoutExpired:
        return "", False
    return done.stdout.strip(), True


@pytest.mark.slow
def test_a_cluster_that_does_not_answer_is_said_at_once_with_what_to_set():
    said, in_time = _backend_error({"TORCHLAB_RAY_ADDRESS": f"127.0.0.1:{_free_port()}"})
    assert in_time, f"make_backend still waited on the cluster after {PROBE_WAIT_S} s"
    assert said.startswith("ConfigError: Training is not available: no Ray cluster answers")
    assert "TORCHLAB_RAY_ADDRESS" in said and "unset TORCHLAB_BACKEND" in said


HEAD = """
import sys, time, ray
ctx = ray.init(address="local", num_cpus=1, include_dashboard=False)  # never the test one
print(ctx.address_info["gcs_address"], flush=True)
sys.stdin.read()  # until the test closes it
ray.shutdown()
"""


@pytest.mark.slow
def test_a_cluster_that_refuses_the_token_is_said_at_once_with_what_to_set():
    pytest.importorskip("ray")
    token = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": "a" * 32}
    head = subprocess.Popen(
        [sys.executable, "-c", HEAD],
        env={**os.environ, **token},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        address = [""]
        reader = threading.Thread(target=lambda: address.__setitem__(0, head.stdout.readline()))
        reader.start()
        reader.join(TIMEOUT)
        assert address[0].strip(), "the token-protected head did not start"
        wrong = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": "b" * 32}
        said, in_time = _backend_error({"TORCHLAB_RAY_ADDRESS": address[0].strip(), **wrong})
        assert in_time, f"make_backend still waited on the cluster after {PROBE_WAIT_S} s"
        assert said.startswith("ConfigError: Training is not available: the Ray cluster refuses")
        assert "RAY_AUTH_TOKEN" in said
    finally:
        head.stdin.close()
        try:
            head.wait(60)
        except subprocess.TimeoutExpired:
            head.kill()


def test_a_late_forget_of_a_runs_earlier_start_leaves_its_resume_alone(monkeypatch):
    """A threaded actor runs its calls in no fixed order: the `forget` of a stopped run can
    arrive after the same run (same job id) was resumed on that actor. It must not take the
    resumed run's events or its stop switch with it (it did once: a resume that died)."""
    from core.engine.runs.backends import ray_cluster
    from core.engine.runs.events import Logged

    release = threading.Event()

    def fake_train(task, emit, switch):
        emit(Logged(f"training {task.job_id}"))
        release.wait(10)

    monkeypatch.setattr(ray_cluster, "train_task", fake_train)
    actor = ray_cluster._RunActor()
    task = type("T", (), {"job_id": "run", "initial_state": None})()
    first, again = "run:first", "run:again"
    actor.stop(first)  # the first start was stopped; its forget is still on its way
    trainer = threading.Thread(target=actor.train, args=(task, again))
    trainer.start()
    while not actor.poll(again, 0):
        time.sleep(0.01)
    actor.forget(first)
    assert [e.line for e in actor.poll(again, 0)] == ["training run"]
    assert actor.switches[again].stop_at is None  # the earlier stop is not the resume's
    release.set()
    trainer.join()


def test_an_actor_keeps_only_the_events_the_server_does_not_have_yet(monkeypatch):
    """A poll from `since` acknowledges the earlier events: the actor drops them, so a long
    run's probes (50 KB each with the digit) do not pile up in it, and later polls still
    count from the run's first event."""
    from core.engine.runs.backends import ray_cluster
    from core.engine.runs.events import Logged

    monkeypatch.setattr(
        ray_cluster,
        "train_task",
        lambda task, emit, switch: [emit(Logged(str(i))) for i in range(5)],
    )
    actor = ray_cluster._RunActor()
    actor.train(type("T", (), {"job_id": "run", "initial_state": None})(), "t")
    assert [e.line for e in actor.poll("t", 0)] == ["0", "1", "2", "3", "4"]
    assert [e.line for e in actor.poll("t", 3)] == ["3", "4"]
    assert len(actor.events["t"]) == 2  # "0" to "2" are the server's now
    assert [e.line for e in actor.poll("t", 4)] == ["4"]
    assert actor.poll("t", 5) == [] and actor.events["t"] == []
