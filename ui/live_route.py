"""The app's read-only live route: runs' live state as JSON, for the chart in the browser.

    GET  /torchlab/live?runs=ID,ID&token=T[&digit=1]  -> {"runs": [...], "training": bool}
    POST /torchlab/stop  {"run": ID, "token": T} -> {"stopping": true}
    GET  /torchlab/assets/<file>            -> the vendored chart library (uPlot, MIT)

While a run trains, the Train page's chart (ui/live_chart.py) fetches the first every second
or two instead of the page rerunning its script. It is as safe as the page:
- it answers only under the allowed host names (`server.allowedHosts`, Streamlit's own check:
  a page under another name that resolves here, DNS rebinding, is refused with 403);
- it shows only runs the asking browser's page showed it: the page signs the run ids it draws,
  with a secret of this server process, for this browser (the token bytes of Streamlit's own
  XSRF cookie, which another browser does not have): `watch_token`. A request without a
  matching token for exactly those ids, from this browser, is answered as if the runs did not
  exist (404), as an unknown id is;
- Stop needs its own token (`control_token`), which the page hands only to a tab that may stop
  the run (its own tab, the teacher: ui.runner.can_control);
- a malformed request (no ids, too many, not ids, no token) is a 400;
- the payload names runs by id and name, never by folder, and is bounded (MAX_RUNS runs,
  each curve thinned to core.engine.looks.live.MAX_LIVE_POINTS points).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route
from streamlit.web.server.starlette.starlette_app_utils import decode_xsrf_token_string
from streamlit.web.server.starlette.starlette_websocket import is_host_allowed

from core.engine.looks.live import live_payload
from ui.runner import get_runner

LIVE_PATH = "/torchlab/live"
STOP_PATH = "/torchlab/stop"
ASSETS_PATH = "/torchlab/assets"
MAX_RUNS = 10  # runs one request may ask for (the compare view's most)
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # a run id, as the runner makes them
_SECRET = secrets.token_bytes(32)  # per server process: a restart makes the pages sign anew
XSRF_COOKIE = "_streamlit_xsrf"  # Streamlit's; its token bytes stay while its text is re-masked
VENDOR = Path(__file__).resolve().parent / "vendor" / "uplot"
ASSETS = {  # file name -> media type: nothing else is served
    "uPlot.iife.min.js": "text/javascript",
    "uPlot.min.css": "text/css",
}


def browser_key(cookie: str | None) -> bytes:
    """This browser's own secret: the token bytes of its XSRF cookie (b"" without one)."""
    token, _ = decode_xsrf_token_string(cookie or "")
    return token or b""


def watch_token(run_ids: list[str], browser: bytes = b"") -> str:
    """What a page hands its chart to read exactly these runs, from this browser, from the
    live route."""
    message = ",".join(run_ids).encode() + b"|" + browser
    return hmac.new(_SECRET, message, hashlib.sha256).hexdigest()[:32]


def control_token(run_id: str, browser: bytes = b"") -> str:
    """What a page hands the chart of a tab that may stop `run_id` (and only such a tab)."""
    message = b"stop|" + run_id.encode() + b"|" + browser
    return hmac.new(_SECRET, message, hashlib.sha256).hexdigest()[:32]


def _refused(status: int, reason: str) -> JSONResponse:
    return JSONResponse(
        {"error": reason}, status_code=status, headers={"Cache-Control": "no-store"}
    )


def _read_live(run_ids: list[str], digit: bool) -> dict | None:
    runner = get_runner()
    if not all(runner.has(i) for i in run_ids):
        return None
    runs = [runner.snapshot(i) for i in run_ids]
    positions = {r.id: runner.queue_position(r.id) for r in runs if not r.started_at}
    return live_payload(runs, {k: v for k, v in positions.items() if v}, digit)


async def live(request: Request) -> Response:
    if not is_host_allowed(request.headers.get("host")):
        return _refused(403, "This host name is not one this server answers to.")
    raw = request.query_params.get("runs", "")
    run_ids = [part for part in raw.split(",") if part]
    token = request.query_params.get("token", "")
    if not run_ids or len(run_ids) > MAX_RUNS or not all(_ID.match(i) for i in run_ids):
        return _refused(400, f"Ask for 1 to {MAX_RUNS} run ids, separated by commas.")
    if not re.fullmatch(r"[0-9a-f]{32}", token):
        return _refused(400, "The request has no valid token.")
    browser = browser_key(request.cookies.get(XSRF_COOKIE))
    if not hmac.compare_digest(token, watch_token(run_ids, browser)):
        return _refused(404, "No such run.")
    digit = request.query_params.get("digit") == "1"  # the probe digit's pictures: asked for
    payload = await run_in_threadpool(_read_live, run_ids, digit)
    if payload is None:
        return _refused(404, "No such run.")
    return JSONResponse(payload, headers={"Cache-Control": "no-store"})


async def stop(request: Request) -> Response:
    if not is_host_allowed(request.headers.get("host")):
        return _refused(403, "This host name is not one this server answers to.")
    try:
        body = await request.json()
        run_id, token = str(body["run"]), str(body["token"])
    except (ValueError, KeyError, TypeError):
        return _refused(400, 'Send {"run": ID, "token": T}.')
    if not _ID.match(run_id) or not re.fullmatch(r"[0-9a-f]{32}", token):
        return _refused(400, 'Send {"run": ID, "token": T}.')
    browser = browser_key(request.cookies.get(XSRF_COOKIE))
    runner = get_runner()
    if not hmac.compare_digest(token, control_token(run_id, browser)) or not runner.has(run_id):
        return _refused(404, "No such run.")
    await run_in_threadpool(runner.stop, run_id)
    return JSONResponse({"stopping": True}, headers={"Cache-Control": "no-store"})


async def asset(request: Request) -> Response:
    if not is_host_allowed(request.headers.get("host")):
        return _refused(403, "This host name is not one this server answers to.")
    name = request.path_params["name"]
    if name not in ASSETS:
        return _refused(404, "No such file.")
    return FileResponse(
        VENDOR / name, media_type=ASSETS[name], headers={"Cache-Control": "max-age=86400"}
    )


ROUTES = [
    Route(LIVE_PATH, live, methods=["GET"]),
    Route(STOP_PATH, stop, methods=["POST"]),
    Route(ASSETS_PATH + "/{name}", asset, methods=["GET"]),
]
