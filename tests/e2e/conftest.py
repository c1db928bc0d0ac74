"""A live `streamlit run app.py` per test module, driven by Debian's Chromium via Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import ACT_MS, browser_window
from tests.e2e.server import CHROMIUM_ARGS, chromium_path, served


@pytest.fixture(scope="module")
def server_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("server")


@pytest.fixture(scope="module")
def runs_root(server_dir) -> Path:
    """The runs folder of this module's app: a test may put saved runs there."""
    return Path(os.environ.get("TORCHLAB_RUNS", str(server_dir / "runs")))


@pytest.fixture(scope="module")
def app_url(server_dir, runs_root) -> Iterator[str]:
    """Start the app on a free localhost port for this module, with private runs folders."""
    work = server_dir
    env = {
        "TORCHLAB_RUNS": str(runs_root),
        "TORCHLAB_HANDWRITING": os.environ.get("TORCHLAB_HANDWRITING", str(work / "handwriting")),
    }
    with served(work, env) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if not executable:
        pytest.fail("Debian's chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    # Actions and assertions wait alike: on the shared 2-core machine a page's first Plotly
    # chart can take longer than expect's default 5 s to draw after its run has ended.
    expect.set_options(timeout=ACT_MS)
    with browser_window(browser) as pg:
        yield pg
