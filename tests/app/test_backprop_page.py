"""The loss and backprop page in AppTest: runs alone, agrees with autograd, refuses bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import core.backprop.loss as loss_demo
from core.backprop.tinynet import DEFAULT_PARAMS, HAND_RULES
from core.engine.learning.models import classic_spec
from core.engine.runs.checkpoint import save_model

PAGE = str(Path(__file__).resolve().parents[2] / "views" / "backprop.py")


@pytest.fixture
def no_pretrained(tmp_path, monkeypatch):
    # AppTest runs the page in this process, so the page sees this module attribute.
    monkeypatch.setattr(loss_demo, "PRETRAINED_DIR", tmp_path / "missing")


def run_page() -> AppTest:
    at = AppTest.from_file(PAGE).run(timeout=60)
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def number(metric_value: str) -> float:
    return float(re.sub(r"[^0-9eE.+-]", "", metric_value))


def last_step(at: AppTest) -> AppTest:
    """Walk the backward pass to its end: every gradient is revealed."""
    slider = at.slider(key="backprop_step")
    return slider.set_value(slider.max).run(timeout=60)


def test_page_runs_alone_and_every_gradient_agrees(no_pretrained):
    at = run_page()
    assert "backprop" in at.title[0].value.lower()
    assert "not in" in texts(at.info)  # the missing pretrained model is said, not hidden
    assert "joins a table here" in texts(at.caption)  # step 0: no gradient shown yet
    assert "gradients" not in texts(at.success)  # (the update tab says its own verdict)
    last_step(at)
    assert re.search(r"All \d+ gradients by hand agree", texts(at.success))
    assert not at.error
    metrics = {m.label: m.value for m in at.metric}
    batch = at.slider(key="backprop_batch").value
    total = number(metrics["cost, reduction='sum'"])
    assert total == pytest.approx(batch * number(metrics["cost, reduction='mean'"]), rel=1e-3)
    assert number(metrics["max |nll − cross_entropy|"]) < 1e-5


def test_batch_and_model_controls_change_the_cost(no_pretrained):
    at = run_page()
    # the pretrained file is missing here, so the fallback fresh model's seed stays usable
    assert not at.number_input(key="backprop_seed").disabled
    first = {m.label: m.value for m in at.metric}["cost, reduction='sum'"]
    at.slider(key="backprop_batch").set_value(20).run(timeout=60)
    at.radio(key="backprop_source").set_value("fresh").run(timeout=60)
    assert not at.exception
    assert not at.number_input(key="backprop_seed").disabled
    metrics = {m.label: m.value for m in at.metric}
    assert "mean × B (B = 20)" in metrics
    assert metrics["cost, reduction='sum'"] != first
    assert "freshly initialised" in texts(at.caption)


def test_shipped_model_is_used_when_present(tmp_path, monkeypatch):
    save_model(tmp_path, loss_demo.fresh_model(1), classic_spec(), {})
    monkeypatch.setattr(loss_demo, "PRETRAINED_DIR", tmp_path)
    at = run_page()
    assert "shipped pretrained" in texts(at.caption)
    assert "not in" not in texts(at.info)
    assert at.number_input(key="backprop_seed").disabled  # a seed does nothing to it


def test_a_sure_models_tiny_costs_still_show_sum_is_mean_times_b():
    at = run_page()  # the shipped pretrained model: its losses on the first digits are ~1e-4
    assert "shipped pretrained" in texts(at.caption)
    metrics = {m.label: number(m.value) for m in at.metric}
    batch = at.slider(key="backprop_batch").value
    total, mean = metrics["cost, reduction='sum'"], metrics["cost, reduction='mean'"]
    assert 0 < total < 0.1  # small enough that fixed decimals would round it away
    assert total == pytest.approx(batch * mean, rel=1e-3)  # readable on screen, not just true
    assert metrics[f"mean × B (B = {batch})"] == pytest.approx(total, rel=1e-3)
    table = next(d for d in at.dataframe if "cross_entropy(z, y)" in d.value.columns)
    config = json.loads(table.proto.columns)
    for column in ("p(true digit)", "nll_loss(log_softmax(z), y)", "cross_entropy(z, y)"):
        assert config[column]["type_config"]["format"] == "%.4g"


def test_next_step_walks_the_backward_pass(no_pretrained):
    at = run_page()
    assert at.slider(key="backprop_step").value == 0
    for _ in range(3):
        at.button(key="backprop_next").click().run(timeout=60)
    assert not at.exception
    assert at.slider(key="backprop_step").value == 3
    assert re.search(r"Step 3 of \d+:\*\* ∂L/∂c = ∂L/∂ŷ · 1", texts(at.markdown))
    table = next(d.value for d in at.dataframe if "∂L/∂node by hand" in d.value.columns)
    assert len(table) == 3  # the gradients the three steps reached, no more
    assert "The 3 gradients so far agree" in texts(at.success)
    at.button(key="backprop_random").click().run(timeout=60)
    assert at.slider(key="backprop_step").value == 0
    assert at.text_input(key="backprop_params").value != DEFAULT_PARAMS
    assert re.search(r"All \d+ gradients by hand agree", texts(last_step(at).success))


def test_activations_and_losses_agree_with_autograd_on_the_page(no_pretrained):
    at = run_page()
    for loss, name in [
        ("squared error", "ReLU"),
        ("squared error", "GELU"),
        ("cross-entropy", "Tanh"),
    ]:
        at.radio(key="backprop_loss").set_value(loss)
        at.selectbox(key="backprop_activation").set_value(name).run(timeout=60)
        assert not at.exception
        assert re.search(r"All \d+ gradients by hand agree", texts(last_step(at).success)), (
            loss,
            name,
        )
        assert f"hⱼ = {HAND_RULES[name].formula}" in texts(at.markdown)


BAD_INPUTS = [
    ("backprop_params", "1, 2, oops, 4, 5, 6, 7, 8, 9", "not a number"),
    ("backprop_params", "1, 2", "expected 9 numbers"),
    ("backprop_x", "1e9, 1", "too large"),
    ("backprop_y", "nan", "finite"),
    ("backprop_x", "__import__('os').system('true'), 1", "not a number"),
    ("backprop_x", "1," * 150, "at most"),
]


def test_bad_numbers_are_messages_not_tracebacks(no_pretrained):
    at = run_page()
    for key, text, message in BAD_INPUTS:
        good = at.text_input(key=key).value
        at.text_input(key=key).set_value(text).run(timeout=60)
        assert not at.exception, text
        assert message in texts(at.error), text
        assert "Fix the network's numbers" in texts(at.warning)  # tab 3 waits for valid input
        at.text_input(key=key).set_value(good)
    at.radio(key="backprop_loss").set_value("cross-entropy")
    at.text_input(key="backprop_y").set_value("2").run(timeout=60)
    assert not at.exception
    assert "probability" in texts(at.error)


def test_learning_rate_slider_names_small_good_and_large_steps(no_pretrained):
    at = run_page()
    verdicts = {}
    for lr in (0.001, 0.1, 10.0):
        at.select_slider(key="backprop_lr").set_value(lr).run(timeout=60)
        assert not at.exception
        verdicts[lr] = texts(at.warning) + texts(at.success) + texts(at.error)
    assert "Too small" in verdicts[0.001]
    assert "Good" in verdicts[0.1]
    assert "Too large" in verdicts[10.0]
    # the code under tab 3 includes what draws its two plots, the several-steps one too
    at.session_state["show_code"] = True
    code = texts(at.run(timeout=60).code)
    assert all(f"def {name}(" in code for name in ("sgd_update", "lr_line", "descent"))


def chart_names(at: AppTest, key: str) -> list[str]:
    chart = next(c for c in at.get("plotly_chart") if c.key == key)
    return [t.get("name", "") for t in json.loads(chart.proto.spec)["data"]]


def test_one_verdict_per_rate_and_both_plots_name_the_same_references(no_pretrained):
    """Issue 27: at α = 0.5 the box said "Too large, move the slider left" while the 20-step
    plot labelled α = 0.5 "good", and the two plots named different reference rates."""
    at = run_page()
    for lr in (0.001, 0.1, 0.5, 1.0, 10.0):
        at.select_slider(key="backprop_lr").set_value(lr).run(timeout=60)
        assert not at.exception
        box = texts(at.warning) + texts(at.success) + texts(at.error)
        said = re.match(r"\*\*(Too small|Good|Too large)\.\*\*", box)
        assert said, box
        one_step = [n for n in chart_names(at, "backprop_lr_chart") if ": α = " in n]
        steps = [n for n in chart_names(at, "backprop_descent_chart") if ": α = " in n]
        assert one_step == steps  # the same reference rates, by the same names
        for name in steps:  # a reference at the chosen α carries the box's verdict
            verdict, rate = name.split(": α = ")
            if float(rate) == lr:
                assert verdict == said.group(1).lower(), (lr, name, box)
    at.select_slider(key="backprop_lr").set_value(0.5).run(timeout=60)
    box = texts(at.success)
    assert box.startswith("**Good.**") and "overshoots" in box
    assert "slider left" not in texts(at.error) + box


def test_bookkeeping_shows_accumulation_and_refuses_bad_text(no_pretrained):
    at = run_page()
    code = texts(at.code)
    assert "PowBackward0" in code and "adds into w.grad" in code
    events = next(df.value for df in at.dataframe if "after running" in df.value.columns)
    w_grads = events["w.grad"].tolist()
    assert float(w_grads[2]) == pytest.approx(2 * float(w_grads[1]))  # the second backward() adds
    # no .grad at all, before the first backward() and after zero_grad(): what torch prints
    assert w_grads[0] == w_grads[3] == "None" and set(events["x.grad"]) == {"None"}
    at.text_input(key="backprop_expr").set_value("1, 2, three, 4").run(timeout=60)
    assert not at.exception
    assert "not a number" in texts(at.error)
