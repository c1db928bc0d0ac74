"""AppTest runs the real app.py and visits every page."""

from __future__ import annotations

import logging
import re
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


def test_an_unexpected_error_shows_an_id_and_no_internals_and_logs_the_traceback(
    monkeypatch, caplog
):
    import core.tensors.dtypes

    secret = "/srv/torchlab/secret/path.py"

    def broken(*args, **kwargs):
        raise RuntimeError(f"boom in {secret}")

    monkeypatch.setattr(core.tensors.dtypes, "dtype_rows", broken)
    at = AppTest.from_file(str(ROOT / "app.py")).run(timeout=60)
    at.session_state["tensors_tab"] = "dtypes"  # the tab whose table dtype_rows fills
    with caplog.at_level(logging.ERROR, logger="torchlab"):
        at.switch_page("views/tensors.py").run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]  # Streamlit's own error box
    errors = [e.value for e in at.error]
    match = [re.search(r"error id `([0-9a-f]{8})`", e) for e in errors]
    error_id = next(m.group(1) for m in match if m)
    page_text = " ".join(str(el.value) for el in at.main if hasattr(el, "value"))
    assert secret not in page_text and "boom" not in page_text
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and secret in str(logged[0].exc_info[1])


def test_the_server_refuses_foreign_hosts_and_shows_no_error_details():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
    assert "*" not in config["server"]["allowedHosts"]
