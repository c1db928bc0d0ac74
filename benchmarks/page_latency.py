"""How quickly every page draws, in real Chromium: its first render and one widget change.

Starts `streamlit run app.py` and, round after round (each round visits the pages in another
order, so a change in the machine's load hits all alike), opens each page in a fresh browser
context (a new session, as a new visitor gets) and times it from `goto` until every element
is drawn; then flips the sidebar's "Show the code" toggle, a widget every page has, and times
the rerun it causes. Figures are medians; the Home page's, measured in the same rounds, is
the baseline. Goals on a 2-core machine: first render <= 1 s, widget change <= 0.5 s.

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/page_latency.py
    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/page_latency.py --pages Optimizers
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from benchmarks.bench import machine_line
from tests.e2e.helpers import rerun, track_script_runs, wait_for_app
from tests.e2e.server import CHROMIUM_ARGS, chromium_path, served

PAGES = {  # title -> URL path
    "Home": "",
    "Tensors": "tensors",
    "Activations": "activations",
    "Layers": "layers",
    "Loss & backprop": "backprop",
    "Train": "training",
    "Optimizers": "optimizers",
    "Experiments": "experiments",
    "Canvas": "canvas",
}
FIRST_RENDER_GOAL_S, CHANGE_GOAL_S = 1.0, 0.5
WAIT_MS = 120_000


def visit(browser, url: str, path: str) -> tuple[float, float]:
    """(first render, widget change) of one page, in seconds."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    track_script_runs(context)
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(f"{url}/{path}")
        wait_for_app(page, WAIT_MS)
        first = time.perf_counter() - start
        toggle = page.locator("[data-testid='stSidebar']").get_by_text("Show the code")
        start = time.perf_counter()
        with rerun(page, WAIT_MS):
            toggle.click()
        return first, time.perf_counter() - start
    finally:
        context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--pages",
        nargs="+",
        choices=list(PAGES),
        metavar="TITLE",
        help="only these pages (Home, the baseline, is always measured too)",
    )
    args = parser.parse_args()
    print(f"{machine_line()}; {args.rounds} rounds; server and Chromium on this machine")
    names = [n for n in PAGES if not args.pages or n == "Home" or n in args.pages]
    firsts: dict[str, list[float]] = {n: [] for n in names}
    changes: dict[str, list[float]] = {n: [] for n in names}
    with tempfile.TemporaryDirectory() as work, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        env = {"TORCHLAB_RUNS": str(Path(work) / "runs")}
        with served(Path(work), env) as url:
            for name in names:  # warm-up: each page's imports and caches, as a server has
                visit(browser, url, PAGES[name])
            for r in range(args.rounds):
                for name in names[r % len(names) :] + names[: r % len(names)]:
                    first, change = visit(browser, url, PAGES[name])
                    firsts[name].append(first)
                    changes[name].append(change)
        browser.close()
    home_first = statistics.median(firsts["Home"])
    home_change = statistics.median(changes["Home"])
    print(f"{'page':<16} {'first render':>13} {'vs Home':>8} {'widget change':>14} {'vs Home':>8}")
    for name in names:
        f, c = statistics.median(firsts[name]), statistics.median(changes[name])
        print(
            f"{name:<16} {f:>11.2f} s {f / home_first:>7.1f}x {c:>12.2f} s {c / home_change:>7.1f}x"
        )
    slow_first = max(names, key=lambda n: statistics.median(firsts[n]))
    slow_change = max(names, key=lambda n: statistics.median(changes[n]))
    f, c = statistics.median(firsts[slow_first]), statistics.median(changes[slow_change])
    print(
        f"slowest first render {slow_first} {f:.2f} s (goal <= {FIRST_RENDER_GOAL_S:g} s, "
        f"{'met' if f <= FIRST_RENDER_GOAL_S else 'NOT met'}); slowest widget change "
        f"{slow_change} {c:.2f} s (goal <= {CHANGE_GOAL_S:g} s, "
        f"{'met' if c <= CHANGE_GOAL_S else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
