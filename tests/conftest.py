"""Shared test set-up: the data root points at the real datasets developers and CI have."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"

# Idle OpenMP threads otherwise spin and steal the other core from the live test server.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

if not os.environ.get("TORCHLAB_DATA") and SHARED_DATA.exists():
    os.environ["TORCHLAB_DATA"] = str(SHARED_DATA)


@pytest.fixture
def runs_dir(tmp_path, monkeypatch) -> Path:
    """A private runs folder, so tests never touch ./runs."""
    path = tmp_path / "runs"
    monkeypatch.setenv("TORCHLAB_RUNS", str(path))
    return path
