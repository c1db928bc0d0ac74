"""Models on disk: safetensors weights plus a JSON model spec, written atomically
(core.engine.runs.files)."""

from __future__ import annotations

import errno
import logging
import re
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from core.engine.learning.models import ConvNet, ModelSpec, build_model
from core.engine.runs.files import read_json, write_atomic, write_json_atomic
from core.errors import CheckpointError, TorchlabError, logged_error_id

log = logging.getLogger(__name__)

WEIGHTS_FILE = "model.safetensors"
SPEC_FILE = "model.json"
INITIAL_FILE = "initial.safetensors"  # the weights a queued run starts from (a fair race's)
_OS_ERROR = re.compile(r"os error (\d+)|code: (\d+)")  # how safetensors' Rust IO errors read


def _save_file(tensors: dict[str, torch.Tensor], tmp: str) -> None:
    """safetensors' save_file, its IO failures raised as the OSError they are (a full disk
    is errno 28 inside a SafetensorError's text), so callers say them in words."""
    try:
        save_file(tensors, tmp)
    except SafetensorError as exc:
        match = _OS_ERROR.search(str(exc))
        code = int(next(g for g in match.groups() if g)) if match else errno.EIO
        raise OSError(code, errno.errorcode.get(code, "I/O error")) from exc


def save_weights(path: Path, state_dict: dict[str, torch.Tensor]) -> None:
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in state_dict.items()}
    write_atomic(path, lambda tmp: _save_file(tensors, tmp))


def load_weights(path: Path, device: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    path = Path(path)
    try:
        return load_file(str(path), device=str(device))
    except FileNotFoundError:
        raise CheckpointError(f"{path.name} does not exist.") from None
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"{path.name} is not a readable safetensors file: it is cut short or damaged "
            f"(error id `{logged_error_id(log, exc)}` in the server log)."
        ) from exc


def save_model(folder: Path, model: torch.nn.Module, spec: ModelSpec, meta: dict | None = None):
    """Write model.safetensors and model.json (the spec plus `meta`, e.g. dataset, accuracy)."""
    folder = Path(folder)
    save_weights(folder / WEIGHTS_FILE, model.state_dict())
    write_json_atomic(folder / SPEC_FILE, {"spec": spec.to_dict(), "meta": meta or {}})


def load_model(
    folder: Path, device: str | torch.device = "cpu"
) -> tuple[ConvNet, ModelSpec, dict[str, Any]]:
    """Rebuild the model from model.json and load model.safetensors into it, in eval mode."""
    folder = Path(folder)
    info = read_json(folder / SPEC_FILE)
    meta = info.get("meta", {}) if isinstance(info, dict) else None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{SPEC_FILE} is damaged: its 'meta' is not an object.")
    try:
        spec = ModelSpec.from_dict(info["spec"])
    except TorchlabError as exc:
        raise CheckpointError(f"{SPEC_FILE} has no valid model spec: {exc}") from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CheckpointError(
            f"{SPEC_FILE} has no valid model spec (error id `{logged_error_id(log, exc)}` in "
            "the server log)."
        ) from exc
    model = build_model(spec)
    state = load_weights(folder / WEIGHTS_FILE, device)
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(
            f"The weights in {WEIGHTS_FILE} do not fit the model {SPEC_FILE} describes (error "
            f"id `{logged_error_id(log, exc)}` in the server log names the layers)."
        ) from exc
    return model.to(device).eval(), spec, meta
