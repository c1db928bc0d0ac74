"""AppTest: the optimizer playground page, run alone (no sidebar) as the frame would run it."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.optim2d.race import VARIANTS

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "views" / "optimizers.py")


def run(at: AppTest) -> AppTest:
    at.run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_tab(at: AppTest, name: str) -> AppTest:
    at.session_state["optimizers_tab"] = name
    return run(at)


@pytest.fixture
def at() -> AppTest:
    return run(AppTest.from_file(PAGE))


def chart_numbers(at: AppTest) -> list[float]:
    """Every number sent to the browser in the page's Plotly charts."""
    out: list[float] = []

    def walk(value):
        if isinstance(value, dict | list):
            for v in value.values() if isinstance(value, dict) else value:
                walk(v)
        elif isinstance(value, float):
            out.append(value)

    for chart in at.get("plotly_chart"):
        walk(json.loads(chart.proto.spec))
    return out


def test_default_page_races_optimizers_and_explains_them(at):
    assert "Optimizers" in at.title[0].value
    picker = at.multiselect(key="optimizers_chosen")
    chosen = picker.value
    assert picker.proto.wrap  # every chosen chip shown, on as many rows as it takes
    table = at.dataframe[0].value
    assert list(table["optimizer"].str.split(" ").str[0]) == chosen
    # only the open tab runs: the race's paths and losses, not the other tabs' two charts
    assert len(at.get("plotly_chart")) == 2 and len(at.dataframe) == 1
    assert all(math.isfinite(v) for v in chart_numbers(at))
    open_tab(at, "Inside the optimizer")
    (inside,) = [d.value for d in at.dataframe]
    assert "m" in set(inside["quantity"]) and "v̂ = v / (1 − β₂ᵗ)" in set(inside["quantity"])
    assert len(at.get("plotly_chart")) == 1 and not at.multiselect  # the step up close
    assert all(math.isfinite(v) for v in chart_numbers(at))
    open_tab(at, "The race")
    at.number_input(key="optimizers_x0").set_value(0.5)
    run(at)
    open_tab(at, "The seed's rule")  # one step from the race's start, set on the race's tab
    assert any(r"\underbrace{(0.5,\ 1)}_{\beta}" in x.value for x in at.latex)
    assert any("2/λ_max" in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) == 1 and not at.dataframe
    assert all(math.isfinite(v) for v in chart_numbers(at))


def test_a_new_surface_brings_its_start_point_and_suggested_settings(at):
    at.selectbox(key="optimizers_surface").set_value("Quadratic bowl")
    run(at)
    assert (
        at.number_input(key="optimizers_x0").value,
        at.number_input(key="optimizers_y0").value,
    ) == (-2.5, 2.0)
    assert at.number_input(key="optimizers_hp_SGD_lr").value == pytest.approx(0.1)  # 1/κ
    at.select_slider(key="optimizers_condition").set_value(100)
    at.button[0].click()  # suggested settings for κ = 100
    run(at)
    assert at.number_input(key="optimizers_hp_SGD_lr").value == pytest.approx(0.01)
    assert any("κ = 100" in c.value for c in at.caption)


def test_results_table_shows_tiny_losses_in_significant_digits(at):
    # On the bowl every run ends ~1e-25 from the minimum: a fixed-point column read 0000000000.
    at.selectbox(key="optimizers_surface").set_value("Quadratic bowl")
    run(at)
    table = at.dataframe[0]
    assert table.value["final L"].min() < 1e-12
    config = json.loads(table.proto.columns)
    for column in ("final L", "distance to nearest minimum"):
        assert config[column]["type_config"]["format"] == "%.4g"
        assert table.value[column].dtype.kind == "f"  # numbers (None a blank), not text


def test_a_learning_rate_that_diverges_is_a_message_not_a_plot_of_inf(at):
    at.selectbox(key="optimizers_surface").set_value("Quadratic bowl")
    run(at)
    at.number_input(key="optimizers_hp_SGD_lr").set_value(1.0)  # 2/κ = 0.2 is the limit
    at.session_state["optimizers_rule_lr"] = 0.5  # the seed's rule tab's α
    run(at)
    warnings = [w.value for w in at.warning]
    assert any("SGD (α=1) stopped at step" in w and "steps grew" in w for w in warnings)
    assert all(math.isfinite(v) for v in chart_numbers(at))
    open_tab(at, "The seed's rule")
    assert any("SGD (α=0.5) stopped at step" in e.value for e in at.error)
    assert any("**above**" in m.value for m in at.markdown)
    assert all(math.isfinite(v) for v in chart_numbers(at))


def test_step_slider_and_inside_view_follow_one_run(at):
    at.multiselect(key="optimizers_chosen").set_value(["SGD", "Momentum"])
    at.slider(key="optimizers_step").set_value(0)
    run(at)
    open_tab(at, "Inside the optimizer")
    assert at.slider(key="optimizers_step").value == 0  # the race's step, on this tab too
    assert any("past 0" in i.value for i in at.info)
    at.slider(key="optimizers_step").set_value(3)
    at.selectbox(key="optimizers_inside").set_value("Momentum")
    run(at)
    inside = at.dataframe[0].value
    assert "velocity v" in set(inside["quantity"])
    assert any("step 3" in m.value for m in at.markdown)


def test_no_optimizer_is_a_message_and_one_optimizer_races_alone(at):
    at.multiselect(key="optimizers_chosen").set_value([])
    run(at)
    assert any("Pick at least one optimizer" in e.value for e in at.error)
    open_tab(at, "Inside the optimizer")
    assert any("at least one optimizer on the race tab" in i.value for i in at.info)
    assert not at.error  # one message, not the race's refusal as well
    open_tab(at, "The race")
    at.multiselect(key="optimizers_chosen").set_value(["Nesterov"])
    at.number_input(key="optimizers_steps").set_value(5)
    run(at)
    at.number_input(key="optimizers_hp_Nesterov_lr").set_value(0.002)
    run(at)
    (row,) = at.dataframe[0].value.to_dict("records")
    assert row["optimizer"] == "Nesterov (α=0.002)" and row["steps run"] == 5
    # taken out of the race and back in, it keeps its settings
    at.multiselect(key="optimizers_chosen").set_value(["SGD"])
    run(at)
    at.multiselect(key="optimizers_chosen").set_value(["SGD", "Nesterov"])
    run(at)
    assert at.number_input(key="optimizers_hp_Nesterov_lr").value == 0.002


def test_all_optimizers_race_with_every_setting_on_the_page(at):
    at.multiselect(key="optimizers_chosen").set_value(list(VARIANTS))
    at.number_input(key="optimizers_steps").set_value(20)
    run(at)
    for name, info in VARIANTS.items():
        for h in info.hparams:
            widget = at.checkbox if h.kind is bool else at.number_input
            assert widget(key=f"optimizers_hp_{name}_{h.name}").value is not None
    at.checkbox(key="optimizers_hp_RMSprop_centered").check()
    run(at)
    table = at.dataframe[0].value
    assert len(table) == len(VARIANTS) and set(table["steps run"]) == {20}
    open_tab(at, "Inside the optimizer")
    at.selectbox(key="optimizers_inside").set_value("RMSprop")
    at.slider(key="optimizers_step").set_value(20)
    run(at)
    assert "E[g]" in set(at.dataframe[0].value["quantity"])  # only centered RMSprop keeps it


def test_float_dust_reads_as_the_zero_it_is(at):
    # Settled in a Rastrigin dip, SGD's steps are below a float's resolution: Δβ came out
    # as ±4.44e−16 (one rounding of β), and the final β as "-0.0000".
    at.selectbox(key="optimizers_surface").set_value("Rastrigin")
    run(at)
    open_tab(at, "Inside the optimizer")
    at.selectbox(key="optimizers_inside").set_value("SGD")
    at.slider(key="optimizers_step").set_value(400)
    run(at)
    inside = at.dataframe[0].value.set_index("quantity")
    cells = [c for c in inside[["x", "y"]].to_numpy().ravel() if c != ""]  # "" = undefined
    assert all(float(c) == 0 or abs(float(c)) >= 1e-12 for c in cells)
    assert "0" in set(inside.loc["Δβ, the step taken", ["x", "y"]])
    # a step below β's float resolution has nothing to draw: the page says so, no empty square
    assert any("No close-up" in i.value for i in at.info)
    assert not any("the step taken" in c.proto.spec for c in at.get("plotly_chart"))
    open_tab(at, "The race")
    at.selectbox(key="optimizers_surface").set_value("Quadratic bowl")  # runs end ~1e-12 of 0
    run(at)
    finals = at.dataframe[0].value.set_index("optimizer")["final β"]
    assert finals["SGD (α=0.1)"] == "(0, 0)"  # 3e-23 of the minimum
    assert not any("-0.0000" in b for b in finals)  # Adam's −3.4e−12 in significant digits


def test_late_in_a_run_the_step_table_agrees_with_itself_and_the_close_up_shows_the_step(at):
    """Issue 27: Adam at κ = 50, step 500: "−α·g, x" showed 0 where g_x = −1.24e-12, "Δβ, y"
    showed 0 while "Δβ ÷ (−g), y" was −5.2e-05, and the close-up was an empty square."""
    at.selectbox(key="optimizers_surface").set_value("Quadratic bowl")
    run(at)
    at.select_slider(key="optimizers_condition").set_value(50)
    at.button[0].click()  # the suggested settings for κ = 50: Adam at α = 0.1
    run(at)
    open_tab(at, "Inside the optimizer")
    at.selectbox(key="optimizers_inside").set_value("Adam")
    at.slider(key="optimizers_step").set_value(500)
    run(at)
    table = at.dataframe[0].value.set_index("quantity")
    alpha = at.session_state["optimizers_hp_Adam_lr"]

    def cell(row: str, axis: str) -> float | None:
        text = table.loc[row, axis]
        return None if text == "" else float(text)

    for axis in ("x", "y"):
        g, step = cell("g = ∂L/∂β", axis), cell("Δβ, the step taken", axis)
        sgd, ratio = cell("−α·g, plain SGD's step", axis), cell("Δβ ÷ (−g)", axis)
        assert sgd == pytest.approx(-alpha * g, rel=1e-3)  # −α·g is α times the g shown
        assert (g == 0) == (sgd == 0)
        if ratio is not None:  # a ratio is shown only of two numbers that are shown
            assert step != 0 and g != 0
            assert ratio == pytest.approx(step / -g, rel=2e-3)
    chart = next(c for c in at.get("plotly_chart") if "the step taken" in c.proto.spec)
    spec = json.loads(chart.proto.spec)
    (x0, x1), (y0, y1) = spec["layout"]["xaxis"]["range"], spec["layout"]["yaxis"]["range"]
    start = [cell("β before the step", a) for a in ("x", "y")]
    arrows = spec["layout"]["annotations"]
    lengths = [math.dist((a["ax"], a["ay"]), (a["x"], a["y"])) for a in arrows]
    assert max(lengths) > 0.3 * (x1 - x0)  # arrows across the window, not a speck in it
    assert all(x0 <= a["x"] <= x1 and y0 <= a["y"] <= y1 for a in arrows)
    assert x0 <= start[0] <= x1 and y0 <= start[1] <= y1
    assert spec["layout"]["xaxis"]["exponentformat"] == "power"  # not "1.2p"


# The intro's "Try:" claims, each checked against what the page draws when it is followed.


def drawn_path(at: AppTest, label: str) -> np.ndarray:
    """(n, 2) the path of `label` as the contour plot draws it, up to the step shown."""

    def values(v):
        if isinstance(v, dict):  # Plotly's binary array
            return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        return np.asarray(v, dtype=float)

    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    (trace,) = [t for t in spec["data"] if t.get("name") == label]
    return np.stack([values(trace["x"]), values(trace["y"])], axis=1)


def final_beta(at: AppTest) -> dict[str, tuple[float, float]]:
    column = at.dataframe[0].value.set_index("optimizer")["final β"]
    return {k: tuple(float(v) for v in b.strip("()").split(", ")) for k, b in column.items()}


def intro(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("Training a network"))


def test_intro_rosenbrock_sgd_crawls_and_adam_follows_the_floor(at):
    assert "SGD crawls along the floor, Adam follows it most of the way" in intro(at)
    assert at.selectbox(key="optimizers_surface").value == "Rosenbrock"  # the default view
    sgd, adam = drawn_path(at, "SGD (α=0.001)"), drawn_path(at, "Adam (α=0.1)")
    floor = lambda p: np.abs(p[:, 1] - p[:, 0] ** 2)  # noqa: E731  |y − x²|: 0 on the floor
    assert floor(sgd)[10:].max() < 0.05 and floor(adam)[60:].max() < 0.05
    # from x = −1.2 toward the minimum at x = 1: SGD not halfway in 500 steps, Adam past 0.8
    assert sgd[-1, 0] < -0.1 < 0.8 < adam[-1, 0]


def test_intro_bowl_sgd_zig_zags_then_blows_up_as_kappa_rises(at):
    assert "at κ = 20 it zig-zags, from κ = 50 it blows up" in intro(at)
    at.selectbox(key="optimizers_surface").set_value("Quadratic bowl")
    run(at)
    assert at.number_input(key="optimizers_hp_SGD_lr").value == pytest.approx(0.1)
    at.select_slider(key="optimizers_condition").set_value(20)
    run(at)
    ys = drawn_path(at, "SGD (α=0.1)")[1:, 1]
    assert (np.sign(ys[1:]) == -np.sign(ys[:-1])).all() and abs(ys[-1]) > 1  # no damping
    assert not any("SGD (α=0.1) stopped" in w.value for w in at.warning)
    at.select_slider(key="optimizers_condition").set_value(50)
    run(at)
    assert any("SGD (α=0.1) stopped at step" in w.value for w in at.warning)


def test_intro_saddle_everyone_escapes_from_just_off_the_line_and_nobody_on_it(at):
    assert "the saddle from just off y = 0 (who escapes first? then start on y = 0)" in intro(at)
    at.selectbox(key="optimizers_surface").set_value("Saddle")
    run(at)
    assert at.number_input(key="optimizers_y0").value == 0.01
    assert all(abs(y) > 2 for _, y in final_beta(at).values())  # out of the window
    at.number_input(key="optimizers_y0").set_value(0.0)
    run(at)
    assert all(y == 0 and abs(x) < 0.01 for x, y in final_beta(at).values())  # at the saddle
