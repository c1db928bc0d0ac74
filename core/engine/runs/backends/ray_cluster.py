"""The Ray backend: each run is a Ray actor with its own resources, on any node of a cluster.

Chosen with TORCHLAB_BACKEND=ray; TORCHLAB_RAY_ADDRESS says which cluster (default "auto",
the one `ray start` runs on this machine). Each run asks for TORCHLAB_RAY_CPUS CPUs (default
1) and one GPU when it trains on CUDA. The actor trains in one thread and answers `poll` and
`stop` in others; a thread of the server polls it and applies the events. Several Streamlit
servers can share a cluster: each submits its own actors. Run folders are written where the
actor runs, so on several machines TORCHLAB_RUNS must name a shared folder (NFS, say), and
every node needs this checkout at the same path (its PYTHONPATH is passed to the actors).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path
from typing import Any

from core.engine.runs.backends import WORKER_ENV
from core.engine.runs.backends.local import pack_state, unpack_state
from core.engine.runs.events import Ended, Event, OnEvent, died
from core.engine.runs.worker import StopSwitch, Task, train_task
from core.errors import ConfigError

log = logging.getLogger(__name__)

ADDRESS_ENV = "TORCHLAB_RAY_ADDRESS"
CPUS_ENV = "TORCHLAB_RAY_CPUS"
NAMESPACE = "torchlab"
POLL_S = 0.25  # how often the server asks an actor for its new events
ROOT = Path(__file__).resolve().parents[4]  # the checkout the actors import `core` from


def _ray():
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "TORCHLAB_BACKEND=ray needs Ray: install it with `.venv/bin/pip install ray==2.60.0` "
            "(make test installs it), or unset TORCHLAB_BACKEND to train on this machine."
        ) from None
    return ray


class _RunActor:
    """Lives in a Ray worker process: trains one task, keeps its events for `poll`."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.lock = threading.Lock()
        self.switch = StopSwitch()

    def train(self, task: Task) -> None:
        task.initial_state = unpack_state(task.initial_state)

        def emit(event: Event) -> None:
            with self.lock:
                self.events.append(self.switch.ended(event) if isinstance(event, Ended) else event)

        train_task(task, emit, self.switch)

    def poll(self, since: int) -> list[Event]:
        with self.lock:
            return self.events[since:]

    def stop(self) -> None:
        self.switch.request()


class RayBackend:
    """Runs as Ray actors; `slots` defaults to what the cluster's CPUs hold."""

    name = "ray"

    def __init__(self, slots: int | None = None, address: str | None = None):
        ray = _ray()
        if not ray.is_initialized():
            ray.init(
                address=address or os.environ.get(ADDRESS_ENV) or "auto",
                namespace=NAMESPACE,
                include_dashboard=False,
            )
        self.cpus = float(os.environ.get(CPUS_ENV) or 1)
        capacity = int(ray.cluster_resources().get("CPU", 1) // self.cpus)
        self.slots = max(1, slots or capacity)
        self._actor_class = ray.remote(_RunActor)
        self._actors: dict[str, Any] = {}
        self._lock = threading.Lock()

    def start(self, task: Task, on_event: OnEvent) -> None:
        _ray()
        cuda = str(task.config.get("device", "cpu")).startswith("cuda")
        if cuda:  # Ray shows the actor its GPU as the only one
            task = Task(**{**task.__dict__, "config": {**task.config, "device": "cuda:0"}})
        env = {
            **WORKER_ENV,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        for name in ("TORCHLAB_DATA", "TORCHLAB_RUNS"):
            if os.environ.get(name):
                env[name] = os.environ[name]
        actor = self._actor_class.options(
            num_cpus=self.cpus,
            num_gpus=1 if cuda else 0,
            max_concurrency=4,  # train in one thread, answer poll and stop in the others
            runtime_env={"env_vars": env},
        ).remote()
        packed = Task(**{**task.__dict__, "initial_state": pack_state(task.initial_state)})
        done = actor.train.remote(packed)
        with self._lock:
            self._actors[task.job_id] = actor
        threading.Thread(
            target=self._follow,
            args=(task.job_id, actor, done, on_event),
            name=f"torchlab-ray-{task.job_id}",
            daemon=True,
        ).start()

    def _follow(self, job_id: str, actor, done, on_event) -> None:
        ray = _ray()
        seen, ended = 0, False
        try:
            while not ended:
                finished, _ = ray.wait([done], timeout=POLL_S)
                if finished:
                    ray.get(done)  # raises if the actor died
                for event in ray.get(actor.poll.remote(seen)):
                    seen += 1
                    ended = ended or isinstance(event, Ended)
                    on_event(event)
                if finished and not ended:
                    raise RuntimeError("the run ended without saying how")
        except Exception as exc:  # the actor or its node is gone
            log.warning("run %s lost its Ray actor: %s", job_id, exc)
            if not ended:
                why = type(exc).__name__
                on_event(died(f"The training process died on the Ray cluster: {why}."))
        finally:
            with self._lock:
                self._actors.pop(job_id, None)
            with contextlib.suppress(Exception):
                ray.kill(actor)

    def stop(self, job_id: str) -> None:
        with self._lock:
            actor = self._actors.get(job_id)
        if actor is not None:
            actor.stop.remote()

    def shutdown(self, timeout: float = 10.0) -> None:
        with self._lock:
            actors = list(self._actors.values())
        for actor in actors:
            with contextlib.suppress(Exception):
                _ray().kill(actor)
