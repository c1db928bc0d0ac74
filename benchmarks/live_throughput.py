"""Training throughput of the default preset in the real app, watched by a real browser.

training_throughput.py imitates the Train page's polling inside one process; this runs the
real thing: `streamlit run app.py` and Debian's Chromium (Playwright) on the same machine, as a
learner runs Torchlab locally. Each round measures, in alternating order:
- classic: the classic loop as its own program (classic_loop.py), the baseline;
- watched: a run started from the Train page, which stays open until the run ends (its
  fragments rerun every few seconds on the server, the browser redraws what they drew);
- unwatched: the same run started from the page, whose tab is then closed, so the server
  trains with nobody polling.
Each run's rate comes from the metrics it saved: images over seconds, from its first batch to
its last. Figures are medians over the rounds. Polling cost = 1 - watched / unwatched; the
headline (last line) is watched over classic.

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/live_throughput.py
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from benchmarks.bench import (
    BATCH_SIZE,
    alternating_rounds,
    classic_rate,
    cpu_seconds,
    descendants,
    machine_line,
)
from core.engine.runs.folder import METRICS_FILE, STATUS_FILE, read_metrics
from tests.e2e.helpers import SCRIPT_RUNS_JS
from tests.e2e.server import CHROMIUM_ARGS, chromium_path, start_app, stop_app

WAIT_MS = 300_000
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"


def start_run(browser, url: str, images: int):
    """Open the Train page, ask for `images` training images, start; returns (page context,
    job id) once the page shows the run as running."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(SCRIPT_RUNS_JS)  # counts the script runs (polls) it is sent
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{url}/training")
    page.wait_for_selector(READY)
    page.get_by_role("spinbutton", name="Training images (0 = all 60,000)").fill(str(images))
    page.get_by_role("spinbutton", name="Test images (0 = all 10,000)").fill("1000")
    page.keyboard.press("Tab")
    page.wait_for_selector(READY)
    page.get_by_role("button", name="Start training").click()
    page.get_by_text("running · seed 0").wait_for()
    job_id = parse_qs(urlparse(page.url).query)["training_job"][0]
    return context, page, job_id


def saved_rate(run_dir: Path, timeout: float = WAIT_MS / 1000) -> float:
    """Wait for the run to end, then its training images per second from its metrics."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            status = json.loads((run_dir / STATUS_FILE).read_text())["status"]
        except (OSError, ValueError, KeyError):
            status = ""
        if status in ("done", "stopped", "failed"):
            break
        time.sleep(0.5)
    assert status == "done", f"run {run_dir.name} ended as {status!r}"
    train, _ = read_metrics(run_dir / METRICS_FILE)
    return train[-1]["samples"] / train[-1]["seconds"]


def chromium_cpu() -> float:
    """CPU seconds used so far by the Chromium processes this script launched."""
    return sum(cpu_seconds(p) for p in descendants(os.getpid(), "chromium"))


def live_rate(browser, server, url: str, runs: Path, images: int, watched: bool, cpu: dict):
    context, page, job_id = start_run(browser, url, images)
    if watched:
        # What the watching costs: the server's own CPU (the run trains in a worker process,
        # not counted) and Chromium's, per poll (a finished script run, whole or fragment).
        server0, chromium0 = cpu_seconds(server.pid), chromium_cpu()
        polls0, t0 = page.evaluate("window.__scriptRunsFinished"), time.monotonic()
        page.get_by_text("done · seed 0").wait_for()
        polls = page.evaluate("window.__scriptRunsFinished") - polls0
        cpu.setdefault("server", []).append((cpu_seconds(server.pid) - server0) / polls)
        cpu.setdefault("chromium", []).append((chromium_cpu() - chromium0) / polls)
        cpu.setdefault("poll_s", []).append((time.monotonic() - t0) / polls)
    context.close()  # unwatched: the tab goes at once and the run trains on in the server
    return saved_rate(runs / job_id)


def print_cpu(cpu: dict) -> None:
    def ms(key: str) -> str:
        return "/".join(f"{1000 * v:.0f}" for v in cpu[key])

    print(
        f"watched: server CPU per poll {ms('server')} ms, Chromium CPU per poll "
        f"{ms('chromium')} ms, one poll every {'/'.join(f'{v:.2f}' for v in cpu['poll_s'])} s "
        "(each watched run)"
    )


def gc_rounds(browser, work: str, env: dict, images: int, rounds: int) -> None:
    """The watched rate on two servers at once, one with Streamlit's full gc.collect() after
    every script run (postScriptGC, through its environment variable) and one without."""
    servers = {}
    for gc in ("true", "false"):
        runs = Path(work) / f"runs-gc-{gc}"
        log = open(Path(work) / f"streamlit-gc-{gc}.log", "w")  # noqa: SIM115 (closed below)
        server, url = start_app(
            {**env, "TORCHLAB_RUNS": str(runs), "STREAMLIT_RUNNER_POST_SCRIPT_GC": gc}, log
        )
        servers[gc] = (server, url, runs, log)
    cpu: dict = {}
    try:
        med = alternating_rounds(
            rounds,
            {
                f"gc {gc}": (lambda s=s: live_rate(browser, s[0], s[1], s[2], images, True, cpu))
                for gc, s in servers.items()
            },
        )
    finally:
        for server, _, _, log in servers.values():
            stop_app(server)
            log.close()
    print_cpu(cpu)
    print(f"postScriptGC true / false, watched rate: {med['gc true'] / med['gc false']:.3f}")


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=1200, help="batches per measurement")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--gc",
        action="store_true",
        help="instead: the watched rate with Streamlit's postScriptGC on vs off, two servers",
    )
    args = parser.parse_args()
    images = args.batches * BATCH_SIZE
    print(
        f"{machine_line()}, device cpu; {args.batches} batches of {BATCH_SIZE} per measurement, "
        f"{args.rounds} rounds; server and Chromium on this machine"
    )
    with tempfile.TemporaryDirectory() as work, sync_playwright() as pw:
        runs = Path(work) / "runs"
        env = {"TORCHLAB_RUNS": str(runs), "TORCHLAB_HANDWRITING": str(Path(work) / "hw")}
        browser = pw.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        cpu: dict = {}
        if args.gc:
            gc_rounds(browser, work, env, images, args.rounds)
            browser.close()
            return
        with open(Path(work) / "streamlit.log", "w") as log:
            server, url = start_app(env, log)
            try:
                med = alternating_rounds(
                    args.rounds,
                    {
                        "classic": lambda: classic_rate(args.batches, 0),
                        "watched": lambda: live_rate(browser, server, url, runs, images, True, cpu),
                        "unwatched": lambda: live_rate(
                            browser, server, url, runs, images, False, cpu
                        ),
                    },
                )
            finally:
                stop_app(server)
                browser.close()
    print_cpu(cpu)
    cost = 1 - med["watched"] / med["unwatched"]
    print(f"polling cost in the app (page open vs closed): {cost:.1%}")
    print(
        "throughput ratio, app run watched in Chromium / classic DataLoader loop: "
        f"{med['watched'] / med['classic']:.2f}x"
    )


if __name__ == "__main__":
    main()
