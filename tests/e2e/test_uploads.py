"""Uploads straight to the server's upload route, past any widget: one browser tab holds a few
files on the server, never its memory, and the Canvas page says which of its uploads went."""

from __future__ import annotations

import io
import re
import uuid

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from core.uploads import MAX_UPLOAD_BYTES_PER_SESSION, MAX_UPLOADS_PER_SESSION
from tests.e2e.helpers import click, go_to, open_app, wait_for_app

pytestmark = pytest.mark.e2e

NEARLY_FIVE_MIB = int(4.9 * 2**20)
HELD = re.compile(r'cache_memory_bytes\{cache_type="UploadedFileManager"[^}]*\}\s+(\d+)')


def held_bytes(page, url: str) -> int:
    """What the server's upload store holds, from Streamlit's own metrics."""
    found = HELD.search(page.request.get(f"{url}/_stcore/metrics").text())
    return int(found.group(1)) if found else 0


def a_digit_png() -> bytes:
    ink = np.zeros((64, 64), np.uint8)
    ink[10:54, 28:36] = 255
    buffer = io.BytesIO()
    Image.fromarray(ink).save(buffer, format="PNG")
    return buffer.getvalue()


def test_forty_direct_uploads_hold_a_few_files_and_the_page_says_which_went(page, app_url):
    sessions: list[str] = []

    def on_socket(socket) -> None:
        def on_frame(payload) -> None:
            if isinstance(payload, bytes):
                message = ForwardMsg()
                message.ParseFromString(payload)
                if message.HasField("new_session"):
                    sessions.append(message.new_session.initialize.session_id)

        socket.on("framereceived", on_frame)

    page.on("websocket", on_socket)
    open_app(page, app_url)
    go_to(page, "Canvas")
    click(page, page.get_by_role("tab", name="Upload a picture"))
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "digit.png", "mimeType": "image/png", "buffer": a_digit_png()}]
    )
    expect(page.get_by_text("The answer for")).to_be_visible()
    wait_for_app(page)

    session = sessions[-1]
    xsrf = next(c["value"] for c in page.context.cookies() if c["name"] == "_streamlit_xsrf")
    blob = bytes(NEARLY_FIVE_MIB)
    for i in range(40):  # what a script can do to the route, no widget involved
        answer = page.request.put(
            f"{app_url}/_stcore/upload_file/{session}/{uuid.uuid4()}",
            multipart={"file": {"name": f"blob{i}.png", "mimeType": "image/png", "buffer": blob}},
            headers={"X-Xsrftoken": xsrf},
        )
        assert answer.status == 204, answer.text()
        assert held_bytes(page, app_url) <= MAX_UPLOAD_BYTES_PER_SESSION
    assert held_bytes(page, app_url) >= 2 * NEARLY_FIVE_MIB  # the newest are kept
    assert MAX_UPLOADS_PER_SESSION >= 2

    click(page, page.get_by_role("tab", name="Draw"))  # the next run of the tab's page
    click(page, page.get_by_role("tab", name="Upload a picture"))
    said = page.get_by_text(re.compile(r"digit\.png, .* were dropped from the server"))
    expect(said).to_be_visible()
