"""Models and run files on disk: round trips, clear errors, and writes that are atomic."""

from __future__ import annotations

import builtins
import errno
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
from safetensors.torch import save as safetensors_bytes

import core.engine.runs.checkpoint
from core.engine.learning.config import RunConfig
from core.engine.learning.models import ConvSpec, ModelSpec, build_model, classic_spec
from core.engine.runs.checkpoint import load_model, save_model
from core.engine.runs.files import read_json, write_json_atomic
from core.engine.runs.folder import STATUS_FILE, StatusRecord, load_run, write_config, write_status
from core.engine.runs.record import RunStatus
from core.errors import CheckpointError

TINY = ModelSpec(convs=[ConvSpec(4, 3, 2, 0, "max")], hidden=[16])


def disk_full() -> OSError:
    return OSError(errno.ENOSPC, "No space left on device (simulated by the test)")


class HalfWrittenFile:
    """A real file that takes the first half of the first write, then fails as a full disk."""

    def __init__(self, file, log: list[int]):
        self._file = file
        self._log = log

    def write(self, data):
        self._file.write(data[: len(data) // 2])
        self._file.flush()  # the half really is on disk when the error comes
        self._log.append(len(data) // 2)
        raise disk_full()

    def __getattr__(self, name):
        return getattr(self._file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._file.close()


@contextmanager
def disk_fills_up(folder: Path) -> Iterator[list[int]]:
    """While active, every file opened for writing in `folder` (or by descriptor) fails half-way
    through its first write. Yields the byte counts that did reach the disk."""
    written: list[int] = []
    real_open = io.open

    def open_that_fails(file, mode="r", *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        inside = isinstance(file, int) or Path(file).resolve().is_relative_to(folder.resolve())
        return HalfWrittenFile(f, written) if inside and set(mode) & set("wax+") else f

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(io, "open", open_that_fails)  # Path.open and Path.write_text use io.open
        mp.setattr(builtins, "open", open_that_fails)
        yield written


def test_save_and_load_round_trip(tmp_path):
    torch.manual_seed(0)
    model = build_model(classic_spec()).eval()
    save_model(tmp_path, model, classic_spec(), {"dataset": "MNIST"})
    loaded, spec, meta = load_model(tmp_path)
    assert spec == classic_spec() and meta == {"dataset": "MNIST"}
    X = torch.randn(3, 1, 28, 28)
    torch.testing.assert_close(loaded(X), model(X))
    assert not list(tmp_path.glob(".*")), "temporary files were left behind"


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "config.json"
    write_json_atomic(path, {"a": 1})
    with pytest.raises(TypeError):
        write_json_atomic(path, {"a": object()})
    assert read_json(path) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]


def test_corrupt_weights_are_a_clear_error(tmp_path):
    save_model(tmp_path, build_model(classic_spec()), classic_spec())
    (tmp_path / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        load_model(tmp_path)


def test_missing_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_model(tmp_path / "none")


def test_a_status_write_that_fails_half_way_keeps_the_old_status(tmp_path):
    run_dir = tmp_path / "run"
    write_config(run_dir, RunConfig(optimizer="Adam", lr=1e-3))
    write_status(run_dir, StatusRecord(RunStatus.STOPPED, started=1.0))
    before = sorted(p.name for p in run_dir.iterdir())
    old = read_json(run_dir / STATUS_FILE)
    new = StatusRecord(RunStatus.DONE, started=1.0, finished=2.0, error="x" * 999)
    with disk_fills_up(run_dir) as written, pytest.raises(OSError, match="No space left"):
        write_status(run_dir, new)
    assert written and written[0] > 0  # the failure came during the write, not before it
    assert read_json(run_dir / STATUS_FILE) == old
    assert old["status"] == "stopped" and old["started"] == 1.0
    assert load_run(run_dir).status == "stopped"
    assert sorted(p.name for p in run_dir.iterdir()) == before, "a temporary file was left"


def test_a_json_write_that_fails_half_way_keeps_the_old_file(tmp_path):
    path = tmp_path / "config.json"
    write_json_atomic(path, {"a": 1})
    with disk_fills_up(tmp_path) as written, pytest.raises(OSError, match="No space left"):
        write_json_atomic(path, {"a": 2, "b": list(range(500))})
    assert written and written[0] > 0
    assert read_json(path) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]


def test_a_weights_write_that_fails_half_way_keeps_the_old_model(tmp_path, monkeypatch):
    torch.manual_seed(0)
    old = build_model(TINY).eval()
    save_model(tmp_path, old, TINY, {"accuracy": 0.5})
    before = sorted(p.name for p in tmp_path.iterdir())
    written = []

    def save_half_then_fail(tensors, filename, metadata=None):
        data = safetensors_bytes(tensors, metadata)
        with open(filename, "wb") as f:  # wherever the code asked for the weights to go
            f.write(data[: len(data) // 2])
        written.append(len(data) // 2)
        raise disk_full()

    monkeypatch.setattr(core.engine.runs.checkpoint, "save_file", save_half_then_fail)
    torch.manual_seed(1)
    with pytest.raises(OSError, match="No space left"):
        save_model(tmp_path, build_model(TINY), TINY, {"accuracy": 0.9})
    monkeypatch.undo()
    assert written and written[0] > 0
    loaded, spec, meta = load_model(tmp_path)  # the old model, whole
    assert spec == TINY and meta == {"accuracy": 0.5}
    for key, value in old.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[key], value, rtol=0, atol=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "a temporary file was left"
