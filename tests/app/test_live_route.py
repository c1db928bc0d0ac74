"""The live route the charts fetch: the JSON of a live, a finished, a resumed and a failed run,
as safe as the page (allowed hosts, a token per set of runs, 404, 400, no server paths)."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

import pytest
from starlette.requests import Request
from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

from core.engine.runs.record import RunStatus
from tests import run_settings
from tests.unit.engine.runs.gate import Gate
from ui import live_route
from ui.live_route import (
    MAX_RUNS,
    XSRF_COOKIE,
    asset,
    browser_key,
    control_token,
    live,
    stop,
    watch_token,
)

QUICK = run_settings.QUICK.with_changes(log_interval=1)
TIMEOUT = 120


def ask(handler, query: dict | None = None, host="localhost:8501", cookie="", **path) -> tuple:
    """(status, JSON body or bytes) of one GET to the route, as Starlette would call it."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "query_string": urlencode(query or {}).encode(),
        "headers": [(b"host", host.encode())]
        + ([(b"cookie", f"{XSRF_COOKIE}={cookie}".encode())] if cookie else []),
        "path_params": path,
    }
    response = asyncio.run(handler(Request(scope)))
    body = getattr(response, "body", b"")
    is_json = response.media_type == "application/json"
    return response.status_code, json.loads(body) if is_json else body


def query(ids: list[str], token: str | None = None) -> dict:
    return {"runs": ",".join(ids), "token": watch_token(ids) if token is None else token}


@pytest.fixture
def served(inline_runner, monkeypatch):
    """The route reading the inline runner, as it reads the pages' runner in the server."""
    monkeypatch.setattr(live_route, "get_runner", lambda: inline_runner)
    return inline_runner


@pytest.mark.needs_data
def test_a_finished_a_failed_and_a_resumed_run_read_back_as_the_page_shows_them(served):
    done = served.wait(served.submit(QUICK.with_changes(epochs=2), owner="a"), TIMEOUT)
    failed = served.wait(
        served.submit(QUICK.with_changes(optimizer="SGD", lr=90.0), owner="a"), TIMEOUT
    )
    stopped = served.wait(served.submit(QUICK.with_changes(epochs=2), stop_after=12), TIMEOUT)
    resumed = served.wait(served.resume(stopped.run_dir), TIMEOUT)
    ids = [done.id, failed.id, resumed.id]
    status, body = ask(live, query(ids))
    assert status == 200 and body["training"] is False
    by_id = {r["id"]: r for r in body["runs"]}
    assert [r["id"] for r in body["runs"]] == ids
    assert (
        by_id[done.id]["status"] == "done"
        and by_id[done.id]["accuracy"] == done.test[-1]["accuracy"]
    )
    assert by_id[done.id]["train"]["loss"] == pytest.approx([r["loss"] for r in done.train])
    assert by_id[failed.id]["status"] == "failed" and "NaN" in by_id[failed.id]["error"]
    assert by_id[resumed.id]["resumed_after"] == 1 and by_id[resumed.id]["status"] == "done"
    text = json.dumps(body)
    assert str(done.run_dir) not in text and str(done.run_dir.parent) not in text
    # another page's token, or this one's for other runs, reads nothing of these runs
    assert ask(live, query(ids, token=watch_token([done.id])))[0] == 404
    assert ask(live, query([done.id], token=watch_token(ids)))[0] == 404


@pytest.mark.needs_data
def test_a_live_run_reads_as_it_trains(served, monkeypatch):
    gate = Gate(monkeypatch)
    job = served.submit(QUICK)
    assert gate.entered.wait(TIMEOUT)
    status, body = ask(live, query([job]))
    (run,) = body["runs"]
    assert status == 200 and body["training"] and run["status"] == "running"
    assert not run["finished"] and "epoch 1/1" in run["progress_text"]
    served.stop(job)
    gate.opened.set()
    served.wait(job, TIMEOUT)


def test_the_route_refuses_other_hosts_unknown_runs_and_foreign_tokens(served):
    assert ask(live, query(["20260101-run"]), host="rebind.attacker.example")[0] == 403
    assert ask(live, query(["20260101-run"]))[0] == 404  # unknown id
    other = watch_token(["someone-elses-run"])
    assert ask(live, query(["20260101-run"], token=other))[0] == 404  # not this page's token


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"runs": "", "token": "0" * 32},
        {"runs": "a,b", "token": "not hex"},
        {"runs": "../../etc/passwd", "token": "0" * 32},
        {"runs": ",".join(f"r{i}" for i in range(MAX_RUNS + 1)), "token": "0" * 32},
        {"runs": "x" * 65, "token": "0" * 32},
    ],
)
def test_a_malformed_request_is_a_400(served, params):
    status, body = ask(live, params)
    assert status == 400 and body["error"]


def test_a_token_is_for_exactly_the_runs_and_the_browser_it_was_signed_for():
    assert watch_token(["a", "b"]) != watch_token(["b", "a"]) != watch_token(["a"])
    mine, theirs = generate_xsrf_token_string(), generate_xsrf_token_string()
    remasked = generate_xsrf_token_string(browser_key(mine))  # the same browser, a new load
    assert watch_token(["a"], browser_key(mine)) == watch_token(["a"], browser_key(remasked))
    assert watch_token(["a"], browser_key(mine)) != watch_token(["a"], browser_key(theirs))
    assert browser_key(None) == browser_key("garbage") == b""


@pytest.mark.needs_data
def test_another_browser_cannot_read_a_run_with_a_token_it_copied(served):
    done = served.wait(served.submit(QUICK), TIMEOUT)
    mine, theirs = generate_xsrf_token_string(), generate_xsrf_token_string()
    params = query([done.id], token=watch_token([done.id], browser_key(mine)))
    assert ask(live, params, cookie=mine)[0] == 200
    assert ask(live, params, cookie=theirs)[0] == 404
    assert ask(live, params)[0] == 404  # no cookie at all


def test_the_chart_library_is_served_and_nothing_else(served):
    assert ask(asset, name="uPlot.iife.min.js")[0] == 200  # a file response: streamed
    assert ask(asset, name="../live_route.py")[0] == 404
    assert ask(asset, name="uPlot.iife.min.js", host="rebind.attacker.example")[0] == 403


def post(handler, body: bytes, cookie: str = "", host: str = "localhost:8501") -> tuple:
    """(status, JSON body) of one POST to the route, as Starlette would call it."""
    headers = [(b"host", host.encode()), (b"content-type", b"application/json")]
    if cookie:
        headers.append((b"cookie", f"{XSRF_COOKIE}={cookie}".encode()))
    scope = {"type": "http", "method": "POST", "path": "/", "query_string": b"",
             "headers": headers}  # fmt: skip

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    response = asyncio.run(handler(Request(scope, receive)))
    return response.status_code, json.loads(response.body)


@pytest.mark.needs_data
def test_stop_needs_the_token_of_a_tab_that_may_stop_the_run(served, monkeypatch):
    gate = Gate(monkeypatch)
    job = served.submit(QUICK)
    assert gate.entered.wait(TIMEOUT)
    mine, theirs = generate_xsrf_token_string(), generate_xsrf_token_string()
    may = json.dumps({"run": job, "token": control_token(job, browser_key(mine))}).encode()
    watch_only = json.dumps({"run": job, "token": watch_token([job], browser_key(mine))})
    assert post(stop, watch_only.encode(), cookie=mine)[0] == 404  # a viewer's token: no
    assert post(stop, may, cookie=theirs)[0] == 404  # copied into another browser: no
    assert post(stop, may, cookie=mine, host="rebind.attacker.example")[0] == 403
    for bad in (b"", b"[]", b'{"run": "../x", "token": "0"}', b'{"run": 1}'):
        assert post(stop, bad, cookie=mine)[0] == 400
    assert not served.snapshot(job).stop_requested
    assert post(stop, may, cookie=mine) == (200, {"stopping": True})
    assert served.snapshot(job).stop_requested
    gate.opened.set()
    assert served.wait(job, TIMEOUT).status == RunStatus.STOPPED
    assert not served.snapshot(job).stop_requested  # ended: no longer "stopping"
