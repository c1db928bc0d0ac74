"""AppTest for the Experiments page: knobs, messages, a tiny set end to end, stop, tools."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.engine.learning.config import RunConfig
from core.engine.learning.models import linear_spec
from core.engine.looks.inside import update_level
from core.engine.products.predictor import pretrained_present

PAGE = str(Path(__file__).resolve().parents[2] / "views" / "experiments" / "page.py")


def _open(tab: str | None = None) -> AppTest:
    at = AppTest.from_file(PAGE)
    if tab:
        at.session_state["experiments_tab"] = tab
    at.run(timeout=60)
    assert not at.exception, [e.value for e in at.exception]
    return at


def _wait_for_set(exp_id: str, at: AppTest) -> list:
    from ui.runner import get_runner

    runner = get_runner()
    first = at.session_state[f"experiments_{exp_id}_job"]
    snaps = [runner.wait(s.id, timeout=60) for s in runner.jobs(group=exp_id)]
    assert first in [s.id for s in snaps]
    return snaps


def test_defaults_show_the_claim_the_estimate_and_the_run_button(runs_dir):
    at = _open()
    assert "Experiments" in at.title[0].value
    assert any(m.value.startswith("**Claim:**") for m in at.markdown)
    estimate = next(c.value for c in at.caption if "training samples in all" in c.value)
    assert estimate.startswith("6 runs, 60,000 training samples") and "about" in estimate
    assert at.button(key="experiments_data_size_run").disabled is (
        any(cb.key == "experiments_data_size_confirm" for cb in at.checkbox)
    )  # a long set waits for its confirmation
    assert at.button(key="experiments_data_size_stop").disabled


def test_bad_knobs_get_messages_not_tracebacks(runs_dir):
    at = _open()
    at.multiselect(key="experiments_data_size_sizes").set_value([500, "lots"]).run(timeout=60)
    assert not at.exception
    assert "'lots' is not a whole number" in at.error[0].value
    at.multiselect(key="experiments_data_size_sizes").set_value([]).run(timeout=60)
    assert "at least one" in at.error[0].value
    assert not [b for b in at.button if b.key == "experiments_data_size_run"]

    at = _open("Learning rate")
    at.number_input(key="experiments_learning_rate_lo").set_value(1.0)
    at.number_input(key="experiments_learning_rate_hi").set_value(0.1).run(timeout=60)
    assert not at.exception
    assert "must be below the largest" in at.error[0].value


@pytest.mark.slow
def test_a_tiny_data_size_set_runs_and_says_what_the_numbers_show(runs_dir):
    at = _open()
    at.multiselect(key="experiments_data_size_sizes").set_value([50, "100"])
    at.number_input(key="experiments_data_size_budget").set_value(100)
    at.selectbox(key="experiments_data_size_model").set_value("linear")
    at.number_input(key="experiments_data_size_test").set_value(100)
    at.run(timeout=60)
    assert any(c.value.startswith("2 runs, 200 training samples") for c in at.caption)
    at.button(key="experiments_data_size_run").click().run(timeout=60)
    assert not at.exception
    snaps = _wait_for_set("data_size", at)
    assert [s.status for s in snaps] == ["done", "done"] and {s.group for s in snaps} == {
        "data_size"
    }
    at.run(timeout=60)
    assert not at.exception
    assert any("What the numbers show" in m.value for m in at.markdown)
    assert len(at.get("plotly_chart")) == 2
    assert list(at.dataframe[0].value["images"]) == [50, 100]
    assert not at.button(key="experiments_data_size_run").disabled
    assert at.button(key="experiments_data_size_stop").disabled


@pytest.mark.slow
def test_stopping_the_experiment_stops_all_its_runs(runs_dir):
    at = _open("Batch size")
    at.multiselect(key="experiments_batch_size_sizes").set_value([1, 2])
    # every image, 50 epochs: over LONG_RUN_S at any step cost above 0.02 ms, so on any
    # machine (5,000 images x 10 epochs fell under it on a quiet fast one)
    at.number_input(key="experiments_batch_size_n").set_value(60_000)
    at.number_input(key="experiments_batch_size_epochs").set_value(50)
    at.run(timeout=60)
    confirm = [cb for cb in at.checkbox if cb.key == "experiments_batch_size_confirm"]
    assert confirm, "a set this big must ask before it starts"
    assert at.button(key="experiments_batch_size_run").disabled
    confirm[0].check().run(timeout=60)
    at.button(key="experiments_batch_size_run").click().run(timeout=60)
    assert not at.button(key="experiments_batch_size_stop").disabled
    at.button(key="experiments_batch_size_stop").click().run(timeout=60)
    snaps = _wait_for_set("batch_size", at)
    assert len(snaps) == 3 and all(s.status == "stopped" for s in snaps)
    at.run(timeout=60)
    assert not at.exception and not at.button(key="experiments_batch_size_run").disabled
    table = at.dataframe[0].value  # a run stopped before its test: the grid says so, not None
    untested = sum(1 for s in snaps if not s.test)  # one stopped mid-epoch is tested at the stop
    assert untested and list(table["test accuracy"]).count("not measured") == untested
    assert not table.isna().any().any()


@pytest.mark.slow
def test_a_tiny_lr_sweep_marks_the_diverged_runs(runs_dir):
    at = _open("Learning rate")
    at.number_input(key="experiments_learning_rate_lo").set_value(0.01)
    at.number_input(key="experiments_learning_rate_hi").set_value(100.0)
    at.slider(key="experiments_learning_rate_points").set_value(3)
    at.number_input(key="experiments_learning_rate_n").set_value(128)
    at.selectbox(key="experiments_learning_rate_model").set_value("linear")
    at.number_input(key="experiments_learning_rate_test").set_value(100)
    at.run(timeout=60)
    at.button(key="experiments_learning_rate_run").click().run(timeout=60)
    _wait_for_set("learning_rate", at)
    at.run(timeout=60)
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert list(table["lr"]) == [0.01, 1.0, 100.0]
    assert table["verdict"].iloc[-1] == "diverged"
    assert any(m.value.find("Diverged: lr = ") >= 0 for m in at.markdown)
    # issue 26: each run's update ratio, from its own probes (a linear model has no hidden
    # units, so no dead ones to count)
    from ui.runner import get_runner

    jobs = sorted(get_runner().jobs(group="learning_rate"), key=lambda j: j.config.lr)
    expected = [update_level(j.probes) for j in jobs]
    assert None not in expected
    assert list(table["update (log10)"]) == pytest.approx(expected)
    assert set(table["dead units"]) == {"not measured"}
    assert any(c.proto.id.endswith("experiments_lr_inside") for c in at.get("plotly_chart"))


def test_the_pipeline_tab_measures_all_three(runs_dir):
    at = _open("Data pipeline")
    assert len(at.expander) >= 4  # the code of each pipeline and of the timing, one click away
    at.number_input(key="experiments_pipe_n").set_value(64).run(timeout=60)
    at.button(key="experiments_pipe_run").click().run(timeout=60)
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["pipeline"]) == [
        "Manual batching loop",
        "DataLoader + transforms",
        "Tensor-resident batches",
    ]
    assert (table["samples/s (median)"] > 0).all() and len(at.get("plotly_chart")) == 1
    assert (table["slowest round"] <= table["samples/s (median)"]).all()
    assert (table["samples/s (median)"] <= table["fastest round"]).all()
    shown = next(m.value for m in at.markdown if m.value.startswith("**What the numbers show**"))
    assert "× the manual loop" in shown and "one epoch of 60,000 images" in shown
    # issue 27: a measurement taught as one: a linear axis from 0, each round's spread drawn,
    # and the time it takes said from this machine's own last rates, not a fixed 2,000/s
    import json

    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert chart["layout"]["yaxis"].get("type") in (None, "linear")
    assert chart["layout"]["yaxis"]["rangemode"] == "tozero"
    assert chart["data"][0]["error_y"]["symmetric"] is False
    at.run(timeout=60)  # the next visit of the tab says how long, from these rates
    caption = next(c.value for c in at.caption if c.value.startswith("Measuring takes"))
    slower = min(table["samples/s (median)"][:2])
    assert f"at the {slower:,} samples/s" in caption and "2,000 samples/s" not in caption


def test_a_busy_machine_is_said_before_measuring(runs_dir, monkeypatch):
    import views.experiments.tools as tools

    monkeypatch.setattr(tools, "machine_load", lambda: 2.7)
    at = _open("Data pipeline")
    assert any("This machine is busy (2.7 processes per core" in w.value for w in at.warning)
    import views.experiments.launch as launch

    monkeypatch.setattr(launch, "machine_load", lambda: 2.7)
    at = _open("Data size")  # the estimate of a set says it was timed against other work
    estimate = next(c.value for c in at.caption if "training samples in all" in c.value)
    assert "This machine is busy (2.7 processes per core)" in estimate


@pytest.fixture
def saved_run(runner):
    config = RunConfig(model=linear_spec(), optimizer="SGD", lr=0.1, train_subset=200)
    snap = runner.wait(runner.submit(config, name="browse me"), timeout=60)
    assert snap.status == "done"
    return snap


@pytest.mark.slow
def test_the_test_set_browser_filters_and_explains_one_image(saved_run):
    at = _open("Test-set browser")
    assert not at.error
    models = at.selectbox(key="experiments_browse_model")
    assert any(o.startswith("Run browse me · MNIST") for o in models.options)
    assert (at.info and "not here yet" in at.info[0].value) != pretrained_present()
    if pretrained_present():  # the shipped model comes first; pick the run instead
        at.selectbox(key="experiments_browse_model").select_index(1).run(timeout=60)
    assert len(at.get("image")) == 2  # the page of thumbnails and the close-up
    first = next(c.value for c in at.caption if "test images match" in c.value)
    assert first.startswith("10,000 of 10,000")
    at.toggle(key="experiments_browse_wrong").set_value(True).run(timeout=60)
    at.selectbox(key="experiments_browse_true").set_value("7").run(timeout=60)
    assert not at.exception
    matched = next(c.value for c in at.caption if "test images match" in c.value)
    count = int(matched.split(" of ")[0].replace(",", ""))
    assert 0 < count < 1_135
    pick = at.selectbox(key="experiments_browse_pick")
    assert pick.options and all("(7)" in o for o in pick.options)
    assert len(at.get("plotly_chart")) == 1
