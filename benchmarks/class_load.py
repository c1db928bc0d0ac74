"""A class at once: 30 learners submit a short run each while 5 pages poll their runs.

Each simulated learner submits one run of a few hundred images through the Runner (a learner
whom the queue refuses tries again a second later, as a person would); five threads poll
like the Train page's live view does every POLL_S seconds (a run's snapshot, its progress
line, and both live figures built and serialised for the browser). The same pollers first
watch a single learner's run, which gives the baseline in the same process.

Prints runs lost (not done), runs still queued at the end, the queue's refusals, the p95
time of a poll with 30 learners against one, and the total wall time. Headline last.

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/class_load.py [--backend ray]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from benchmarks.bench import machine_line
from core.engine.backends import make_backend
from core.engine.config import RunConfig
from core.engine.figures import accuracy_figure, loss_figure
from core.engine.loop import run_preset
from core.engine.runner import Runner
from core.engine.runs import RunStatus
from core.errors import LimitError
from views.train.live import POLL_S, progress_text

LEARNERS = 30
PAGES = 5
RUN = run_preset("classic").with_changes(train_subset=320, test_subset=200, log_interval=2)
BASELINE_S = 15.0  # how long the pages watch one learner's run


def poll_once(runner: Runner, job_id: str) -> float:
    """What one tick of the Train page's live view costs the server, in seconds."""
    start = time.perf_counter()
    snap = runner.snapshot(job_id)
    progress_text(snap)
    series = [(snap.name, snap.train, snap.test)]
    loss_figure(series).to_json()
    accuracy_figure(series).to_json()
    return time.perf_counter() - start


def pollers(runner: Runner, ids: list[str], stop: threading.Event) -> list[float]:
    """PAGES threads, each watching one of `ids` (round robin) until `stop`; poll times."""
    times: list[float] = []
    lock = threading.Lock()

    def page(i: int) -> None:
        while not stop.is_set():
            t = poll_once(runner, ids[i % len(ids)])
            with lock:
                times.append(t)
            stop.wait(POLL_S)

    threads = [threading.Thread(target=page, args=(i,), daemon=True) for i in range(PAGES)]
    for t in threads:
        t.start()
    return times  # filled while the threads run; read after `stop` is set


def learner(runner: Runner, config: RunConfig, owner: str, out: dict, refusals: list) -> None:
    while True:
        try:
            out[owner] = runner.submit(config, owner=owner)
            return
        except LimitError:
            refusals.append(owner)
            time.sleep(1.0)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["local", "ray"], default="local")
    args = parser.parse_args()
    if args.backend == "ray":
        import ray

        ray.init(num_cpus=2, include_dashboard=False)
    print(machine_line(), f"backend {args.backend}")
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as root:
        runner = Runner(runs_root=root, backend=make_backend(1, args.backend))
        runner.wait(runner.submit(RUN))  # start the worker(s) and load the data once
        # Baseline: one learner's (long) run, watched by the five pages for BASELINE_S.
        alone = runner.submit(RUN.with_changes(epochs=50))
        while not runner.snapshot(alone).train:
            time.sleep(0.05)
        poll_once(runner, alone)  # the first figure pays for plotly's imports: not counted
        stop = threading.Event()
        base_times = pollers(runner, [alone], stop)
        time.sleep(BASELINE_S)
        stop.set()
        runner.stop(alone)
        runner.wait(alone)
        time.sleep(POLL_S)
        # The class: 30 learners at once.
        ids: dict[str, str] = {}
        refusals: list[str] = []
        learners = [
            threading.Thread(target=learner, args=(runner, RUN, f"learner-{i}", ids, refusals))
            for i in range(LEARNERS)
        ]
        for t in learners:
            t.start()
        while len(ids) < PAGES:
            time.sleep(0.05)
        stop = threading.Event()
        class_times = pollers(runner, list(ids.values())[:PAGES], stop)
        for t in learners:
            t.join()
        finals = [runner.wait(i, timeout=600) for i in ids.values()]
        stop.set()
        time.sleep(POLL_S)
        runner.shutdown()
    wall = time.perf_counter() - t0
    lost = sum(s.status != RunStatus.DONE for s in finals)
    stuck = sum(s.status == RunStatus.QUEUED for s in finals)
    ratio = p95(class_times) / p95(base_times)
    print(f"runs submitted {len(finals)} of {LEARNERS}, lost {lost}, still queued {stuck}")
    print(f"queue refusals (retried a second later): {len(refusals)}")
    print(
        f"page poll p95: {1000 * p95(base_times):.1f} ms with one learner "
        f"({len(base_times)} polls), {1000 * p95(class_times):.1f} ms with {LEARNERS} "
        f"({len(class_times)} polls)"
    )
    print(f"total wall time {wall:.0f} s")
    print(f"runs lost: {lost}; p95 poll ratio {ratio:.2f}x (goal < 3x); wall {wall:.0f} s")


if __name__ == "__main__":
    main()
