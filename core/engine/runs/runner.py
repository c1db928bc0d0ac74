"""The server-wide queue of training runs; a backend trains them, never the web server.

A `Runner` is a server-wide registry (the UI holds one with st.cache_resource). Each job has a
status (queued -> running -> done / stopped / failed) and a history fed by its events. At most
`backend.slots` runs train at once (read each time: a Ray cluster's change with its nodes);
the rest wait in a queue. Pages never touch a job: they ask for a `Run`, a copy taken under
its lock. The backend (core.engine.runs.backends) decides where a run trains: worker processes
of this machine by default, or a Ray cluster.

Nothing is lost when the server goes: a run's folder is written when the run is accepted (a
queued run is a folder that says "queued" and names its owner), and `shutdown` (SIGTERM,
Ctrl+C) stops what trains as Stop would, at a checkpoint of the very batch, leaving what waits
on disk for the next server to list and start again (`resume`) when its owner asks.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from pathlib import Path

from core.engine.learning.config import RunConfig
from core.engine.runs.admission import (
    check_trainable,
    default_name,
    new_run_id,
    queued_record,
    write_queued_jobs,
)
from core.engine.runs.backends import (  # noqa: F401 (default_max_concurrent: its old home)
    Backend,
    Unreachable,
    default_max_concurrent,
    make_backend,
)
from core.engine.runs.checkpoint import INITIAL_FILE, load_weights
from core.engine.runs.events import Ended, Event, Handed, Logged, died, stopped_before_start
from core.engine.runs.folder import (
    load_run,
    remove_queued,
    sweep_temp_files,
    write_status,
)
from core.engine.runs.folder import runs_root as default_runs_root
from core.engine.runs.job import Job
from core.engine.runs.record import Run, RunStatus
from core.engine.runs.resume import has_resume_point
from core.engine.runs.worker import Task
from core.errors import ConfigError, LimitError, TorchlabError

log = logging.getLogger(__name__)

MAX_QUEUED = 20  # jobs waiting for a free slot, server-wide
# Submissions (a run, a fair race, an experiment set: one click each) one owner may have
# waiting at once, so one tab cannot take every place in a class's queue.
MAX_WAITING_PER_OWNER = 3
MAX_KEPT_JOBS = 200  # finished jobs kept in memory; older ones stay on disk only
SHUTDOWN_WAIT_S = 30.0  # how long a shutdown waits for the running runs' stop checkpoints
RECONNECT_S = 30.0  # an unreachable backend is tried again at most this often


class Runner:
    """The server-wide registry of training jobs, with a cap on how many train at once."""

    def __init__(
        self,
        runs_root: Path | None = None,
        max_concurrent: int | None = None,
        backend: Backend | None = None,
    ):
        self.runs_root = Path(runs_root) if runs_root else default_runs_root()
        swept = sweep_temp_files(self.runs_root, before=time.time())
        if swept:
            log.info("removed %d temporary files that writes cut short had left", swept)
        self._lock = threading.Lock()  # guards _jobs, _queue and _running
        self._jobs: dict[str, Job] = {}
        self._queue: deque[str] = deque()
        self._running: set[str] = set()
        self._closed = False
        self._slots = max_concurrent
        self._tried = time.monotonic()
        self.backend = backend or self._connect()
        self._follow_capacity()

    @property
    def max_concurrent(self) -> int:
        """Runs that may train at once: the backend's slots now."""
        return self.backend.slots

    @property
    def unavailable(self) -> str | None:
        """Why no run can train here now (no Ray cluster answers, say: what to set), or None.
        An unreachable backend is tried again at most every RECONNECT_S seconds."""
        if not isinstance(self.backend, Unreachable):
            return None
        if time.monotonic() - self._tried >= RECONNECT_S:
            self._tried = time.monotonic()
            backend = self._connect()
            if not isinstance(backend, Unreachable):
                self.backend = backend
                self._follow_capacity()
                self._start_queued()
                return None
            self.backend = backend
        return self.backend.problem

    def _connect(self) -> Backend:
        try:
            backend = make_backend(self._slots)
        except TorchlabError as exc:  # said once, fast, with what to set
            log.warning("no backend to train runs on: %s", exc)
            return Unreachable(str(exc))
        return backend

    def _follow_capacity(self) -> None:
        watch = getattr(self.backend, "watch_capacity", None)
        if watch is not None:
            watch(self._start_queued)  # a node joined: queued runs may start now

    # ---- the public interface -------------------------------------------------------------

    def submit(
        self,
        config: RunConfig,
        *,
        owner: str = "",
        group: str = "",
        name: str = "",
        initial_state: dict | None = None,
        run_dir: Path | None = None,
        stop_after: int | None = None,
        probes: bool = True,
        probe_image: list[list[float]] | None = None,
    ) -> str:
        """Check the config, then start the job now or queue it; returns the job id.

        The run is saved in `run_dir` if given (the headless trainer's --out), else in a new
        folder named after the job id under the runs root. With `stop_after`, it stops after
        that many batches as if Stop were pressed, and can be resumed. `probes` records the
        network's inside on probe steps (off: the same numbers, no probes.json); the probes
        show `probe_image` (the learner's drawing) rather than the first test digit.
        """
        if stop_after is not None and stop_after < 1:
            raise ConfigError(f"Stop after {stop_after} steps: it must be at least 1.")
        job = self._prepare(config, owner, group, name, initial_state, run_dir)
        job.stop_after = stop_after
        job.probing, job.probe_image = probes, probe_image
        return self._enqueue([job])[0]

    def submit_set(
        self,
        configs: list[RunConfig],
        *,
        owner: str = "",
        group: str = "",
        initial_state: dict | None = None,
    ) -> list[str]:
        """Queue runs that belong together (an experiment, a fair race): all or nothing.

        Every config is checked and the queue must have room for all of them before any is
        queued, so a refusal leaves nothing behind and a half set never trains.
        """
        jobs = [self._prepare(c, owner, group, "", initial_state, None) for c in configs]
        return self._enqueue(jobs)

    def resume(self, run_dir: Path | str, *, owner: str = "") -> str:
        """Continue a stopped, failed or interrupted run from its last finished epoch.

        The run stays the tab's that started it (a teacher's resume does not take it away);
        `owner` becomes its owner only when it had none (a run started from the CLI).

        The run keeps its id and folder; it trains the epochs it had left, exactly as it
        would have without the interruption.
        """
        run_dir = Path(run_dir)
        with self._lock:
            old = self._jobs.get(run_dir.name)
        if old is not None and not old.done_event.is_set():
            raise TorchlabError("This run is still queued or training: there is nothing to resume.")
        record = load_run(run_dir)
        if record.status == RunStatus.DONE:
            raise TorchlabError("This run finished every epoch: there is nothing to resume.")
        if record.status in (RunStatus.RUNNING, RunStatus.QUEUED):
            raise TorchlabError("Another process is training this run right now.")
        fresh = record.never_started and not has_resume_point(run_dir)  # it waited, never ran
        if not fresh and not has_resume_point(run_dir):
            raise TorchlabError(
                "This run ended before its first epoch did, so it has no checkpoint to "
                "resume from: start it again instead."
            )
        check_trainable(record.config)
        initial = None
        if fresh and (run_dir / INITIAL_FILE).is_file():
            initial = load_weights(run_dir / INITIAL_FILE)  # a queued fair race's shared start
        job = Job(
            run_dir.name,
            record.config,
            record.owner or owner,  # the run stays its tab's; one without a tab is the resumer's
            record.group,
            initial,
            run_dir,
            resume=not fresh,
        )
        return self._enqueue([job], on_disk=True)[0]

    def snapshot(self, job_id: str) -> Run:
        return self._job(job_id).snapshot()

    def jobs(self, owner: str | None = None, group: str | None = None) -> list[Run]:
        """Snapshots of the jobs in memory, oldest first, optionally of one owner / group."""
        with self._lock:
            jobs = list(self._jobs.values())
        return [
            j.snapshot()
            for j in jobs
            if (owner is None or j.owner == owner) and (group is None or j.group == group)
        ]

    def stop(self, job_id: str) -> None:
        """A running job stops before its next batch; a queued one leaves the queue."""
        job = self._job(job_id)
        job.stop_event.set()
        with self._lock:
            dequeued = job_id in self._queue
            if dequeued:
                self._queue.remove(job_id)
        if dequeued:
            if not job.resume and not job.on_disk:
                remove_queued(job.run_dir)  # it never trained: nothing of it to keep
            job.apply(Logged("stopped before it started"))
            job.apply(stopped_before_start())
            job.done_event.set()
        else:
            self.backend.stop(job_id)

    def wait(self, job_id: str, timeout: float | None = None) -> Run:
        """Block until the job finishes (or `timeout` seconds pass); for tests and the CLI."""
        self._job(job_id).done_event.wait(timeout)
        return self.snapshot(job_id)

    def shutdown(self, timeout: float = SHUTDOWN_WAIT_S) -> None:
        """The server is going (SIGTERM, Ctrl+C): running jobs stop as Stop would, each at a
        checkpoint of the batch it stopped on (status stopped, by the server); queued ones stay
        on disk as queued, for the next server to list. Then the backend is given back."""
        with self._lock:
            self._closed = True
            running = [self._jobs[i] for i in self._running]
            waiting = [self._jobs[i] for i in self._queue]
            self._queue.clear()
        for job in running:
            job.stopped_by = "server"
            job.stop_event.set()
            self.backend.stop(job.id)
        for job in waiting:  # its folder says queued, held by no server: the next one lists it
            with contextlib.suppress(OSError):
                write_status(job.run_dir, queued_record(job, process=""))
            job.apply(Logged("left waiting in the queue: the server shut down"))
            job.done_event.set()
        deadline = time.monotonic() + timeout
        for job in running:
            job.done_event.wait(max(0.0, deadline - time.monotonic()))
        self.backend.shutdown(max(1.0, deadline - time.monotonic()))

    # ---- extras for the pages --------------------------------------------------------------

    def forget(self, job_id: str) -> None:
        """Drop a finished job from memory (after its folder was deleted, say)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and job.done_event.is_set():
                del self._jobs[job_id]

    def has(self, job_id: str) -> bool:
        with self._lock:
            return job_id in self._jobs

    def queue_position(self, job_id: str) -> int | None:
        """1 for the next job to start; None if the job is not queued."""
        with self._lock:
            return self._queue.index(job_id) + 1 if job_id in self._queue else None

    # ---- internals -------------------------------------------------------------------------

    def _job(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise TorchlabError(
                f"There is no run {job_id!r} on this server (it may have ended "
                "before a restart; look in the saved runs)."
            )
        return job

    def _prepare(self, config, owner, group, name, initial_state, run_dir) -> Job:
        if name or not config.name:
            config = config.with_changes(name=name or default_name(config))
        check_trainable(config)
        job_id = new_run_id(config)
        folder = Path(run_dir) if run_dir else self.runs_root / job_id
        return Job(job_id, config, owner, group, initial_state, folder)

    def _enqueue(self, jobs: list[Job], on_disk: bool = False) -> list[str]:
        """Queue `jobs` all or nothing, each written to its folder as queued first (unless
        `on_disk`: a resumed run's folder is there already)."""
        if self.unavailable:
            raise ConfigError(self.unavailable)
        with self._lock:
            if self._closed:
                raise TorchlabError("The runner is shutting down; start the run again later.")
            free = max(0, self.max_concurrent - len(self._running))
            would_wait = len(jobs) > free
            waiting = len(self._queue) + max(0, len(jobs) - free)
            owner = jobs[0].owner
            mine = {self._jobs[i].submission for i in self._queue if self._jobs[i].owner == owner}
            if owner and would_wait and len(mine) >= MAX_WAITING_PER_OWNER:
                raise LimitError(
                    f"Your tab already has {len(mine)} submissions waiting in the queue, the "
                    f"most one learner may have (so everyone sharing this server gets a turn): "
                    "wait for one to start, or stop one."
                )
            if waiting > MAX_QUEUED:
                raise LimitError(
                    f"{MAX_QUEUED} runs are already waiting; stop one or wait for the queue."
                    if len(jobs) == 1
                    else f"The queue has room for {max(0, MAX_QUEUED - len(self._queue))} more "
                    f"runs, not {len(jobs)}; stop some or wait for the queue."
                )
            if not on_disk:
                write_queued_jobs(jobs)
            for job in jobs:
                job.submission = jobs[0].id
                job.on_disk = on_disk
                self._jobs[job.id] = job
                self._queue.append(job.id)
            self._prune()
        self._start_queued()
        return [job.id for job in jobs]

    def _prune(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.done_event.is_set()]
        for key in finished[: max(0, len(self._jobs) - MAX_KEPT_JOBS)]:
            del self._jobs[key]

    def _start_queued(self) -> None:
        started = []
        with self._lock:
            while self._queue and len(self._running) < self.max_concurrent and not self._closed:
                job = self._jobs[self._queue.popleft()]
                self._running.add(job.id)
                started.append(job)
        for job in started:
            job.apply(Handed())  # running from now on: its process loads the data
            task = Task(
                job_id=job.id,
                config=job.config.to_dict(),
                run_dir=str(job.run_dir),
                owner=job.owner,
                group=job.group,
                initial_state=job.initial_state,
                resume=job.resume,
                stop_after=job.stop_after,
                probes=job.probing,
                probe_image=job.probe_image,
            )
            job.initial_state = None  # the task carries the weights now; free the copy
            try:
                self.backend.start(task, lambda event, job=job: self._event(job, event))
            except Exception as exc:  # no worker could be had: the run fails, the server lives
                log.exception("could not start run %s", job.id)
                self._event(job, died(f"The run could not start: {type(exc).__name__}."))
                continue
            if job.stop_event.is_set():  # a stop that came while it was being handed over
                self.backend.stop(job.id)

    def _event(self, job: Job, event: Event) -> None:
        job.apply(event)
        if isinstance(event, Ended):
            with self._lock:
                self._running.discard(job.id)
            self._start_queued()
            job.done_event.set()  # last: whoever waits sees the next run already started
