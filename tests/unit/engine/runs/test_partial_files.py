"""No half-written file stays in a run folder: a worker whose server goes while it writes
removes what it was writing before it exits, a server's start sweeps what a killed writer
left, and a folder that turns read-only mid-run reads failed on disk as on the page."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path

import pytest

from core.engine.runs import files, folder
from core.engine.runs.folder import TRAINING_LOCK, hold_training_lock, load_run
from core.engine.runs.record import RunStatus
from core.engine.runs.resume import RESUME_FILE
from core.engine.runs.runner import Runner
from core.engine.runs.worker import Task
from tests.inline_backend import InlineBackend
from tests.run_settings import QUICK
from tests.unit.engine.runs.gate import Gate

ROOT = Path(__file__).resolve().parents[4]
TIMEOUT = 180

# A worker whose checkpoint write stalls once the file is all there, before it is put in
# place: the moment a server that goes catches it in.
SLOW_WORKER = """
import sys, time, pathlib, torch
from multiprocessing.connection import Connection
real, marker = torch.save, pathlib.Path(sys.argv[2])
def stalled(obj, f, *args, **kwargs):
    real(obj, f, *args, **kwargs)
    marker.write_text(str(f))
    time.sleep(120)
torch.save = stalled
from core.engine.runs.backends.local import worker_main
worker_main(Connection(int(sys.argv[1])))
"""


def is_temp(path: Path) -> bool:
    """Named like the temporary file of an atomic write: `.<name>.<random>.tmp`."""
    return path.name.startswith(".") and path.name.endswith(".tmp")


def temp_files(run_dir: Path) -> list[str]:
    return [p.name for p in run_dir.iterdir() if is_temp(p)]


@pytest.mark.slow
@pytest.mark.needs_data
def test_a_worker_whose_server_goes_mid_write_leaves_no_temp_file(tmp_path):
    run_dir, marker = tmp_path / "run", tmp_path / "writing"
    server, child = socket.socketpair()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    worker = subprocess.Popen(
        [sys.executable, "-c", SLOW_WORKER, str(child.fileno()), str(marker)],
        pass_fds=[child.fileno()],
        env=env,
        cwd=ROOT,
    )
    child.close()
    conn = Connection(server.detach())
    try:
        task = Task(job_id="run", config=QUICK.to_dict(), run_dir=str(run_dir))
        conn.send(("train", task))
        deadline = time.monotonic() + TIMEOUT
        while not marker.exists():  # epoch 1's checkpoint is being written
            assert worker.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        writing = Path(marker.read_text())
        assert writing.exists() and is_temp(writing)
    finally:
        conn.close()  # the server is gone
    assert worker.wait(TIMEOUT) == 0
    assert temp_files(run_dir) == [] and not (run_dir / RESUME_FILE).exists()
    assert load_run(run_dir).status == RunStatus.INTERRUPTED  # its lock went with it


def test_a_server_start_sweeps_stale_temp_files_from_idle_run_folders(runs_dir):
    long_ago = time.time() - 3600
    idle, busy = runs_dir / "idle-run", runs_dir / "busy-run"
    for run_dir in (idle, busy):
        run_dir.mkdir(parents=True)
        for name in (".resume.pt.x1.tmp", ".model.safetensors.x2.tmp", "notes.tmp", ".hidden"):
            (run_dir / name).write_bytes(b"cut")
            os.utime(run_dir / name, (long_ago, long_ago))
    (idle / ".metrics.csv.x3.tmp").write_bytes(b"a write of another server, under way")
    os.utime(idle / ".metrics.csv.x3.tmp", (time.time() + 60, time.time() + 60))
    lock = hold_training_lock(busy)  # another server's worker trains this one right now
    try:
        Runner(runs_root=runs_dir, backend=InlineBackend()).shutdown()
        assert sorted(temp_files(idle)) == [".metrics.csv.x3.tmp"]
        assert sorted(p.name for p in idle.iterdir() if not is_temp(p)) == [
            ".hidden",
            "notes.tmp",
        ]
        assert len(temp_files(busy)) == 2
    finally:
        lock.close()
    assert (busy / TRAINING_LOCK).exists()


@pytest.mark.needs_data
def test_a_folder_that_turns_read_only_mid_run_is_failed_on_disk_as_on_the_page(
    inline_runner, monkeypatch
):
    gate = Gate(monkeypatch)
    job_id = inline_runner.submit(QUICK)
    assert gate.entered.wait(TIMEOUT)  # training its first batch: config and status written
    run_dir = inline_runner.snapshot(job_id).run_dir
    real_mkstemp = files.tempfile.mkstemp
    real_writable = getattr(folder, "folder_writable", lambda d: True)

    def read_only(*args, dir=None, **kwargs):  # what a chmod does to a non-root server
        if Path(dir) == run_dir:
            raise PermissionError(errno.EACCES, "Permission denied", str(dir))
        return real_mkstemp(*args, dir=dir, **kwargs)

    monkeypatch.setattr(files.tempfile, "mkstemp", read_only)
    monkeypatch.setattr(  # and what os.access then says (root writes anywhere)
        folder, "folder_writable", lambda d: d != run_dir and real_writable(d), raising=False
    )
    gate.opened.set()
    snap = inline_runner.wait(job_id, TIMEOUT)
    assert snap.status == RunStatus.FAILED and "is not writable" in snap.error
    on_disk = load_run(run_dir)
    assert on_disk.status == RunStatus.FAILED and "turned read-only" in on_disk.error
