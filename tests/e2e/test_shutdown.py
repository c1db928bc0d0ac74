"""SIGTERM with a queue: the server stops the running run at its batch (stopped, resumable
from there) and leaves the two queued runs on disk; the next server's Train page lists all
three as the tab's, with what became of each, and Resume goes on from the stopping step."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlparse

import pytest
import torch
from playwright.sync_api import expect

from core.engine.runs.folder import STATUS_FILE, load_run
from core.engine.runs.record import RunStatus
from core.engine.runs.resume import RESUME_FILE
from tests.e2e.helpers import click, open_app, small_run_form
from tests.e2e.server import start_app

pytestmark = pytest.mark.e2e

WAIT_MS = 120_000  # the machine's two cores are shared: be patient, never sleep


def statuses(runs) -> dict[str, dict]:
    return {
        p.parent.name: json.loads(p.read_text())
        for p in runs.glob(f"*/{STATUS_FILE}")
        if p.read_text().strip()
    }


def test_sigterm_keeps_the_running_and_the_queued_runs_and_the_next_server_lists_them(
    page, tmp_path
):
    runs = tmp_path / "runs"
    env = {"TORCHLAB_RUNS": str(runs), "TORCHLAB_HANDWRITING": str(tmp_path / "handwriting")}
    with open(tmp_path / "first.log", "w") as log:
        first, url = start_app(env, log)
        try:
            small_run_form(page, url, epochs=3)
            for _ in range(3):  # one trains, two wait in the queue
                click(page, page.get_by_role("button", name="Start training"))
            owner = parse_qs(urlparse(page.url).query)["session"][0]
            deadline = time.monotonic() + WAIT_MS / 1000
            while len(statuses(runs)) < 3 or not list(runs.glob(f"*/{RESUME_FILE}")):
                assert time.monotonic() < deadline, "no 3 folders and a checkpoint"
                time.sleep(0.2)
        finally:
            first.terminate()  # SIGTERM, as a service manager or Ctrl+C stops a server
            first.wait(90)
    on_disk = statuses(runs)
    assert sorted(s["status"] for s in on_disk.values()) == ["queued", "queued", "stopped"]
    assert {s["owner"] for s in on_disk.values()} == {owner}
    (stopped,) = [name for name, s in on_disk.items() if s["status"] == "stopped"]
    assert on_disk[stopped]["stopped_by"] == "server"
    record = load_run(runs / stopped)
    point = torch.load(runs / stopped / RESUME_FILE, weights_only=True)
    steps_per_epoch = record.total_steps // 3
    assert record.test[-1]["step"] == record.step  # tested at the stop, in epoch 2
    assert point["epoch"] * steps_per_epoch + point["batch"] == record.step  # where it stopped

    with open(tmp_path / "second.log", "w") as log:
        second, url = start_app(env, log)
        try:
            open_app(page, url, f"training?session={owner}")  # the same tab, after the restart
            expect(page.get_by_text("From before the server restarted")).to_be_visible(
                timeout=WAIT_MS
            )
            expect(page.get_by_text("3 run(s) can continue")).to_be_visible()
            expect(page.get_by_text("No runs from this tab yet")).to_have_count(0)
            table = page.get_by_test_id("stDataFrame").last
            expect(table).to_contain_text("stopped by a server shutdown at epoch")
            expect(table).to_contain_text("waiting in the queue when the server stopped")
            picker = page.get_by_label("Run to resume", exact=True)
            picker.focus()
            picker.press_sequentially("stopped by a server")
            page.get_by_role("option").first.click()
            click(page, page.get_by_role("button", name="Resume"))
            # the chart says so while it trains and after (its log's first line, "resumed at
            # step N", scrolls away within a second of a quick run)
            expect(page.get_by_text("Resumed from its checkpoint, in epoch 2").first).to_be_visible(
                timeout=WAIT_MS
            )
        finally:
            second.terminate()
            second.wait(90)
    assert load_run(runs / stopped).status in (RunStatus.STOPPED, RunStatus.DONE)
