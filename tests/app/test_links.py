"""Every setting has a link: a page's state goes into its URL, and a fresh session opened on
that URL shows the same state; a hostile or malformed link opens the defaults with a message.

Each page's case sets a few widgets, copies the URL into a fresh AppTest and reads the widgets
back. The hostile cases feed every page the same kinds of bad input.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


def page(name: str) -> AppTest:
    return AppTest.from_file(str(ROOT / "views" / name))


def reopened(at: AppTest, name: str) -> AppTest:
    """A fresh session (another browser) opened on `at`'s URL."""
    fresh = page(name)
    fresh.query_params.update(dict(at.query_params))
    return fresh.run(timeout=TIMEOUT)


def notices(at: AppTest) -> str:
    return "\n".join(i.value for i in at.info)


def test_tensors_state_round_trips_through_the_url():
    at = page("tensors.py").run(timeout=TIMEOUT)
    assert dict(at.query_params) == {}  # the defaults need no parameters
    at.selectbox(key="tensors_fill").set_value("random")
    at.selectbox(key="tensors_dtype").set_value("int16").run(timeout=TIMEOUT)
    at.number_input(key="tensors_seed").set_value(7)
    at.text_input(key="tensors_shape").set_value("2, 5")
    at.text_input(key="tensors_expr").set_value("x[1:, ::2].t()").run(timeout=TIMEOUT)
    assert dict(at.query_params) == {
        "fill": "random", "dtype": "int16", "seed": "7", "shape": "2, 5", "expr": "x[1:, ::2].t()"
    }  # fmt: skip
    fresh = reopened(at, "tensors.py")
    assert not fresh.exception and not notices(fresh)
    assert fresh.selectbox(key="tensors_fill").value == "random"
    assert fresh.selectbox(key="tensors_dtype").value == "int16"
    assert fresh.number_input(key="tensors_seed").value == 7
    assert fresh.text_input(key="tensors_shape").value == "2, 5"
    assert fresh.text_input(key="tensors_expr").value == "x[1:, ::2].t()"
    at.text_input(key="tensors_expr").set_value("x.t()").run(timeout=TIMEOUT)
    assert "expr" not in at.query_params  # back at the default, out of the link


def test_a_hostile_tensors_link_opens_the_defaults_and_says_what_was_ignored():
    at = page("tensors.py")
    at.query_params.update(
        {
            "expr": "__import__('os').system('echo pwned')",  # goes to the safe parser
            "dtype": "float99",
            "seed": "9" * 12,
            "zzz": "1",
            "shape": "9" * 5000,
            "session": "abc",  # the frame's owner token is not the page's to judge
        }
    )
    at.run(timeout=TIMEOUT)
    assert not at.exception
    text = notices(at)
    assert "`dtype=float99` (not one of float32" in text
    assert "`seed=999999999999` (outside 0 to 2,147,483,647)" in text
    assert "`zzz` (not a setting of this page)" in text
    assert "`shape` (longer than 4,000 characters)" in text
    assert "session" not in text
    assert at.selectbox(key="tensors_dtype").value == "float32"
    assert at.text_input(key="tensors_shape").value == "3, 4"
    assert at.error and "Unknown or unsupported method 'system'" in at.error[0].value  # never run
    assert set(at.query_params) == {"expr", "session"}  # what was ignored left the URL
