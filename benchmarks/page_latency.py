"""How quickly every page draws, in real Chromium: its first render and one widget change.

Starts `streamlit run app.py` and, round after round (each round visits the pages in another
order, so a change in the machine's load hits all alike), opens each page in a fresh browser
context (a new session, as a new visitor gets) and times it from `goto` until every element
is drawn (a new visitor: Streamlit's own scripts load first); then, in another fresh
context open on another page, waits until the frame's idle preload of the chart, code and
maths chunks has finished (a learner reads a page before going on), clicks the page in the
sidebar and times its first render there (a learner going on through the chapter), flips
the sidebar's "Show the code" toggle, a widget every page has, and times the rerun it causes.
Figures are medians; the Home page's, measured in the same rounds, is the baseline. Goals on
a 2-core machine: first render <= 1 s, widget change <= 0.5 s.

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/page_latency.py
    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/page_latency.py --pages Optimizers
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from benchmarks.bench import machine_line
from tests.e2e.helpers import rerun, sidebar_link, track_script_runs, wait_for_app
from tests.e2e.server import CHROMIUM_ARGS, chromium_path, served
from ui.preload import CHUNKS, PRELOAD_DONE

if TYPE_CHECKING:
    from playwright.sync_api import Page

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


@contextmanager
def tab(browser, url: str, path: str) -> Iterator[tuple[Page, float]]:
    """A fresh context (a new session, as a new visitor gets) open on `path`; yields its page
    and the seconds from `goto` until every element was drawn."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    track_script_runs(context)
    try:
        page = context.new_page()
        start = time.perf_counter()
        page.goto(f"{url}/{path}")
        wait_for_app(page, WAIT_MS)
        yield page, time.perf_counter() - start
    finally:
        context.close()


def visit(browser, url: str, name: str) -> tuple[float, float, float]:
    """(opened in a new tab, reached from the sidebar, widget change) of one page, in seconds.

    A new tab loads Streamlit's own scripts before any page can draw; a learner moving
    through the chapter clicks the next page in the sidebar of a tab already open."""
    with tab(browser, url, PAGES[name]) as (_, opened):
        pass
    with tab(browser, url, PAGES["Tensors" if name == "Home" else "Home"]) as (page, _):
        # A learner reads the page before going on: the frame's preload has finished.
        if CHUNKS:  # none when this Streamlit build names its chunks otherwise
            done = f"window.torchlabPreloaded === '{PRELOAD_DONE}'"
            page.wait_for_function(done, timeout=WAIT_MS)
        start = time.perf_counter()
        with rerun(page, WAIT_MS):
            sidebar_link(page, name).click()
        reached = time.perf_counter() - start
        toggle = page.locator("[data-testid='stSidebar']").get_by_text("Show the code")
        start = time.perf_counter()
        with rerun(page, WAIT_MS):
            toggle.click()
        return opened, reached, time.perf_counter() - start


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
    kinds = ("new tab", "sidebar", "change")
    times: dict[str, dict[str, list[float]]] = {n: {k: [] for k in kinds} for n in names}
    with tempfile.TemporaryDirectory() as work, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        env = {"TORCHLAB_RUNS": str(Path(work) / "runs")}
        with served(Path(work), env) as url:
            for name in names:  # warm-up: each page's imports and caches, as a server has
                visit(browser, url, name)
            for r in range(args.rounds):
                for name in names[r % len(names) :] + names[: r % len(names)]:
                    for kind, value in zip(kinds, visit(browser, url, name), strict=True):
                        times[name][kind].append(value)
        browser.close()
    med = {n: {k: statistics.median(v) for k, v in t.items()} for n, t in times.items()}
    head = ("new tab", "from the sidebar", "vs Home", "widget change")
    print(f"{'page':<16} {head[0]:>9} {head[1]:>17} {head[2]:>8} {head[3]:>14}")
    for name in names:
        m = med[name]
        print(
            f"{name:<16} {m['new tab']:>7.2f} s {m['sidebar']:>15.2f} s "
            f"{m['sidebar'] / med['Home']['sidebar']:>7.1f}x {m['change']:>12.2f} s"
        )
    slowest = {k: max(names, key=lambda n, k=k: med[n][k]) for k in kinds}
    tab = slowest["new tab"]
    print(f"slowest in a new tab (scripts load first): {tab} {med[tab]['new tab']:.2f} s")
    side, change = slowest["sidebar"], slowest["change"]
    f, c = med[side]["sidebar"], med[change]["change"]
    print(
        f"slowest first render from the sidebar {side} {f:.2f} s (goal <= "
        f"{FIRST_RENDER_GOAL_S:g} s, {'met' if f <= FIRST_RENDER_GOAL_S else 'NOT met'}); "
        f"slowest widget change {change} {c:.2f} s (goal <= {CHANGE_GOAL_S:g} s, "
        f"{'met' if c <= CHANGE_GOAL_S else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
