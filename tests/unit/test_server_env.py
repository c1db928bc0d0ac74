"""The web server's torch threads sleep when idle, like every training worker's (issue 27:
spinning ones made the estimates, timed in the server, 2-4 times too long)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from core.engine.runs.backends import WORKER_ENV

ROOT = Path(__file__).resolve().parents[2]


def test_the_server_sets_the_workers_openmp_wait_policy_before_torch_starts():
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    script = (
        "import ui, os, sys; print(os.environ.get('OMP_WAIT_POLICY')); "
        "print('torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [WORKER_ENV["OMP_WAIT_POLICY"], "False"]  # set, and before torch is loaded
    app = (ROOT / "app.py").read_text()  # the frame imports ui before anything of core
    assert "from core" not in app.split("from ui.", 1)[0]
