"""What a foreign page or a bug can get from a live server: a refused handshake, no internals."""

from __future__ import annotations

import base64
import http.client
import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.e2e.helpers import click, go_to, open_app
from tests.e2e.server import served

FAULTY = Path(__file__).with_name("faulty")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """A server whose Tensors page has a planted bug (see faulty/sitecustomize.py)."""
    work = tmp_path_factory.mktemp("faulty")
    path = os.pathsep.join(filter(None, [str(FAULTY), os.environ.get("PYTHONPATH")]))
    env = {"TORCHLAB_RUNS": str(work / "runs"), "PYTHONPATH": path}
    with served(work, env) as url:
        yield url


def handshake(url: str, host: str) -> int:
    """The status of a WebSocket upgrade to the app's stream under `host`."""
    parts = urlparse(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.request(
        "GET",
        "/_stcore/stream",
        headers={
            "Host": f"{host}:{parts.port}",
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
            "Sec-WebSocket-Version": "13",
        },
    )
    status = conn.getresponse().status
    conn.close()
    return status


def test_a_foreign_host_name_is_refused_the_stream(app_url):
    assert handshake(app_url, "127.0.0.1") == 101
    assert handshake(app_url, "attacker.example") == 403  # DNS rebinding: refused


def test_a_bug_shows_an_error_id_and_no_traceback_or_path(page, app_url):
    open_app(page, app_url)
    go_to(page, "Tensors")
    click(page, page.get_by_role("tab", name="dtypes"))  # where the planted bug is
    alert = page.get_by_text("Something went wrong on the server (error id")
    alert.first.wait_for()
    body = page.locator("body").inner_text()
    assert "/srv/torchlab" not in body and "planted bug" not in body
    assert "Traceback" not in body and 'File "' not in body
