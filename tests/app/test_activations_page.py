"""AppTest for the activations lab: every tab, parameter changes, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parents[2] / "views" / "activations.py")


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(PAGE)
    app.session_state["activations_steps"] = 50  # keep the live fits tiny in tests
    app.session_state["activations_units"] = 8
    app.run(timeout=60)
    assert not app.exception, [e.value for e in app.exception]
    return app


def open_tab(at: AppTest, label: str) -> AppTest:
    at.session_state["activations_tab"] = label
    return rerun(at)


def rerun(at: AppTest) -> AppTest:
    at.run(timeout=60)
    assert not at.exception, [e.value for e in at.exception]
    return at


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_functions_tab_draws_and_follows_the_parameters(at):
    assert "Activation" in at.title[0].value
    assert not errors(at)
    assert at.get("plotly_chart")
    # three functions shade their flat parts: the caption says which band is whose
    assert any("each function's own colour" in c.value for c in at.caption)
    assert at.multiselect(key="activations_compare").proto.wrap  # every chip shown (e2e too)
    at.selectbox(key="activations_fn").set_value("leaky_relu")
    rerun(at)
    at.slider(key="activations_p_leaky_relu_negative_slope").set_value(0.5)
    rerun(at)
    code = [c.value for c in at.code]
    assert "nn.LeakyReLU(negative_slope=0.5)" in code
    # The facts table follows the new slope: 0.5 makes the mean output smaller than ReLU's.
    assert any("kinks" in m.value and "x = 0" in m.value for m in at.markdown)
    at.selectbox(key="activations_fn").set_value("hardtanh")
    rerun(at)
    at.slider(key="activations_p_hardtanh_min_val").set_value(-3.0)
    at.slider(key="activations_p_hardtanh_max_val").set_value(3.0)
    rerun(at)
    assert "nn.Hardtanh(min_val=-3.0, max_val=3.0)" in [c.value for c in at.code]
    assert not errors(at)


def test_the_steps_facts_say_its_mean_is_a_half_and_that_it_jumps(at):
    at.selectbox(key="activations_fn").set_value("step")
    rerun(at)
    facts = next(m.value for m in at.markdown if "| kinks |" in m.value)
    assert "mean output for $x \\sim N(0, 1)$: 0.500" in facts  # P(X > 0) = ½ exactly
    kinks = next(line for line in facts.splitlines() if line.startswith("| kinks |"))
    assert "jumps at $x = 0$" in kinks and kinks != "| kinks | none |"


def test_the_chosen_function_leaves_the_compare_list(at):
    at.selectbox(key="activations_fn").set_value("tanh")
    rerun(at)
    assert at.multiselect(key="activations_compare").value == ["sigmoid"]
    assert not errors(at)


def test_compare_several_functions_with_their_own_parameters(at):
    at.multiselect(key="activations_compare").set_value(["elu", "swish", "step"])
    rerun(at)
    at.slider(key="activations_p_elu_alpha").set_value(3.0)
    at.slider(key="activations_p_swish_beta").set_value(0.1)
    rerun(at)
    assert not errors(at)


@pytest.mark.parametrize(
    ("x_min", "x_max", "message"),
    [(5.0, -5.0, "reversed"), (2.0, 2.0, "empty"), (-1e6, 5.0, "inside")],
)
def test_bad_x_range_is_a_message_and_the_page_recovers(at, x_min, x_max, message):
    at.number_input(key="activations_x_min").set_value(x_min)
    at.number_input(key="activations_x_max").set_value(x_max)
    rerun(at)
    assert any(message in e for e in errors(at)), errors(at)
    at.number_input(key="activations_x_min").set_value(-3.0)
    at.number_input(key="activations_x_max").set_value(3.0)
    rerun(at)
    assert not errors(at)
    assert at.get("plotly_chart")


def test_why_tab_collapse_and_live_fit(at):
    open_tab(at, "Why non-linearity")
    assert not errors(at)
    assert any("agree to float32 rounding" in s.value for s in at.success)
    at.selectbox(key="activations_between").set_value("tanh")
    rerun(at)
    assert any("no longer" in s.value for s in at.success) and not at.warning
    labels = [m.label for m in at.metric]
    assert any("with Tanh" in label for label in labels)
    assert any("without activation" in label for label in labels)
    at.radio(key="activations_target").set_value("spirals")
    at.selectbox(key="activations_fit_act").set_value("relu")
    rerun(at)
    assert any("training accuracy" in m.label for m in at.metric)
    assert not errors(at)


def test_vanishing_tab(at):
    open_tab(at, "Vanishing gradients")
    assert at.get("plotly_chart") and not errors(at)
    at.slider(key="activations_depth").set_value(60)
    at.slider(key="activations_weight").set_value(-5.0)
    rerun(at)
    assert not errors(at)
    at.multiselect(key="activations_chain").set_value([])
    rerun(at)
    assert any("at least one" in e for e in errors(at))


@pytest.mark.parametrize(
    ("text", "message"),
    [("2, x, 1", "not a number"), ("1e999", "not a finite number"), ("", "at least one")],
)
def test_bad_logits_are_a_message_and_the_page_recovers(at, text, message):
    open_tab(at, "Softmax")
    at.text_input(key="activations_logits").set_value(text)
    rerun(at)
    assert any(message in e for e in errors(at)), errors(at)
    at.button(key="activations_reset").click()
    rerun(at)
    assert not errors(at)


def test_softmax_temperature_shift_and_overflow(at):
    open_tab(at, "Softmax")
    assert not errors(at) and not at.warning
    at.select_slider(key="activations_temperature").set_value(0.2)
    at.number_input(key="activations_shift").set_value(100.0)
    rerun(at)
    assert any("naive formula broke" in w.value for w in at.warning)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["naive −log p[true]"] in ("nan", "inf")
    table = next(df.value for df in at.dataframe if "naive e^z" in df.value.columns)
    assert set(table["naive e^z"]) == {"inf"}  # the grid never turns them into "None"
    assert set(table["naive e^z / Σ e^z"]) == {"nan"}
    assert float(metrics["nll_loss(log_softmax(z))"]) == pytest.approx(
        float(metrics["cross_entropy(z)"])
    )
    at.button(key="activations_huge").click()
    rerun(at)
    assert at.text_input(key="activations_logits").value.startswith("1000")
    assert any("naive formula broke" in w.value for w in at.warning)
    at.number_input(key="activations_shift").set_value(1e9)
    rerun(at)
    assert any("shift" in e for e in errors(at))


def test_the_loss_box_uses_the_probabilities_the_chart_draws_at_any_temperature(at):
    """At T = 0.05 the chart showed p = 1.000 for class 0 while the loss box still scored
    the T = 1 probabilities: its loss must be −log of the p the chart draws."""
    import math

    import torch
    import torch.nn.functional as F

    open_tab(at, "Softmax")
    for temperature in (0.05, 1.0, 5.0):
        at.select_slider(key="activations_temperature").set_value(temperature)
        for target in (0, 1):
            at.selectbox(key="activations_target_class").set_value(target)
            rerun(at)
            chart = next(c for c in at.get("plotly_chart") if "softmax" in c.proto.spec)
            import json

            bars = [
                t
                for t in json.loads(chart.proto.spec)["data"]
                if t["name"] == f"T = {temperature:g}"
            ]
            p = bars[0]["y"]
            metrics = {m.label: float(m.value) for m in at.metric}
            logits = [float(v) for v in at.text_input(key="activations_logits").value.split(",")]
            z = torch.tensor(logits, dtype=torch.float32) / temperature  # the box's float32
            expected = F.cross_entropy(z[None], torch.tensor([target])).item()
            assert metrics["nll_loss(log_softmax(z))"] == pytest.approx(expected, rel=1e-4)
            chart_loss = -math.log(p[target])  # −log of the bar the chart draws
            assert metrics["cross_entropy(z)"] == pytest.approx(chart_loss, rel=1e-3, abs=1e-6)
