"""AppTest runs the real app.py and visits every page."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.devices import available_devices, default_device

ROOT = Path(__file__).resolve().parents[2]
# Every page script: views/<name>.py, or views/<name>/page.py for a page that is a package.
PAGES = sorted(
    p.relative_to(ROOT).as_posix()
    for p in [*(ROOT / "views").glob("*.py"), *(ROOT / "views").glob("*/page.py")]
    if p.name != "__init__.py"
)


def test_home_page_runs_and_has_the_device_picker():
    at = AppTest.from_file(str(ROOT / "app.py")).run(timeout=60)
    assert not at.exception
    assert at.title[0].value == "Torchlab"
    picker = at.sidebar.selectbox(key="device")
    assert picker.value == default_device()  # the best device this machine has, GPU or not
    assert picker.options == [d.label for d in available_devices()]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_from_the_frame(page):
    at = AppTest.from_file(str(ROOT / "app.py")).run(timeout=60)
    at.switch_page(page).run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
