"""Runs on disk: read back after a restart, interrupted runs, metrics CSV, delete."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.engine.learning.config import RunConfig
from core.engine.runs.files import write_json_atomic
from core.engine.runs.folder import (
    STATUS_FILE,
    TRAINING_LOCK,
    StatusRecord,
    delete_run,
    hold_training_lock,
    list_runs,
    load_run,
    metrics_csv,
    process_token,
    read_metrics,
    runs_root,
    scan_runs,
    unreadable_notice,
    write_config,
    write_metrics,
    write_status,
)
from core.engine.runs.record import RunStatus
from core.errors import CheckpointError
from tests import corrupt_runs as corrupt

TRAIN = [
    {"step": 10, "epoch": 1, "samples": 320, "seconds": 0.5, "loss": 1.25, "lr": 0.5},
    {"step": 20, "epoch": 1, "samples": 640, "seconds": 1.0, "loss": 0.75, "lr": 0.5},
]
TEST = [{"epoch": 1, "step": 20, "samples": 640, "seconds": 1.5, "loss": 0.5, "accuracy": 0.875}]


def make_run(root, name, status, **extra):
    folder = root / name
    write_config(folder, RunConfig(optimizer="Adam", lr=1e-3, name=name))
    write_metrics(folder, TRAIN, TEST)
    write_status(folder, StatusRecord(RunStatus(status), started=1.0, **extra))
    return folder


def test_runs_root_follows_the_environment(runs_dir):
    assert runs_root() == runs_dir


def test_metrics_round_trip_through_the_csv(tmp_path):
    write_metrics(tmp_path, TRAIN, TEST)
    assert read_metrics(tmp_path / "metrics.csv") == (TRAIN, TEST)
    text = metrics_csv(TRAIN, TEST)
    assert text.splitlines()[0] == "kind,epoch,step,samples,seconds,loss,lr,accuracy"
    assert text.count("\ntrain,") == 2 and text.count("\ntest,") == 1
    assert not list(tmp_path.glob(".*")), "temporary files were left behind"


def test_a_run_reads_back_with_its_config_and_metrics(runs_dir):
    folder = make_run(runs_dir, "a", "done", owner="me", init_hash="abc")
    record = load_run(folder)
    assert record.config == RunConfig(optimizer="Adam", lr=1e-3, name="a")
    assert (record.train, record.test) == (TRAIN, TEST)
    assert record.status == "done" and record.owner == "me" and record.init_hash == "abc"
    assert record.final_accuracy == 0.875 and not record.has_model
    assert [m["kind"] for m in record.metrics] == ["train", "train", "test"]


def test_a_run_whose_process_died_shows_as_interrupted(runs_dir):
    dead = make_run(runs_dir, "dead", "running", process="999999999:1")
    reused = make_run(runs_dir, "reused", "running", process=f"{process_token().split(':')[0]}:0")
    alive = make_run(runs_dir, "alive", "running", process=process_token())
    assert load_run(dead).status == "interrupted"
    assert load_run(reused).status == "interrupted"  # same pid, another process
    assert load_run(alive).status == "running"


def test_list_runs_is_newest_first_and_skips_broken_folders(runs_dir):
    make_run(runs_dir, "old", "done")
    newer = make_run(runs_dir, "new", "stopped")
    write_status(newer, StatusRecord(RunStatus.STOPPED, started=2.0))
    (runs_dir / "broken").mkdir()
    (runs_dir / "broken" / "config.json").write_text("{not json")
    (runs_dir / "stray-file.txt").write_text("x")
    assert [r.id for r in list_runs(runs_dir)] == ["new", "old"]
    assert list_runs(runs_dir / "missing") == []


def test_a_missing_status_file_reads_as_interrupted(runs_dir):
    folder = make_run(runs_dir, "x", "done")
    (folder / STATUS_FILE).unlink()
    assert load_run(folder).status == "interrupted"


def test_delete_run(runs_dir, tmp_path):
    done = make_run(runs_dir, "done", "done")
    delete_run(done)
    assert not done.exists()
    running = make_run(runs_dir, "running", "running", process=process_token())
    with pytest.raises(CheckpointError, match="still training"):
        delete_run(running)
    other = tmp_path / "not-a-run"
    other.mkdir()
    with pytest.raises(CheckpointError, match="not a run folder"):
        delete_run(other)
    assert other.exists()


def test_a_config_that_no_longer_validates_is_a_clear_error(runs_dir):
    folder = make_run(runs_dir, "bad", "done")
    write_json_atomic(folder / "config.json", {"optimizer": "LBFGS"})
    with pytest.raises(CheckpointError, match="not a valid run config"):
        load_run(folder)


def test_a_run_whose_process_exited_unreaped_reads_interrupted(tmp_path):
    """A worker whose server was killed exits, and may stay a zombie until something reaps
    it: it still answers kill(pid, 0), but it trains nothing any more."""
    import subprocess
    import sys
    import time

    from core.engine.runs.folder import _process_alive, process_token

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    token = process_token(child.pid)
    deadline = time.monotonic() + 30
    while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert not _process_alive(token)  # exited, not yet reaped
    child.wait()
    assert _process_alive(process_token())  # this test's own process is alive


def test_damaged_run_folders_are_listed_with_their_problems_or_named_as_unreadable(runs_dir):
    corrupt.make_corrupt_runs(runs_dir)
    records, unreadable = scan_runs(runs_dir)
    by_id = {r.id: r for r in records}
    assert sorted(u.id for u in unreadable) == sorted(corrupt.UNREADABLE)
    assert "config.json" in unreadable[0].reason
    assert corrupt.EMPTY not in by_id
    good = by_id[corrupt.GOOD]
    assert good.problems == () and (good.train, good.test) == (corrupt.TRAIN, corrupt.TEST)
    for name, word in corrupt.DAMAGED.items():
        run = by_id[name]
        assert any(word in p for p in run.problems), (name, run.problems)
        for row in run.test:  # what the pages read from every row is there
            assert {"accuracy", "loss", "epoch", "step"} <= row.keys()
        for row in run.train:
            assert {"loss", "step", "samples", "seconds"} <= row.keys()
    assert by_id["20260101-000001-cut-last-row"].test == []  # the cut row, not the curve
    assert len(by_id["20260101-000001-cut-last-row"].train) == len(corrupt.TRAIN)
    assert len(by_id["20260101-000002-cut-train-row"].train) == len(corrupt.TRAIN) - 1
    assert by_id["20260101-000005-started-yesterday"].started_at is None
    assert by_id[corrupt.MISSING_FILES].status == "interrupted"
    assert "left out" in unreadable_notice(unreadable)


def test_an_unreadable_runs_folder_is_a_clear_error(runs_dir, monkeypatch):
    runs_dir.mkdir()

    def refuse(self):  # what a folder without read permission does (root reads anything)
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "iterdir", refuse)
    with pytest.raises(CheckpointError, match="cannot be read: Permission denied"):
        scan_runs(runs_dir)


def test_running_on_disk_is_believed_only_while_the_training_lock_is_held(runs_dir):
    # A worker outlives its runs: its process is alive, yet a folder that turned read-only
    # mid-run still says "running". The lock the trainer holds is what counts.
    folder = make_run(runs_dir, "r", "running", process=process_token())
    held = hold_training_lock(folder)
    assert load_run(folder).status == "running"
    held.close()  # the run ended (or its process died): the lock goes with it
    assert load_run(folder).status == "interrupted"
    (folder / TRAINING_LOCK).unlink()  # an older folder without a lock: the process decides
    assert load_run(folder).status == "running"


def test_a_run_folder_that_cannot_be_deleted_says_so_in_words(runs_dir, monkeypatch):
    import core.engine.runs.folder

    folder = make_run(runs_dir, "kept", "done")

    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(core.engine.runs.folder.shutil, "rmtree", refuse)
    with pytest.raises(CheckpointError, match="kept could not be deleted: the run folder is not"):
        delete_run(folder)
