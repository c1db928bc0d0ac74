"""The Train page in AppTest: configure, start, watch progress and curves, stop, inspect."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.engine.learning.models import MAX_HIDDEN_LAYERS, ConvSpec, ModelSpec, parse_hidden
from core.engine.learning.presets import run_preset
from core.engine.runs.record import RunStatus
from core.errors import ConfigError
from tests import corrupt_runs as corrupt
from tests.app.train_sections import COMPARE_SECTION, INSPECT_SECTION, open_section, train_page
from ui.runner import forget_saved_runs, get_runner

PAGE = str(Path(__file__).resolve().parents[2] / "views" / "train" / "page.py")
TIMEOUT = 120


@pytest.fixture
def at(runs_dir):
    app = AppTest.from_file(PAGE).run(timeout=TIMEOUT)
    assert not app.exception, [e.value for e in app.exception]
    yield app
    for snap in get_runner().jobs():
        get_runner().stop(snap.id)


def small(app: AppTest, train: int, test: int = 200, log_interval: int = 2) -> AppTest:
    app.number_input(key="training_train_subset").set_value(train)
    app.number_input(key="training_test_subset").set_value(test)
    app.number_input(key="training_log_interval").set_value(log_interval)
    return app.run(timeout=TIMEOUT)


def chart(app: AppTest, key: str = "training_live_chart") -> dict:
    """What the live chart component was handed: its mode, the runs it polls, their curves."""
    (element,) = [e for e in app.get("bidi_component") if e.proto.id.endswith(key)]
    return json.loads(element.proto.json)


def chart_points(app: AppTest) -> int:
    """Training-loss points of the live chart's run."""
    return len(chart(app)["payload"]["runs"][0]["train"]["loss"])


def text_copy(app: AppTest) -> str:
    """The live view's numbers as text (what a page without the chart shows)."""
    return "\n".join(c.value for c in app.caption)


@pytest.mark.slow
def test_configure_start_see_progress_and_the_curve_then_stop(at):
    small(at, train=20_000)
    at.button(key="training_start").click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    job_id = at.session_state["training_job"]
    assert at.query_params["training_job"] == [job_id] or at.query_params["training_job"] == job_id
    deadline = time.monotonic() + TIMEOUT
    while len(get_runner().snapshot(job_id).train) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
    at.run(timeout=TIMEOUT)
    assert "epoch 1/2" in text_copy(at) and "images/s" in text_copy(at)
    live = chart(at)
    assert live["mode"] == "single" and live["ids"] == [job_id] and live["token"]
    (run,) = live["payload"]["runs"]
    assert run["status"] == "running" and "epoch 1/2" in run["progress_text"]
    assert chart_points(at) >= 3 and len(run["train"]["step"]) == chart_points(at)
    assert "epoch: 1 [" in run["log"][-1] and "training loss:" in run["log"][-1]
    at.button(key="training_stop").click().run(timeout=TIMEOUT)
    snap = get_runner().wait(job_id, TIMEOUT)
    assert snap.status == RunStatus.STOPPED
    at.run(timeout=TIMEOUT)
    assert "stopped" in text_copy(at) and chart(at)["ids"] == []  # nothing left to follow
    assert not at.exception
    # The model it keeps was tested at the stop: one accuracy, the same in every place.
    (row,) = snap.test
    assert 0 < row["epoch"] < 1 and row["step"] == snap.step
    shown = f"{row['accuracy']:.2%}"
    (run,) = chart(at)["payload"]["runs"]
    assert f"test accuracy {shown} (when stopped" in text_copy(at)
    assert f"{run['accuracy']:.2%}" == shown and run["tested_when"].startswith("when stopped")
    assert at.dataframe[-1].value["test accuracy"].iloc[0] == f"{shown} (at the stop)"
    forget_saved_runs()
    open_section(at, INSPECT_SECTION, TIMEOUT)
    assert any(f"right **{shown}**" in m.value for m in at.markdown)  # Look inside, re-scored


def test_a_model_that_does_not_fit_28x28_is_refused_naming_the_layer(at):
    at.number_input(key="training_n_convs").set_value(4).run(timeout=TIMEOUT)
    for i in range(4):
        at.number_input(key=f"training_conv{i}_kernel_size").set_value(7)
    at.run(timeout=TIMEOUT)
    assert any("breaks at layer" in e.value for e in at.error)
    assert at.button(key="training_start").disabled
    assert not at.exception


def test_only_the_open_part_runs_and_a_link_opens_the_part_it_names(runs_dir):
    def parts(at: AppTest) -> list[str]:
        """Which of the three parts drew something: Start, the compare text, the run picker."""
        texts = " ".join(m.value for m in at.markdown)
        return [name for name, drawn in [
            ("train", "training_start" in [b.key for b in at.button]),
            ("compare", "Overlay any runs" in texts),
            ("inspect", "training_inspect" in [s.key for s in at.selectbox]),
        ] if drawn]  # fmt: skip

    at = train_page()
    assert not at.exception and "section" not in at.query_params  # the default part
    assert parts(at) == ["train"]
    open_section(at, COMPARE_SECTION, TIMEOUT)
    assert parts(at) == ["compare"]
    assert at.query_params["section"] == COMPARE_SECTION  # a copied link keeps the part
    shared = AppTest.from_file(PAGE)
    shared.query_params["section"] = INSPECT_SECTION
    shared.run(timeout=TIMEOUT)
    assert not shared.exception and not [i for i in shared.info if "could not" in i.value]
    assert parts(shared) == ["inspect"]  # the shipped model is there to look inside


def test_presets_and_optimizers_fill_in_their_own_settings(at):
    at.selectbox(key="training_preset").set_value("fast").run(timeout=TIMEOUT)
    assert at.selectbox(key="training_optimizer").value == "Adam"
    assert at.selectbox(key="training_schedule").value == "OneCycle"
    assert at.number_input(key="training_batch_size").value == 128
    at.selectbox(key="training_optimizer").set_value("SGD").run(timeout=TIMEOUT)
    assert at.number_input(key="training_lr").value == pytest.approx(0.05)
    assert at.number_input(key="training_opt_momentum").value == 0.0
    table = at.table[0].value
    assert table["parameters"].sum() == 80_202  # the fast preset's layer table
    assert not at.exception


@pytest.mark.slow
def test_fair_comparison_and_a_finished_run_to_inspect(at):
    small(at, train=256, test=100)
    at.number_input(key="training_epochs").set_value(1).run(timeout=TIMEOUT)
    at.button(key="training_fair_start").click().run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    snaps = get_runner().jobs()
    assert [s.config.optimizer for s in snaps] == ["SGD", "Adadelta", "Adam"]
    assert len({s.group for s in snaps}) == 1 and snaps[0].group.startswith("fair-")
    assert at.session_state["training_compare"] == [s.id for s in snaps]
    done = [get_runner().wait(s.id, TIMEOUT) for s in snaps]
    assert {s.status for s in done} == {RunStatus.DONE}
    assert len({s.init_hash for s in done}) == 1

    open_section(at, INSPECT_SECTION, TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    titles = [c["layout"]["title"]["text"] for c in charts]
    assert "Confusion matrix (test set)" in titles and "Accuracy per class" in titles
    assert len(at.get("image")) > 0  # the gallery of misclassified images
    open_section(at, COMPARE_SECTION, TIMEOUT)
    compared = chart(at, "training_cmp_chart")
    assert compared["mode"] == "compare" and compared["ids"] == []  # all done: no polling
    assert [r["id"] for r in compared["payload"]["runs"]] == [s.id for s in snaps]


@pytest.mark.slow
def test_a_refresh_reattaches_to_the_run_through_the_url(at):
    small(at, train=256, test=100)
    at.number_input(key="training_epochs").set_value(1).run(timeout=TIMEOUT)
    at.button(key="training_start").click().run(timeout=TIMEOUT)
    job_id = at.session_state["training_job"]
    owner = at.session_state["runner_owner"]
    get_runner().wait(job_id, TIMEOUT)

    fresh = AppTest.from_file(PAGE)  # a new browser session with the same URL
    fresh.query_params["training_job"] = job_id
    fresh.query_params["session"] = owner
    fresh.run(timeout=TIMEOUT)
    assert not fresh.exception
    assert fresh.session_state["training_job"] == job_id
    assert "done" in text_copy(fresh) and "batch 32" in text_copy(fresh)
    assert fresh.selectbox(key="training_show_run").value == job_id  # listed as "yours"


@pytest.mark.slow
def test_a_finished_run_can_be_downloaded_and_deleted(at):
    small(at, train=256, test=100)
    at.number_input(key="training_epochs").set_value(1).run(timeout=TIMEOUT)
    at.button(key="training_start").click().run(timeout=TIMEOUT)
    job_id = at.session_state["training_job"]
    folder = Path(get_runner().wait(job_id, TIMEOUT).run_dir)
    open_section(at, INSPECT_SECTION, TIMEOUT)
    download = at.get("download_button")
    assert any(d.proto.label == "Download metrics (CSV)" for d in download)
    assert at.button(key="training_delete").disabled  # needs the confirmation first
    at.checkbox(key="training_delete_sure").check().run(timeout=TIMEOUT)
    at.button(key="training_delete").click().run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    assert not folder.exists() and not get_runner().has(job_id)
    assert "training_job" not in at.session_state


@pytest.mark.slow
def test_a_nan_run_fails_with_its_message_and_the_labels_do_not_go_stale(at):
    small(at, train=1000, test=100, log_interval=10)
    at.selectbox(key="training_optimizer").set_value("SGD")
    at.selectbox(key="training_activation").set_value("LeakyReLU").run(timeout=TIMEOUT)
    at.number_input(key="training_lr").set_value(5.0).run(timeout=TIMEOUT)
    at.button(key="training_start").click().run(timeout=TIMEOUT)
    picked = list(at.selectbox(key="training_show_run").options)
    snap = get_runner().wait(at.session_state["training_job"], TIMEOUT)
    assert snap.status == RunStatus.FAILED and snap.step < 10  # before the first logged batch
    at.run(timeout=TIMEOUT)
    assert not at.exception
    assert any("became NaN" in e.value for e in at.error)
    # it failed before its first logged batch, yet the climb to the explosion is drawn
    steps = [r["step"] for r in snap.train]
    assert steps == list(range(1, len(steps) + 1)) and f"at step {len(steps) + 1}" in snap.error
    assert chart_points(at) == len(steps) and max(r["loss"] for r in snap.train) > 2.3
    # The browser keeps the label it got when the run was picked: it must not carry a status.
    assert list(at.selectbox(key="training_show_run").options) == picked
    assert not any(word in picked[0] for word in ("queued", "running", "failed"))


@pytest.mark.slow
def test_compare_picks_survive_a_visit_to_another_page(runs_dir):
    """(The chart's own settings live in the browser: tests/e2e/test_training.py.)"""
    tiny = run_preset("classic").with_changes(
        model=ModelSpec(convs=[ConvSpec(4, 3, 2, 0, "max")], hidden=[16]),
        train_subset=64, test_subset=50, epochs=1,
    )  # fmt: skip
    ids = [get_runner().submit(tiny.with_changes(seed=s)) for s in (0, 1)]
    for i in ids:
        get_runner().wait(i, TIMEOUT)
    app = AppTest.from_file(str(Path(PAGE).parents[2] / "app.py")).run(timeout=TIMEOUT)
    app.switch_page("views/train/page.py")
    open_section(app, COMPARE_SECTION, TIMEOUT)
    app.multiselect(key="training_compare").set_value(ids).run(timeout=TIMEOUT)
    app.toggle(key="training_cmp_all").set_value(True).run(timeout=TIMEOUT)

    app.switch_page("views/tensors.py").run(timeout=TIMEOUT)
    app.switch_page("views/train/page.py").run(timeout=TIMEOUT)
    assert not app.exception, [e.value for e in app.exception]
    assert app.multiselect(key="training_compare").value == ids
    assert app.toggle(key="training_cmp_all").value is True
    assert [r["id"] for r in chart(app, "training_cmp_chart")["payload"]["runs"]] == ids


def test_the_form_refuses_too_many_hidden_layers_with_core_s_message(at):
    text = ",".join(["8"] * (MAX_HIDDEN_LAYERS + 1))
    with pytest.raises(ConfigError) as refused:
        parse_hidden(text)  # what the CLI's --hidden calls too
    at.text_input(key="training_hidden").set_value(text).run(timeout=TIMEOUT)
    assert str(refused.value) in [e.value for e in at.error]
    assert at.button(key="training_start").disabled


def test_damaged_run_folders_never_break_the_page_and_are_named(runs_dir):
    corrupt.make_corrupt_runs(runs_dir)
    at = train_page(COMPARE_SECTION, TIMEOUT)  # the tab that lists every saved run
    assert not at.exception, [e.value for e in at.exception]
    notice = " ".join(w.value for w in at.warning)
    assert all(name in notice for name in corrupt.UNREADABLE) and "left out" in notice
    # every damaged run can be compared and looked inside
    damaged = [*corrupt.DAMAGED, corrupt.MISSING_FILES, corrupt.BAD_META]
    at.multiselect(key="training_compare").set_value([corrupt.GOOD, *damaged[:9]])
    at.run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    open_section(at, INSPECT_SECTION, TIMEOUT)
    for name in damaged:
        at.selectbox(key="training_inspect").set_value(name).run(timeout=TIMEOUT)
        assert not at.exception, (name, [e.value for e in at.exception])
        if name in corrupt.DAMAGED:
            assert any(corrupt.DAMAGED[name] in w.value for w in at.warning), name


@pytest.mark.slow
def test_another_tab_views_a_run_read_only_and_the_teacher_controls_it(at, monkeypatch):
    monkeypatch.setenv("TORCHLAB_TEACHER_PASSWORD", "chalk")
    small(at, train=60_000 // 4, test=100, log_interval=10)
    at.button(key="training_start").click().run(timeout=TIMEOUT)
    job_id = at.session_state["training_job"]

    visitor = AppTest.from_file(str(Path(PAGE).parents[2] / "app.py"))  # with the sidebar
    visitor.query_params["training_job"] = job_id  # a tab that only knows the run's id
    visitor.run(timeout=TIMEOUT)
    visitor.switch_page("views/train/page.py").run(timeout=TIMEOUT)
    assert not visitor.exception, [e.value for e in visitor.exception]
    assert visitor.session_state["training_job"] == job_id  # it sees the live view...
    assert not [b for b in visitor.button if b.key == "training_stop"]  # ...but no Stop
    assert any("read-only" in c.value for c in visitor.caption)
    assert not get_runner().snapshot(job_id).finished

    visitor.sidebar.text_input[0].input("wrong")
    visitor.sidebar.button[0].click().run(timeout=TIMEOUT)  # the form's submit button
    assert any("not the teacher password" in e.value for e in visitor.error)
    assert not [b for b in visitor.button if b.key == "training_stop"]
    visitor.sidebar.text_input[0].input("chalk")
    visitor.sidebar.button[0].click().run(timeout=TIMEOUT)
    visitor.run(timeout=TIMEOUT)
    visitor.button(key="training_stop").click().run(timeout=TIMEOUT)
    assert get_runner().wait(job_id, TIMEOUT).status == RunStatus.STOPPED
    visitor.run(timeout=TIMEOUT)
    assert not visitor.exception, [e.value for e in visitor.exception]
    # The stopped run: the owner may delete it; another plain tab may not.
    forget_saved_runs()  # the run folders are otherwise re-read every few seconds
    other = train_page(INSPECT_SECTION, TIMEOUT)
    other.selectbox(key="training_inspect").set_value(job_id).run(timeout=TIMEOUT)
    assert not [c for c in other.checkbox if c.key == "training_delete_sure"]
    assert any("Only the tab that started it, or the teacher" in c.value for c in other.caption)
    open_section(at, INSPECT_SECTION, TIMEOUT)
    assert at.checkbox(key="training_delete_sure")


@pytest.mark.slow
def test_a_saved_runs_inside_is_shown_and_a_damaged_probe_file_is_a_notice(runner, runs_dir):
    config = run_preset("classic").with_changes(
        model=ModelSpec(convs=[ConvSpec(8, 3, 1, 0, "max")], hidden=[16]),
        train_subset=6400, test_subset=100, epochs=1,
    )  # fmt: skip
    done = runner.wait(runner.submit(config, name="probed"), TIMEOUT)
    assert done.probes  # the worker probed it
    at = train_page(INSPECT_SECTION, TIMEOUT)
    at.selectbox(key="training_inspect").set_value(done.id).run(timeout=TIMEOUT)
    assert not at.exception, [e.value for e in at.exception]
    (run,) = chart(at, "training_inspect_chart")["payload"]["runs"]
    inside = run["inside"]
    assert inside["step"][-1] == done.probes[-1]["step"]  # read back from probes.json
    names = [layer["name"] for layer in inside["layers"]]
    assert names[:3] == ["conv1", "conv1.relu", "conv1.maxpool2d"] and names[-1] == "fc2"
    relu = next(layer for layer in inside["layers"] if layer["name"] == "fc1.relu")
    last = next(x for x in done.probes[-1]["layers"] if x["name"] == "fc1.relu")
    assert relu["dead"][-1] == last["dead"] and f"{last['dead']:.0%}" in relu["sentence"]
    assert inside["digit"]["softmax"] == done.digit["softmax"]
    shown = text_copy(at)
    assert "Inside the network:" in shown and relu["sentence"] in shown

    (done.run_dir / "probes.json").write_text("{cut")
    forget_saved_runs()
    at.run(timeout=TIMEOUT)
    assert not at.exception and "probes.json could not be read" in text_copy(at)
    (run,) = chart(at, "training_inspect_chart")["payload"]["runs"]
    assert run["inside"] is None
