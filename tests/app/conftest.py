"""AppTest runs the pages in this process: the server-wide Runner they share (ui/runner.py,
one per runs folder) is shut down after each test, so its worker goes back to the pool
instead of staying alive with the next test's new runs folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _runner_shut_down():
    yield
    from ui.runner import _runner

    _runner.clear()  # on_release shuts each cached Runner down
