"""The Ray backend: runs train in long-lived Ray actors, on every node of a cluster at once.

Chosen with TORCHLAB_BACKEND=ray; TORCHLAB_RAY_ADDRESS says which cluster (default "auto",
the one `ray start` runs on this machine). A cluster that does not answer, or refuses this
server's token (Ray turns token auth on whenever a token file exists), is found out within
seconds, before `ray.init` would wait on it, and said in words with what to set.

Each actor asks for TORCHLAB_RAY_CPUS CPUs (default 1), and one GPU for runs on CUDA. The
server trains as many runs at once as the cluster's nodes hold actors (`slots`: per node, its
CPUs over the CPUs per run), re-read every few seconds, so a node that joins takes queued runs
and one that leaves takes its slots with it. An actor is kept when its run ends and trains the
next one, its datasets still loaded, as the local backend's workers do: a run does not wait
for a new process. A run whose actor dies (its node left the cluster, its process was killed)
fails with a message saying so, and the queue goes on.

The actor trains in one thread and answers `poll` and `stop` in others; a thread of the
server polls it and applies the events. Several Streamlit servers can share a cluster: each
has its own actors. Run folders are written where the actor runs, so on several machines
TORCHLAB_RUNS must name a shared folder (NFS, say), and every node needs this checkout at the
same path (its PYTHONPATH is passed to the actors).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
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
CAPACITY_S = 2.0  # how often the cluster's nodes are counted again
PROBE_S = 5.0  # how long the cluster may take to answer before the server says it does not
ROOT = Path(__file__).resolve().parents[4]  # the checkout the actors import `core` from
SET_ADDRESS = (
    "Whoever runs this server: set TORCHLAB_RAY_ADDRESS to the head node's address "
    "(HEAD_IP:6379, as `ray start --head` prints it), or unset TORCHLAB_BACKEND to train "
    "on this machine."
)


def _ray():
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "TORCHLAB_BACKEND=ray needs Ray: install it with `.venv/bin/pip install ray==2.60.0` "
            "(make test installs it), or unset TORCHLAB_BACKEND to train on this machine."
        ) from None
    return ray


def check_cluster(address: str) -> None:
    """Fail within seconds, in words, where `ray.init(address)` would wait on a cluster that
    does not answer or refuses this server's token. The address goes to the log only."""
    from ray._private.services import canonicalize_bootstrap_address

    try:
        target = canonicalize_bootstrap_address(address)
        host, port = str(target).rsplit(":", 1)
        socket.create_connection((host, int(port)), timeout=PROBE_S).close()
    except (ConnectionError, OSError, ValueError) as exc:
        log.warning("no Ray cluster answers at %s: %s", address, exc)
        raise ConfigError(
            f"Training is not available: no Ray cluster answers. {SET_ADDRESS}"
        ) from None
    outcome: dict[str, BaseException | None] = {}

    def connect() -> None:  # GcsClient blocks in C++: a thread the server need not wait for
        from ray._raylet import GcsClient

        try:
            GcsClient(address=target)
            outcome["error"] = None
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=connect, name="torchlab-ray-probe", daemon=True)
    thread.start()
    thread.join(PROBE_S)
    error = outcome.get("error", TimeoutError("no answer"))
    if error is None:
        return
    log.warning("the Ray cluster at %s refused this server: %s", address, error)
    if type(error).__name__ == "AuthenticationError":
        raise ConfigError(
            "Training is not available: the Ray cluster refuses this server's token (Ray "
            "turns token auth on whenever a token file exists). Whoever runs this server: give "
            "it the cluster's token, `RAY_AUTH_TOKEN=...` or `RAY_AUTH_TOKEN_PATH=...` (`ray "
            "get-auth-token` on the head node prints it), or unset TORCHLAB_BACKEND to train "
            "on this machine."
        )
    raise ConfigError(f"Training is not available: the Ray cluster does not answer. {SET_ADDRESS}")


class _RunActor:
    """Lives in a Ray worker process for as long as the server keeps it: trains the tasks it
    is given one at a time (its datasets stay loaded), and keeps each run's events for
    `poll` until the server has them (a poll from `since` says it holds every earlier one, so
    those are dropped: a long run's probes would otherwise pile up in the actor). A run is
    known by its ticket, one per start: a threaded actor runs calls in no fixed order, and a
    resumed run keeps its job id, so the `forget` of its earlier start must not reach the new
    one."""

    def __init__(self) -> None:
        self.events: dict[str, list[Event]] = {}
        self.dropped: dict[str, int] = {}  # per ticket: events the server already has
        self.switches: dict[str, StopSwitch] = {}
        self.lock = threading.Lock()

    def ready(self) -> bool:
        return True

    def train(self, task: Task, ticket: str) -> None:
        task.initial_state = unpack_state(task.initial_state)
        with self.lock:
            events = self.events.setdefault(ticket, [])
            switch = self.switches.setdefault(ticket, StopSwitch())  # a stop may come first

        def emit(event: Event) -> None:
            with self.lock:
                events.append(switch.ended(event) if isinstance(event, Ended) else event)

        train_task(task, emit, switch)

    def poll(self, ticket: str, since: int) -> list[Event]:
        with self.lock:
            events = self.events.get(ticket, [])
            held = since - self.dropped.get(ticket, 0)
            del events[: max(held, 0)]  # in place: train()'s emit appends to this list
            self.dropped[ticket] = max(since, self.dropped.get(ticket, 0))
            return list(events)

    def forget(self, ticket: str) -> None:
        with self.lock:
            self.events.pop(ticket, None)
            self.dropped.pop(ticket, None)
            self.switches.pop(ticket, None)

    def stop(self, ticket: str) -> None:
        with self.lock:
            switch = self.switches.setdefault(ticket, StopSwitch())
        switch.request()


class RayBackend:
    """Runs in long-lived actors; `slots` fixed when given, else what the cluster holds."""

    name = "ray"

    def __init__(self, slots: int | None = None, address: str | None = None):
        ray = _ray()
        if not ray.is_initialized():
            address = address or os.environ.get(ADDRESS_ENV) or "auto"
            check_cluster(address)
            ray.init(address=address, namespace=NAMESPACE, include_dashboard=False)
        self.cpus = float(os.environ.get(CPUS_ENV) or 1)
        self._fixed = slots
        self._lock = threading.Lock()
        self._idle: dict[bool, list[Any]] = {False: [], True: []}  # by "has a GPU"
        self._busy: dict[str, Any] = {}
        self._closed = threading.Event()
        self._on_capacity: Callable[[], None] | None = None
        self._capacity = slots or self._count()
        self._actor_class = ray.remote(_RunActor)
        if slots is None:
            threading.Thread(target=self._watch, name="torchlab-ray-nodes", daemon=True).start()

    @property
    def slots(self) -> int:
        return self._capacity

    def watch_capacity(self, callback: Callable[[], None]) -> None:
        """Call `callback` when the cluster's slots change (a node joined or left)."""
        self._on_capacity = callback

    def _count(self) -> int:
        """Runs the cluster's live nodes hold at once: per node, its CPUs over a run's."""
        nodes = [n for n in _ray().nodes() if n.get("Alive")]
        return sum(int(n.get("Resources", {}).get("CPU", 0) // self.cpus) for n in nodes)

    def _watch(self) -> None:
        while not self._closed.wait(CAPACITY_S):
            try:
                count = self._count()
            except Exception:  # Ray shut down under us (the server is going)
                return
            if count != self._capacity:
                log.info("the Ray cluster now holds %d runs at once (was %d)", count, self.slots)
                self._capacity = count
                if self._on_capacity is not None:
                    self._on_capacity()

    def start(self, task: Task, on_event: OnEvent) -> None:
        cuda = str(task.config.get("device", "cpu")).startswith("cuda")
        if cuda:  # Ray shows the actor its GPU as the only one
            task = Task(**{**task.__dict__, "config": {**task.config, "device": "cuda:0"}})
        actor = self._take(cuda)
        packed = Task(**{**task.__dict__, "initial_state": pack_state(task.initial_state)})
        ticket = f"{task.job_id}:{uuid.uuid4().hex}"
        with self._lock:
            self._busy[task.job_id] = (actor, ticket)
        done = actor.train.remote(packed, ticket)
        threading.Thread(
            target=self._follow,
            args=(task.job_id, actor, ticket, done, on_event, cuda),
            name=f"torchlab-ray-{task.job_id}",
            daemon=True,
        ).start()

    def _take(self, cuda: bool):
        """An idle actor of the kind that still answers, else a new one."""
        ray = _ray()
        while True:
            with self._lock:
                actor = self._idle[cuda].pop() if self._idle[cuda] else None
            if actor is None:
                break
            try:
                ray.get(actor.ready.remote(), timeout=PROBE_S)
                return actor
            except Exception:  # its node left while it waited: a fresh one instead
                with contextlib.suppress(Exception):
                    ray.kill(actor)
        env = {
            **WORKER_ENV,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        for name in ("TORCHLAB_DATA", "TORCHLAB_RUNS"):
            if os.environ.get(name):
                env[name] = os.environ[name]
        return self._actor_class.options(
            num_cpus=self.cpus,
            num_gpus=1 if cuda else 0,
            max_concurrency=4,  # train in one thread, answer poll and stop in the others
            runtime_env={"env_vars": env},
        ).remote()

    def _follow(self, job_id: str, actor, ticket: str, done, on_event, cuda: bool) -> None:
        ray = _ray()
        seen, ended = 0, False
        try:
            while not ended:
                finished, _ = ray.wait([done], timeout=POLL_S)
                if finished:
                    ray.get(done)  # raises if the actor died
                for event in ray.get(actor.poll.remote(ticket, seen)):
                    seen += 1
                    ended = ended or isinstance(event, Ended)
                    if ended:
                        self._release(job_id, actor, ticket, cuda)  # before the next run starts
                    on_event(event)
                if finished and not ended:
                    raise RuntimeError("the run ended without saying how")
        except Exception as exc:  # the actor or its node is gone
            log.warning("run %s lost its Ray actor: %s", job_id, exc)
            with self._lock:
                self._busy.pop(job_id, None)
            with contextlib.suppress(Exception):
                ray.kill(actor)
            if not ended:
                on_event(
                    died(
                        "The training process died on the Ray cluster: its node left the "
                        f"cluster, or its process was ended ({type(exc).__name__})."
                    )
                )

    def _release(self, job_id: str, actor, ticket: str, cuda: bool) -> None:
        """The run ended: the actor forgets it and waits for the next one (kept only while
        the cluster has room for it: idle actors hold their CPUs)."""
        actor.forget.remote(ticket)
        with self._lock:
            self._busy.pop(job_id, None)
            kept = len(self._busy) + sum(len(a) for a in self._idle.values())
            if not self._closed.is_set() and kept < max(self.slots, 1):
                self._idle[cuda].append(actor)
                return
        with contextlib.suppress(Exception):
            _ray().kill(actor)

    def stop(self, job_id: str) -> None:
        with self._lock:
            busy = self._busy.get(job_id)
        if busy is not None:
            actor, ticket = busy
            actor.stop.remote(ticket)

    def shutdown(self, timeout: float = 10.0) -> None:
        self._closed.set()
        with self._lock:
            actors = [a for a, _ in self._busy.values()]
            actors += [a for kind in self._idle.values() for a in kind]
            self._busy.clear()
            self._idle = {False: [], True: []}
        for actor in actors:
            with contextlib.suppress(Exception):
                _ray().kill(actor)
