from __future__ import annotations

import pytest
import torch

from core.engine.checkpoint import load_model, read_json, save_model, write_json_atomic
from core.engine.models import build_model, classic_spec
from core.errors import CheckpointError


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
