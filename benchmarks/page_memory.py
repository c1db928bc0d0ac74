"""Server memory after classes of visitors run the Tensors page's heaviest chain and leave.

Starts `streamlit run app.py`; then, in bursts, five Chromium tabs (one after another: one
Playwright driver) open the Tensors page, type the heaviest chain its limits allow
(`x.repeat(1000, 833)` and eleven `.flip(0)`: twelve 40 MB copies), wait for it to be drawn,
and close. The server's resident
memory (VmRSS of its process; training workers are other processes) is read before, at the
peak of each burst, and after it settles. The headline (last line) is what the server still
holds over its start after the last burst, against a margin.

    TORCHLAB_DATA=../shared/data .venv/bin/python benchmarks/page_memory.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from tests.e2e.server import CHROMIUM_ARGS, chromium_path, start_app, stop_app

HEAVY = "x.repeat(1000, 833)" + ".flip(0)" * 11
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"
MARGIN_MB = 150  # what the server may keep after the visitors leave (caches, allocator)
WAIT_MS = 180_000


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def visit(browser, url: str) -> str:
    """One tab: the heaviest chain, drawn; returns what the page said (refused or drawn)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{url}/tensors")
        page.wait_for_selector(READY)
        box = page.get_by_label("PyTorch expression on x", exact=True)
        box.fill(HEAVY)
        box.press("Enter")
        page.get_by_text("x.repeat(1000, 833).flip(0)").first.wait_for()
        page.wait_for_selector(READY)
        return "refused" if page.get_by_text("The server is busy").count() else "drawn"
    finally:
        context.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bursts", type=int, default=3)
    parser.add_argument("--tabs", type=int, default=5)
    parser.add_argument("--settle", type=float, default=20.0, help="seconds after a burst")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work, sync_playwright() as pw:
        env = {"TORCHLAB_RUNS": str(Path(work) / "runs")}
        with open(Path(work) / "streamlit.log", "w") as log:
            server, url = start_app(env, log)
            try:
                browser = pw.chromium.launch(
                    executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
                )
                visit(browser, url)  # the first visit imports and warms what every later one uses
                time.sleep(args.settle)
                start = rss_mb(server.pid)
                print(f"server RSS at start (after one warm-up visit): {start:,.0f} MB")
                for burst in range(args.bursts):
                    peak = [start]
                    stop = threading.Event()

                    def sample(peak=peak, stop=stop):
                        while not stop.is_set():
                            peak[0] = max(peak[0], rss_mb(server.pid))
                            time.sleep(0.05)

                    sampler = threading.Thread(target=sample)
                    sampler.start()
                    outcomes = [visit(browser, url) for _ in range(args.tabs)]
                    stop.set()
                    sampler.join()
                    time.sleep(args.settle)
                    after = rss_mb(server.pid)
                    print(
                        f"burst {burst + 1}: {args.tabs} tabs ({outcomes.count('drawn')} drawn, "
                        f"{outcomes.count('refused')} refused), peak {peak[0]:,.0f} MB, "
                        f"{args.settle:.0f} s after they closed {after:,.0f} MB"
                    )
                browser.close()
            finally:
                stop_app(server)
    held = after - start
    verdict = "within" if held <= MARGIN_MB else "OVER"
    print(
        f"server RSS held after {args.bursts} bursts of {args.tabs} heavy tabs: "
        f"{held:+,.0f} MB over its start ({verdict} the {MARGIN_MB} MB margin)"
    )


if __name__ == "__main__":
    main()
