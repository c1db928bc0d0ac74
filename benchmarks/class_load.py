"""A class at once: 30 learners submit a short run each while 5 real browser pages watch them.

The app is the real one, `app.py` served by Streamlit, and the five pages are Debian's
Chromium (Playwright) on its Train page, each watching a learner's run by its
`?training_job=` link (read-only, as a teacher or a classmate would open it). A page can
only watch a run of its own server's Runner, so the 30 learners must submit to that Runner:
this script starts the server itself (`--serve`, Streamlit's bootstrap running app.py in this
file's process, as `streamlit run app.py` does: app.py's `app`, an st.App with the live route),
and in that process a thread plays
the learners through the runner API, on the very Runner the pages read (`ui.runner.
get_runner()`, the one `st.cache_resource` holds). Nothing of the app is changed or bypassed:
the learners skip only the form (what costs a learner's own browser, not the class's server),
and a learner whom the queue refuses tries again a second later, as a person would. The
driver (this script without `--serve`) and the server talk through files in a work folder.

A live update's time is what a page's chart waits for it: from its request to the app's live
route (/torchlab/live, every 1.5 s while the run trains) to the whole JSON read, timed in the
page around `fetch`. The baseline is the same five
pages watching one learner's long run, earlier in the same run of this script, from SETTLE_S
after the last of them loaded; then the class: the pages watch the 30 learners' runs, the
newest first (they wait longest in the queue), each moving on to a run not yet finished when
its run ends, until every run has ended.

Prints runs lost (not done), runs still queued at the end, the queue's refusals, the p95
time of a live update with 30 learners against one, and the total wall time. Headline last.

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/class_load.py [--backend ray]

With `--backend ray` the server starts a local Ray (`ray.init(num_cpus=2)`) before its Runner,
and the runs train in Ray actors.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from anywhere

from benchmarks.bench import machine_line  # noqa: E402
from core.engine.learning.presets import run_preset  # noqa: E402
from core.engine.runs.folder import STATUS_FILE  # noqa: E402

LEARNERS = 30
PAGES = 5
RUN = run_preset("classic").with_changes(train_subset=320, test_subset=200, log_interval=2)
BASELINE_S = 60.0  # how long the pages watch one learner's run, once all five are loaded
SETTLE_S = 15.0  # and how long they watch it before that: loading five pages is not polling
WAIT_S = 900.0
ENDED = ("done", "stopped", "failed", "interrupted")
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"

# Times each live update a page's chart waits for: from its request to the live route to the
# whole JSON read.
POLL_TIMES_JS = """
(() => {
    if (window.__pollMs !== undefined) return;
    window.__pollMs = [];
    const nativeFetch = window.fetch.bind(window);
    window.fetch = async (...args) => {
        const t0 = performance.now();
        const response = await nativeFetch(...args);
        if (String(args[0]).includes("/torchlab/live")) {
            await response.clone().text();
            window.__pollMs.push(performance.now() - t0);
        }
        return response;
    };
})();
"""


# ---- the server side: app.py served by Streamlit, the learners in a thread beside it ----


def _write(path: Path, data: object) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    tmp.replace(path)


def _wait_file(path: Path, timeout: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path.name} did not appear")
        time.sleep(0.1)


def learners(work: Path) -> None:
    """The class, on the server's own Runner: a warm-up run, one learner's long run (the
    baseline) until the driver has measured it, then 30 learners at once."""
    from core.errors import LimitError
    from ui.runner import get_runner

    _wait_file(work / "go")  # the driver has loaded a page: Streamlit's runtime is up
    runner = get_runner()
    runner.wait(runner.submit(RUN, owner="warm-up"))  # start the worker, load the data once
    # long enough to outlast the baseline (it is stopped then): all 60,000 images, 5 epochs
    alone = runner.submit(RUN.with_changes(train_subset=60_000, epochs=5), owner="learner-alone")
    while not runner.snapshot(alone).train:
        time.sleep(0.05)
    _write(work / "baseline.json", alone)
    _wait_file(work / "class.go")
    runner.stop(alone)
    runner.wait(alone)
    ids: dict[str, str] = {}
    refusals: list[str] = []
    lock = threading.Lock()

    def learner(owner: str) -> None:
        while True:
            try:
                job_id = runner.submit(RUN, owner=owner)
                break
            except LimitError:
                refusals.append(owner)
                time.sleep(1.0)
        with lock:
            ids[owner] = job_id
            _write(work / "class.json", list(ids.values()))

    threads = [threading.Thread(target=learner, args=(f"learner-{i}",)) for i in range(LEARNERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    finals = [runner.wait(i, timeout=WAIT_S) for i in ids.values()]
    statuses = [s.status.value for s in finals]
    _write(work / "class_done.json", {"statuses": statuses, "refusals": len(refusals)})


def serve(work: Path, port: int, backend: str) -> None:
    if backend == "ray":
        import ray

        ray.init(num_cpus=2, include_dashboard=False)
    from streamlit.web import bootstrap

    threading.Thread(target=learners, args=(work,), daemon=True).start()
    flags = {"server_port": port, "server_address": "127.0.0.1", "server_headless": True}
    bootstrap.load_config_options(flag_options=flags)
    bootstrap.run_asgi_app(str(ROOT / "app.py"), "app:app", [], flags)  # app.py's st.App


# ---- the driver: five Chromium pages, the figures ----


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def _status(runs: Path, job_id: str) -> str:
    try:
        return json.loads((runs / job_id / STATUS_FILE).read_text())["status"]
    except (OSError, ValueError, KeyError):
        return ""


class Pages:
    """PAGES Chromium pages on the Train page, each watching one run by its link."""

    def __init__(self, browser, url: str) -> None:
        self.url = url
        self.pages = []
        for _ in range(PAGES):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.add_init_script(POLL_TIMES_JS)
            page = context.new_page()
            page.set_default_timeout(WAIT_S * 1000)
            self.pages.append(page)
        self.watching: list[str | None] = [None] * PAGES
        self.times: list[float] = []

    def collect(self, i: int) -> None:
        """Take page i's poll times (before it loads another document)."""
        self.times += self.pages[i].evaluate("window.__pollMs.splice(0)")

    def watch(self, i: int, job_id: str | None) -> None:
        self.collect(i)
        self.watching[i] = job_id
        target = f"{self.url}/training" + (f"?training_job={job_id}" if job_id else "")
        self.pages[i].goto(target)
        self.pages[i].wait_for_selector(READY)  # loaded: its polls start now

    def take(self) -> list[float]:
        for i in range(PAGES):
            self.collect(i)
        times, self.times = self.times, []
        return [t / 1000 for t in times]


def drive(browser, url: str, work: Path, runs: Path) -> tuple[list, list, dict]:
    pages = Pages(browser, url)
    pages.watch(0, None)
    _write(work / "go", True)
    _wait_file(work / "baseline.json")
    alone = json.loads((work / "baseline.json").read_text())
    for i in range(PAGES):
        pages.watch(i, alone)
    time.sleep(SETTLE_S)
    pages.take()  # updates while the other pages were still loading: not one learner's cost
    time.sleep(BASELINE_S)
    base = pages.take()
    for i in range(PAGES):
        pages.watch(i, None)  # a page watching a stopped run polls no more
    _write(work / "class.go", True)
    seen: set[str] = set()
    while not (work / "class_done.json").exists():
        listed = work / "class.json"
        ids = json.loads(listed.read_text()) if listed.exists() else []
        for i in range(PAGES):
            current = pages.watching[i]
            if current is not None and _status(runs, current) not in ENDED:
                continue
            fresh = [j for j in ids if j not in seen and _status(runs, j) not in ENDED]
            if fresh:  # the newest: it waits longest in the queue, so the page polls longest
                seen.add(fresh[-1])
                pages.watch(i, fresh[-1])
        time.sleep(0.5)
    return base, pages.take(), json.loads((work / "class_done.json").read_text())


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["local", "ray"], default="local")
    parser.add_argument("--serve", nargs=2, metavar=("WORK", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]), args.backend)
        return
    from playwright.sync_api import sync_playwright

    from tests.e2e.server import CHROMIUM_ARGS, _wait_healthy, chromium_path, stop_app

    print(machine_line(), f"backend {args.backend}; {PAGES} Chromium pages on this machine")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as root, sync_playwright() as pw:
        work, runs = Path(root), Path(root) / "runs"
        env = {
            **os.environ,
            "TORCHLAB_RUNS": str(runs),
            "TORCHLAB_HANDWRITING": str(work / "hw"),
            "TORCHLAB_BACKEND": args.backend,
        }
        port = _free_port()
        command = [sys.executable, __file__, "--backend", args.backend, "--serve", root, str(port)]
        with open(work / "streamlit.log", "w") as log:
            server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
            browser = pw.chromium.launch(
                executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
            )
            try:
                url = f"http://127.0.0.1:{port}"
                _wait_healthy(url, server)
                base, times, done = drive(browser, url, work, runs)
            finally:
                browser.close()
                stop_app(server)
    wall = time.perf_counter() - t0
    statuses = done["statuses"]
    lost = sum(s != "done" for s in statuses)
    stuck = sum(s == "queued" for s in statuses)
    if not base or not times:
        raise SystemExit("no live update was timed: did the runs end before the pages loaded?")
    ratio = p95(times) / p95(base)
    print(f"runs submitted {len(statuses)} of {LEARNERS}, lost {lost}, still queued {stuck}")
    print(f"queue refusals (retried a second later): {done['refusals']}")
    print(
        f"live update p95 (what a chart waits): {1000 * p95(base):.0f} ms with one learner "
        f"({len(base)} updates), {1000 * p95(times):.0f} ms with {LEARNERS} ({len(times)}); "
        f"medians {1000 * statistics.median(base):.0f} / {1000 * statistics.median(times):.0f} ms"
    )
    print(f"total wall time {wall:.0f} s")
    print(f"runs lost: {lost}; p95 live-update ratio {ratio:.2f}x (goal <= 2x); wall {wall:.0f} s")


if __name__ == "__main__":
    main()
