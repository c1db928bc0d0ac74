"""The default backend: each run trains in a worker process of this machine, never in the server.

Workers are fresh Python processes (`python -m core.engine.runs.backends.local`: not forked, since a
fork of a server full of threads can deadlock, and not multiprocessing's spawn, which would
run the server's main script again) and are kept: each trains one run at a time and keeps
its datasets loaded for the next one. The server talks to a worker over one socket pair:
tasks and stop requests go down, events come back and a reader thread applies them. A worker
that dies for any reason (killed, segfault, os._exit) ends its run as failed with a plain
message (`death_message`).
"""

from __future__ import annotations

import io
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

import torch

from core.engine.runs.backends import WORKER_ENV
from core.engine.runs.events import Ended, Event, OnEvent, died
from core.engine.runs.files import abandon_writes
from core.engine.runs.worker import StopSwitch, Task, train_task

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[4]  # the checkout the workers import `core` from
SIGNALS = {
    signal.SIGKILL: "killed, often out of memory",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted by a native library",
    signal.SIGTERM: "terminated",
}


def death_message(exitcode: int | None) -> str:
    """Why a worker is gone, in words: 'the training process died: signal 9 (killed, ...)'."""
    if exitcode is not None and exitcode < 0:
        number = -exitcode
        try:
            what = SIGNALS.get(signal.Signals(number)) or signal.Signals(number).name
        except ValueError:
            what = "unknown signal"
        return f"The training process died: signal {number} ({what})."
    if exitcode is None:
        return "The training process stopped answering and was ended."
    return f"The training process died: it exited with code {exitcode}."


def pack_state(state: dict[str, torch.Tensor] | None) -> bytes | None:
    """Initial weights as bytes: plain data on the pipe, read back with weights_only."""
    if state is None:
        return None
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def unpack_state(data: bytes | None) -> dict[str, torch.Tensor] | None:
    return None if data is None else torch.load(io.BytesIO(data), weights_only=True)


def _server_gone() -> None:
    """The server is gone, and with it the page that asked for this run: end now, leaving
    no half-written file behind (the run reads as interrupted, and resumes from its last
    checkpoint, which a write cut short here never replaced)."""
    abandon_writes()
    os._exit(0)


def worker_main(conn) -> None:
    """The worker process: train the tasks it is sent, one at a time, until told to exit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal is the CLI's to handle
    tasks: queue.Queue = queue.Queue()
    switches: dict[str, StopSwitch] = {}

    def read() -> None:
        while True:
            try:
                kind, payload = conn.recv()
            except (EOFError, OSError):
                _server_gone()
            if kind == "stop":
                switches.setdefault(payload, StopSwitch()).request()
            elif kind == "train":
                switches[payload.job_id] = StopSwitch()  # a resumed run reuses its old id
                tasks.put(payload)
            elif kind == "exit":
                tasks.put(None)

    threading.Thread(target=read, name="torchlab-worker-pipe", daemon=True).start()
    while (task := tasks.get()) is not None:
        task.initial_state = unpack_state(task.initial_state)
        switch = switches[task.job_id]

        def emit(event: Event, job_id: str = task.job_id, switch=switch) -> None:
            try:
                conn.send((job_id, switch.ended(event) if isinstance(event, Ended) else event))
            except OSError:  # the server is gone: leave as the reader does, the run unfinished
                _server_gone()  # (a send failing first had marked it "failed: Broken pipe")

        train_task(task, emit, switch)
        switches.pop(task.job_id, None)


class _Worker:
    """The server's handle on one worker process."""

    def __init__(self, backend: LocalBackend):
        self.backend = backend
        parent, child = socket.socketpair()
        env = {**WORKER_ENV, **os.environ}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "core.engine.runs.backends.local", str(child.fileno())],
            pass_fds=[child.fileno()],
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
        )
        child.close()  # only the worker holds that end: its death closes the pipe
        self.conn = Connection(parent.detach())
        self.send_lock = threading.Lock()
        self.job_id: str | None = None
        self.on_event: OnEvent | None = None
        threading.Thread(target=self._read, name="torchlab-worker-reader", daemon=True).start()

    def train(self, task: Task, on_event: OnEvent) -> None:
        self.job_id, self.on_event = task.job_id, on_event
        packed = Task(**{**task.__dict__, "initial_state": pack_state(task.initial_state)})
        self.send(("train", packed))

    def send(self, message: tuple) -> None:
        try:
            with self.send_lock:
                self.conn.send(message)
        except (OSError, ValueError):
            pass  # the worker is gone; the reader reports it

    def _read(self) -> None:
        while True:
            try:
                job_id, event = self.conn.recv()
            except (EOFError, OSError):
                break
            if job_id != self.job_id or self.on_event is None:
                continue
            on_event = self.on_event
            if isinstance(event, Ended):
                self.job_id = self.on_event = None
                self.backend._idle(self)  # free before the runner hands out the next run
            on_event(event)
        try:
            code = self.proc.wait(5)
        except subprocess.TimeoutExpired:  # pipe closed but the process lingers: end it
            self.proc.kill()
            code = self.proc.wait()
        on_event, self.job_id, self.on_event = self.on_event, None, None
        self.backend._dead(self)
        if on_event is not None:
            on_event(died(death_message(code)))


# Idle workers a backend gave back at shutdown, by the environment they were started with;
# the next backend of this process takes them (its datasets are already loaded), which is
# what makes a test suite of many Runners quick. They exit with this process.
_SPARE: dict[tuple, list[_Worker]] = {}
_SPARE_LOCK = threading.Lock()
ENV_KEYS = ("TORCHLAB_DATA", "CUDA_VISIBLE_DEVICES")  # what a worker reads from its environment


def _env_key() -> tuple:
    return tuple(os.environ.get(k, "") for k in ENV_KEYS)


def release_spare_workers(timeout: float = 10.0) -> int:
    """End the idle workers kept for the next backend (a test module's end); returns how many."""
    with _SPARE_LOCK:
        spares = [w for group in _SPARE.values() for w in group]
        _SPARE.clear()
    for worker in spares:
        worker.send(("exit", None))
    deadline = time.monotonic() + timeout
    for worker in spares:
        try:
            worker.proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.proc.kill()
            worker.proc.wait()
    return len(spares)


class LocalBackend:
    """Worker processes on this machine: `slots` runs train at once."""

    name = "local"

    def __init__(self, slots: int = 1):
        self.slots = slots
        self._lock = threading.Lock()
        self._idle_workers: list[_Worker] = []
        self._busy: dict[str, _Worker] = {}
        self._closed = False

    def start(self, task: Task, on_event: OnEvent) -> None:
        with self._lock:
            worker = self._idle_workers.pop() if self._idle_workers else None
        if worker is None:
            with _SPARE_LOCK:
                spare = _SPARE.get(_env_key(), [])
                worker = spare.pop() if spare else None
            if worker is not None and worker.proc.poll() is None:
                worker.backend = self
            else:
                worker = _Worker(self)
        with self._lock:
            self._busy[task.job_id] = worker
        worker.train(task, on_event)

    def stop(self, job_id: str) -> None:
        with self._lock:
            worker = self._busy.get(job_id)
        if worker is not None:
            worker.send(("stop", job_id))

    def shutdown(self, timeout: float = 10.0) -> None:
        with self._lock:
            self._closed = True
            idle, busy = list(self._idle_workers), list(self._busy.values())
            self._idle_workers.clear()
        with _SPARE_LOCK:
            _SPARE.setdefault(_env_key(), []).extend(w for w in idle if w.proc.poll() is None)
        for worker in busy:  # the Runner stopped their runs already; these did not end in time
            worker.send(("exit", None))
        deadline = time.monotonic() + timeout
        for worker in busy:
            try:
                worker.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.proc.kill()

    def _idle(self, worker: _Worker) -> None:
        with self._lock:
            self._busy = {k: w for k, w in self._busy.items() if w is not worker}
            if not self._closed:
                self._idle_workers.append(worker)
                return
        with _SPARE_LOCK:
            _SPARE.setdefault(_env_key(), []).append(worker)

    def _dead(self, worker: _Worker) -> None:
        with _SPARE_LOCK:
            for spare in _SPARE.values():
                if worker in spare:
                    spare.remove(worker)
        with self._lock:
            self._busy = {k: w for k, w in self._busy.items() if w is not worker}
            if worker in self._idle_workers:
                self._idle_workers.remove(worker)


if __name__ == "__main__":
    worker_main(Connection(int(sys.argv[1])))
