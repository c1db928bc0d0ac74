"""Training throughput of the default preset in the real app, watched by a real browser.

training_throughput.py measures the runner alone; this runs the real thing: `streamlit run
app.py` and Debian's Chromium (Playwright) on the same machine, as a learner runs Torchlab
locally. Each round measures, in alternating order:
- classic: the classic loop as its own program (classic_loop.py), the baseline;
- watched: a run started from the Train page, which stays open until the run ends (its live
  chart fetches the app's live route every 1.5 s and draws in the browser; the page reruns
  no script until the run ends);
- unwatched: the same run started from the page, whose tab is then closed.
Each run's rate comes from the metrics it saved: images over seconds, from its first batch to
its last. Figures are medians over the rounds. For the watched runs it also prints Chromium's
and the server's CPU per second of training (from /proc; the run trains in a worker process,
not counted), the script runs the page made while the run trained (0 is the goal), and the
chart's route fetches, and per live update Chromium's CPU, its page's main thread and the
inside panel's drawing script. Then, `--stops` times: Stop clicked in the chart to "stopped" shown,
against one batch of that run. Headline (last line): watched over classic.

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/live_throughput.py
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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


RUNNING = ".tl-run[data-status=running]"


def run_in_chart(page, job_id: str, status: str):
    """The run `job_id` in the Train page's own live chart, once it has `status` (the runs
    list's chart may show earlier runs with the same status)."""
    return page.locator(f"{CHART_ROOT} .tl-run[data-run='{job_id}'][data-status={status}]")


CHART_ROOT = ".st-key-training_live_chart .tl-root"


def start_run(browser, url: str, images: int):
    """Open the Train page, ask for `images` training images, start; returns (page context,
    page, job id) once the chart shows the run as running."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(SCRIPT_RUNS_JS)  # counts the script runs the server finishes
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    page.goto(f"{url}/training")
    page.wait_for_selector(READY)
    page.get_by_role("spinbutton", name="Training images (0 = all 60,000)").fill(str(images))
    page.get_by_role("spinbutton", name="Test images (0 = all 10,000)").fill("1000")
    page.keyboard.press("Tab")
    page.wait_for_selector(READY)
    page.get_by_role("button", name="Start training").click()
    page.locator(f"{CHART_ROOT} {RUNNING}").wait_for()
    page.wait_for_selector(READY)
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
    assert status in ("done", "stopped"), f"run {run_dir.name} ended as {status!r}"
    train, _ = read_metrics(run_dir / METRICS_FILE)
    return train[-1]["samples"] / train[-1]["seconds"]


def chromium_cpu() -> float:
    """CPU seconds used so far by the Chromium processes this script launched."""
    return sum(cpu_seconds(p) for p in descendants(os.getpid(), "chromium"))


MAIN_THREAD = {
    "main": "TaskDuration",
    "script": "ScriptDuration",
    "layout": "LayoutDuration",
    "style": "RecalcStyleDuration",
}  # Chromium's names for its page's main thread


def main_thread_seconds(cdp) -> dict[str, float]:
    """The page's renderer main thread so far: seconds of tasks (all of them: script, style,
    layout, paint, Streamlit's own), and of script, layout and style alone."""
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {key: metrics[name] for key, name in MAIN_THREAD.items()}


def polls(page) -> int:
    return int(page.locator(CHART_ROOT).get_attribute("data-polls") or 0)


def update_costs(page, cdp) -> dict:
    """What the live chart has cost so far: Chromium's CPU seconds, the page's main thread's,
    the route fetches, the inside panel's draws and their script's milliseconds."""
    root = page.locator(CHART_ROOT)
    return {
        "chromium": chromium_cpu(),
        **main_thread_seconds(cdp),
        "polls": polls(page),
        "draws": int(root.get_attribute("data-panel-draws") or 0),
        "panel": float(root.get_attribute("data-panel-ms") or 0),
    }


def live_rate(browser, server, url: str, runs: Path, images: int, watched: bool, cpu: dict):
    context, page, job_id = start_run(browser, url, images)
    if watched:
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        server0, chromium0 = cpu_seconds(server.pid), chromium_cpu()
        reruns0, t0 = page.evaluate("window.__scriptRunsFinished"), time.monotonic()
        first = last = update_costs(page, cdp)
        # the updates while it trains, not the end's rerun
        while run_in_chart(page, job_id, "running").count():
            last = update_costs(page, cdp)
            time.sleep(0.5)
        run_in_chart(page, job_id, "done").wait_for()
        seconds = time.monotonic() - t0
        updates = max(last["polls"] - first["polls"], 1)
        for key in ("chromium", *MAIN_THREAD):
            cpu.setdefault(f"{key}_ms", []).append(1000 * (last[key] - first[key]) / updates)
        draws = max(last["draws"] - first["draws"], 1)
        cpu.setdefault("panel_ms", []).append((last["panel"] - first["panel"]) / draws)
        # the run's end reruns the page once, by design: that one is not a poll
        cpu.setdefault("reruns", []).append(page.evaluate("window.__scriptRunsFinished") - reruns0)
        cpu.setdefault("fetches", []).append(polls(page))
        cpu.setdefault("server", []).append((cpu_seconds(server.pid) - server0) / seconds)
        cpu.setdefault("chromium", []).append((chromium_cpu() - chromium0) / seconds)
    context.close()  # unwatched: the tab goes at once and the run trains on in the worker
    return saved_rate(runs / job_id)


def stop_latency(browser, url: str, runs: Path, images: int) -> tuple[float, float]:
    """(seconds from a Stop click in the chart to "stopped" on the page, one batch's seconds)."""
    context, page, job_id = start_run(browser, url, images)
    time.sleep(5)  # well into the run, its rate steady
    t0 = time.monotonic()
    page.locator(".tl-stop").click()
    run_in_chart(page, job_id, "stopped").wait_for()
    took = time.monotonic() - t0
    context.close()
    rate = saved_rate(runs / job_id)
    return took, BATCH_SIZE / rate


def print_cpu(cpu: dict) -> None:
    def each(key: str, scale: float = 1.0, form: str = "{:.3f}") -> str:
        return "/".join(form.format(scale * v) for v in cpu[key])

    print(
        f"watched: Chromium CPU {each('chromium')} s per second of training, server CPU "
        f"{each('server')} s per second; script runs while it trained (the end's rerun "
        f"included) {each('reruns', form='{:.0f}')}; live-route fetches "
        f"{each('fetches', form='{:.0f}')} (each watched run)"
    )
    print(
        f"per live update: Chromium CPU {each('chromium_ms', form='{:.1f}')} ms (every process); "
        f"the page's main thread {each('main_ms', form='{:.1f}')} ms, of which script "
        f"{each('script_ms', form='{:.1f}')}, layout {each('layout_ms', form='{:.1f}')}, style "
        f"{each('style_ms', form='{:.1f}')} ms; the inside panel's own drawing script "
        f"{each('panel_ms', form='{:.1f}')} ms per probe drawn"
    )


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=1200, help="batches per measurement")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--stops", type=int, default=3, help="Stop clicks to time")
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
        with open(Path(work) / "streamlit.log", "w") as log:
            server, url = start_app(env, log)
            try:
                stops = [stop_latency(browser, url, runs, images) for _ in range(args.stops)]
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
    if stops:
        print(
            "Stop clicked to 'stopped' shown: "
            + ", ".join(f"{took:.2f} s (one batch {batch * 1000:.0f} ms)" for took, batch in stops)
        )
    print(f"watched / unwatched: {med['watched'] / med['unwatched']:.3f}")
    print(
        f"Chromium CPU per second of a watched run: {statistics.median(cpu['chromium']):.3f} s "
        f"(median); server {statistics.median(cpu['server']):.3f} s"
    )
    print(
        f"the inside panel per live update: {statistics.median(cpu['panel_ms']):.1f} ms of "
        f"script (median), within {statistics.median(cpu['main_ms']):.1f} ms of the page's main "
        f"thread and {statistics.median(cpu['chromium_ms']):.1f} ms of Chromium CPU for the "
        "whole update (chart and panel)"
    )
    print(
        "throughput ratio, app run watched in Chromium / classic DataLoader loop: "
        f"{med['watched'] / med['classic']:.2f}x"
    )


if __name__ == "__main__":
    main()
