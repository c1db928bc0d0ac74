"""A class server pointed at a Ray cluster that does not answer: the Train and Experiments
pages say once what to set, and nothing can be started, instead of blocking each visit."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


@pytest.fixture
def no_cluster(runs_dir, monkeypatch):
    pytest.importorskip("ray")
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("TORCHLAB_BACKEND", "ray")
    monkeypatch.setenv("TORCHLAB_RAY_ADDRESS", f"127.0.0.1:{port}")


def test_the_train_page_says_what_to_set_and_start_is_disabled(no_cluster):
    at = AppTest.from_file(str(ROOT / "views" / "train" / "page.py")).run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    (error,) = [e.value for e in at.error]  # once, not one per section
    assert "no Ray cluster answers" in error and "TORCHLAB_RAY_ADDRESS" in error
    assert "error id" not in error
    assert at.button(key="training_start").disabled
    assert at.button(key="training_fair_start").disabled
    at.run(timeout=TIMEOUT)  # the next visit is answered from what was learnt, not retried
    assert [e.value for e in at.error] == [error]


def test_the_experiments_page_says_it_too(no_cluster):
    at = AppTest.from_file(str(ROOT / "views" / "experiments" / "page.py")).run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert any("no Ray cluster answers" in e.value for e in at.error)
    runs = [b for b in at.button if b.key and b.key.endswith("_run")]
    assert runs and all(b.disabled for b in runs)
