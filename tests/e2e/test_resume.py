"""A server restart in the middle of a run: the run reads as interrupted, Resume continues it
from its last finished epoch, and it finishes."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from core.engine.runs.folder import load_run
from core.engine.runs.record import RunStatus
from core.engine.runs.resume import RESUME_FILE
from tests.e2e.helpers import click, open_app, small_run_form
from tests.e2e.server import start_app

pytestmark = pytest.mark.e2e

WAIT_MS = 120_000  # the machine's two cores are shared: be patient, never sleep


def wait_for_file(pattern, root, timeout: float = WAIT_MS / 1000):
    """Poll the runs folder until a file matching `pattern` appears; return its path."""
    deadline = time.monotonic() + timeout
    while not (found := sorted(root.glob(pattern))):
        assert time.monotonic() < deadline, f"no {pattern} under {root}"
        time.sleep(0.2)
    return found[0]


# A new server finds the interrupted run in the folder the first one left behind.


def test_a_run_interrupted_by_a_server_restart_resumes_and_finishes(page, tmp_path):
    runs = tmp_path / "runs"
    env = {"TORCHLAB_RUNS": str(runs), "TORCHLAB_HANDWRITING": str(tmp_path / "handwriting")}
    with open(tmp_path / "first.log", "w") as log:
        first, url = start_app(env, log)
        try:
            # the kill below lands within 0.2 s of epoch 1's checkpoint: two epochs are left
            small_run_form(page, url, epochs=3)
            click(page, page.get_by_role("button", name="Start training"))
            owner = parse_qs(urlparse(page.url).query)["session"][0]  # this tab's token
            checkpoint = wait_for_file(f"*/{RESUME_FILE}", runs)  # epoch 1 is done
        finally:
            first.kill()  # SIGKILL: no shutdown, as when the machine or the process dies
            first.wait()
    run_dir = checkpoint.parent
    deadline = time.monotonic() + 30  # the worker notices its server is gone and exits at once
    while load_run(run_dir).status != RunStatus.INTERRUPTED:
        status = load_run(run_dir).status
        assert time.monotonic() < deadline, f"the worker outlived its server (status {status})"
        time.sleep(0.1)

    with open(tmp_path / "second.log", "w") as log:
        second, url = start_app(env, log)
        try:
            open_app(page, url, f"training?session={owner}")  # the same tab's address
            expect(page.get_by_text("1 run(s) can continue")).to_be_visible(timeout=WAIT_MS)
            # the resume picker says what became of it (the table's cells are drawn on a canvas)
            picker = page.get_by_label("Run to resume", exact=True)
            expect(picker).to_have_value(re.compile("interrupted by a server restart at epoch 1"))
            click(page, page.get_by_role("button", name="Resume"))
            # the caption above the log (the log line itself may have scrolled out of it already)
            expect(page.get_by_text("Resumed from its checkpoint, in epoch 2").first).to_be_visible(
                timeout=WAIT_MS
            )
            expect(page.get_by_text("done · seed 0")).to_be_visible(timeout=WAIT_MS)
        finally:
            second.terminate()
            second.wait(30)
    record = load_run(run_dir)
    assert record.status == RunStatus.DONE and [r["epoch"] for r in record.test] == list(
        range(1, 4)
    )
    steps = [r["step"] for r in record.train]
    assert steps == sorted(set(steps))  # the resumed curve continues it, no epoch twice
