"""Links of the pages around training runs: the Train form, the Experiments knobs, the
Canvas model (see test_links.py for the rest and the idea)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.link_pages import TIMEOUT, notices, page, reopened


def form_params(at: AppTest) -> dict:
    """The Train page's URL without the tab's owner token (the Copy link leaves it out)."""
    return {k: v for k, v in at.query_params.items() if k != "session"}


def reopened_as_shared(at: AppTest, name: str) -> AppTest:
    fresh = page(name)
    fresh.query_params.update(form_params(at))
    return fresh.run(timeout=TIMEOUT)


def test_train_form_round_trips_through_the_url(runs_dir):
    at = page("train/page.py").run(timeout=TIMEOUT)
    assert not at.exception and form_params(at) == {}
    at.selectbox(key="training_optimizer").set_value("SGD").run(timeout=TIMEOUT)  # its lr 0.05
    at.number_input(key="training_opt_momentum").set_value(0.9)
    at.number_input(key="training_n_convs").set_value(3).run(timeout=TIMEOUT)
    at.number_input(key="training_conv2_channels").set_value(48)
    at.selectbox(key="training_conv2_pool").set_value("avg")
    at.text_input(key="training_hidden").set_value("128, 32")
    at.slider(key="training_dropout").set_value(0.4)
    at.selectbox(key="training_schedule").set_value("StepLR").run(timeout=TIMEOUT)
    at.number_input(key="training_sched_step_size").set_value(3)
    at.number_input(key="training_train_subset").set_value(2_000)
    at.number_input(key="training_seed").set_value(11).run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    assert form_params(at) == {
        "opt": "SGD", "lr": "0.05", "momentum": "0.9", "convs": "3", "c3ch": "48",
        "c3pool": "avg", "hidden": "128, 32", "drop": "0.4", "sched": "StepLR",
        "step_size": "3", "ntrain": "2000", "seed": "11",
    }  # fmt: skip
    fresh = reopened_as_shared(at, "train/page.py")
    assert not fresh.exception and not notices(fresh) and not fresh.error
    for kind, key, value in [
        ("selectbox", "optimizer", "SGD"),
        ("number_input", "lr", 0.05),
        ("number_input", "opt_momentum", 0.9),
        ("number_input", "n_convs", 3),
        ("number_input", "conv2_channels", 48),
        ("selectbox", "conv2_pool", "avg"),
        ("text_input", "hidden", "128, 32"),
        ("slider", "dropout", 0.4),
        ("selectbox", "schedule", "StepLR"),
        ("number_input", "sched_step_size", 3),
        ("number_input", "train_subset", 2_000),
        ("number_input", "seed", 11),
    ]:
        assert getattr(fresh, kind)(key="training_" + key).value == value, key
    assert fresh.table[0].value["layer"].str.contains("AvgPool2d").any()  # the model built
    at.number_input(key="training_seed").set_value(0).run(timeout=TIMEOUT)
    assert "seed" not in form_params(at)  # back at the default, out of the link


def test_a_hostile_train_link_opens_the_defaults_and_says_what_was_ignored(runs_dir):
    at = page("train/page.py")
    at.query_params.update(
        {
            "lr": "1e9",
            "epochs": "2.5",
            "opt": "Lion",
            "batch": "-3",
            "hidden": "6" * 5000,
            "device": "cuda",
            "training_job": "not-a-run",  # the frame's, not the form's
        }
    )
    at.run(timeout=TIMEOUT)
    assert not at.exception
    text = notices(at)
    assert "`lr=1e9` (outside 1e-06 to" in text
    assert "`epochs=2.5` (not a whole number)" in text
    assert "`opt=Lion` (not one of SGD" in text
    assert "`batch=-3` (outside 1 to" in text
    assert "`hidden` (longer than 4,000 characters)" in text
    assert "`device` (not a setting of this page)" in text
    assert "training_job" not in text
    assert at.number_input(key="training_lr").value == 0.5  # the classic preset's
    assert at.selectbox(key="training_optimizer").value == "Adadelta"
    assert at.number_input(key="training_epochs").value == 2
    assert at.text_input(key="training_hidden").value == "64"
    assert set(form_params(at)) <= {"training_job"}


def test_a_train_link_the_form_refuses_gets_the_forms_own_message(runs_dir):
    """In range for the link, wrong for the form: the same message as typed input."""
    at = page("train/page.py")
    at.query_params.update({"convs": "4", "c1k": "7", "c2k": "7", "c3k": "7", "c4k": "7"})
    at.run(timeout=TIMEOUT)
    assert not at.exception and not notices(at)
    assert at.error and "breaks at layer" in at.error[0].value
    assert at.button(key="training_start").disabled
    at.query_params.clear()
    fresh = page("train/page.py")
    fresh.query_params.update({"hidden": "64, x", "opt": "SGD", "weight_decay": "0.5"})
    fresh.run(timeout=TIMEOUT)  # AdamW's weight decay goes to 1, SGD's to 0.1
    assert not fresh.exception and not notices(fresh)
    assert any("outside 0 to 0.1 for SGD" in w.value for w in fresh.warning)
    assert fresh.number_input(key="training_opt_weight_decay").value == 0.0
    assert fresh.error and "x" in fresh.error[0].value  # parse_hidden's message


def test_experiments_tab_and_knobs_round_trip_through_the_url(runs_dir):
    at = page("experiments/page.py").run(timeout=TIMEOUT)
    assert not at.exception and dict(at.query_params) == {}
    at.multiselect(key="experiments_data_size_sizes").set_value([500, "1500", "3k"])
    at.checkbox(key="experiments_data_size_baseline").set_value(False)
    at.selectbox(key="experiments_data_size_model").set_value("linear").run(timeout=TIMEOUT)
    at.session_state["experiments_tab"] = "Learning rate"
    at.run(timeout=TIMEOUT)
    at.selectbox(key="experiments_learning_rate_opt").set_value("Adam")
    at.number_input(key="experiments_learning_rate_lo").set_value(0.001)
    at.slider(key="experiments_learning_rate_points").set_value(4).run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    assert dict(at.query_params) == {
        "tab": "Learning rate",
        "ds.sizes": "500,1500,3k",
        "ds.baseline": "0",
        "ds.model": "linear",
        "lr.opt": "Adam",
        "lr.lo": "0.001",
        "lr.points": "4",
    }  # fmt: skip  (the Data size tab's knobs stay while another tab is open)
    fresh = reopened(at, "experiments/page.py")
    assert not fresh.exception and not fresh.error
    assert "Part of this link" not in notices(fresh)
    assert fresh.session_state["experiments_tab"] == "Learning rate"
    assert fresh.selectbox(key="experiments_learning_rate_opt").value == "Adam"
    assert fresh.number_input(key="experiments_learning_rate_lo").value == 0.001
    assert fresh.slider(key="experiments_learning_rate_points").value == 4
    fresh.session_state["experiments_tab"] = "Data size"
    fresh.run(timeout=TIMEOUT)
    assert fresh.multiselect(key="experiments_data_size_sizes").value == [500, "1500", "3k"]
    assert fresh.checkbox(key="experiments_data_size_baseline").value is False
    assert fresh.selectbox(key="experiments_data_size_model").value == "linear"
    assert not fresh.exception and not fresh.error  # "3k" is read as typed: 3,000
    at.slider(key="experiments_learning_rate_points").set_value(6).run(timeout=TIMEOUT)
    assert "lr.points" not in at.query_params  # back at the default, out of the link


def test_a_hostile_experiments_link_opens_the_defaults_and_says_what_was_ignored(runs_dir):
    at = page("experiments/page.py")
    at.query_params.update(
        {
            "tab": "Everything",
            "ds.sizes": "500," + "9" * 5000,
            "bs.sizes": "1,1",
            "ds.budget": "1e12",
            "lr.points": "99",
            "ds.opt": "Lion",
            "ds.run": "1",  # a button is no setting
        }
    )
    at.run(timeout=TIMEOUT)
    assert not at.exception
    text = notices(at)
    assert "`tab=Everything` (not one of Data size" in text
    assert "`ds.sizes` (longer than 4,000 characters)" in text
    assert "`bs.sizes=1,1` (a count is repeated)" in text
    assert "`ds.budget=1e12` (not a whole number)" in text
    assert "`lr.points=99` (outside 2 to 12)" in text
    assert "`ds.opt=Lion` (not one of SGD" in text
    assert "`ds.run` (not a setting of this page)" in text
    assert at.session_state["experiments_tab"] == "Data size"
    assert at.multiselect(key="experiments_data_size_sizes").value == [500, 2_000, 10_000]
    assert at.number_input(key="experiments_data_size_budget").value == 10_000
    assert at.selectbox(key="experiments_data_size_opt").value == "Adadelta"
    assert dict(at.query_params) == {}  # what was ignored left the URL


def test_an_experiments_link_the_knobs_refuse_gets_the_pages_own_message(runs_dir):
    at = page("experiments/page.py")
    at.query_params.update({"ds.sizes": "500,lots"})  # a typed count, judged as typed
    at.run(timeout=TIMEOUT)
    assert not at.exception and "Part of this link" not in notices(at)
    assert at.multiselect(key="experiments_data_size_sizes").value == [500, "lots"]
    assert at.error and "'lots' is not a whole number" in at.error[0].value


def saved_digit_models(runs_dir: Path, tmp_path: Path, monkeypatch) -> list[str]:
    """Two saved MNIST runs (random weights) and no shipped model: the canvas's choices."""
    import torch

    from core.engine.learning.config import RunConfig
    from core.engine.learning.models import build_model, classic_spec
    from core.engine.products import predictor as pr
    from core.engine.runs.checkpoint import save_model
    from core.engine.runs.folder import StatusRecord, write_config, write_status
    from core.engine.runs.record import RunStatus

    monkeypatch.setattr(pr, "PRETRAINED_DIR", tmp_path / "no_pretrained")
    monkeypatch.setenv("TORCHLAB_HANDWRITING", str(tmp_path / "handwriting"))
    names = ["20260101-000000-first", "20260102-000000-second"]
    for name in names:
        folder, spec = runs_dir / name, classic_spec()
        torch.manual_seed(0)
        norm = {"dataset": "MNIST", "mean": 0.1307, "std": 0.3081}
        save_model(folder, build_model(spec), spec, norm)
        write_config(folder, RunConfig(name=name))
        write_status(folder, StatusRecord(RunStatus.DONE, started=1.0))
    return names


def test_canvas_model_and_settings_round_trip_through_the_url(runs_dir, tmp_path, monkeypatch):
    saved_digit_models(runs_dir, tmp_path, monkeypatch)
    at = page("canvas.py").run(timeout=TIMEOUT)
    assert not at.exception and dict(at.query_params) == {}
    picker = at.selectbox(key="canvas_model")
    picker.select_index(1)  # not the default model
    at.slider(key="canvas_stroke").set_value(30)
    at.toggle(key="canvas_live").set_value(False)
    at.toggle(key="canvas_step_center_of_mass").set_value(False).run(timeout=TIMEOUT)
    assert not at.exception
    chosen = at.session_state["canvas_model"]  # a folder; the link names it by its name
    assert dict(at.query_params) == {
        "model": Path(chosen).name, "pen": "30", "live": "0", "center_of_mass": "0"
    }  # fmt: skip
    fresh = reopened(at, "canvas.py")
    assert not fresh.exception and "Part of this link" not in notices(fresh)
    assert fresh.session_state["canvas_model"] == chosen
    assert fresh.slider(key="canvas_stroke").value == 30
    assert fresh.toggle(key="canvas_live").value is False
    assert fresh.toggle(key="canvas_step_center_of_mass").value is False
    at.slider(key="canvas_stroke").set_value(20).run(timeout=TIMEOUT)
    assert "pen" not in at.query_params  # back at the default, out of the link


def test_a_hostile_canvas_link_opens_the_default_model_and_says_what_was_ignored(
    runs_dir, tmp_path, monkeypatch
):
    saved_digit_models(runs_dir, tmp_path, monkeypatch)
    at = page("canvas.py")
    at.query_params.update(
        {
            "model": "../../etc/passwd",
            "pen": "99",
            "live": "yes",
            "source": "Webcam",
            "crop": "1" * 5000,
            "stroke_color": "#ff0000",
        }
    )
    at.run(timeout=TIMEOUT)
    assert not at.exception and not at.error
    text = notices(at)
    assert "`model=../../etc/passwd` (no such model on this server)" in text
    assert "`pen=99` (outside 6 to 40)" in text
    assert "`live=yes` (not 0 or 1)" in text
    assert "`source=Webcam` (not one of Draw, Upload a picture, A test image)" in text
    assert "`crop` (longer than 4,000 characters)" in text
    assert "`stroke_color` (not a setting of this page)" in text
    picker = at.selectbox(key="canvas_model")
    assert picker.index == 0  # the default model
    assert at.slider(key="canvas_stroke").value == 20
    assert at.toggle(key="canvas_live").value is True
    assert at.session_state["canvas_source"] == "Draw"
    assert dict(at.query_params) == {}  # what was ignored left the URL


def test_every_declared_setting_with_a_link_name_is_a_widget_and_comes_back_from_a_link(runs_dir):
    """The form and its link follow RunConfig's declarations: each declared setting with a
    link name opened from a URL at another value lands in the form and in the run it starts."""
    from core.engine.learning.config import SETTINGS
    from tests.run_settings import ALTERNATES
    from views.train.form import CONFIG_KEY, widget_value
    from views.train.link import LINK

    linked = {name: s for name, s in SETTINGS.items() if s.link}
    assert {s.link for s in linked.values()} <= {f.param for f in LINK}
    at = page("train/page.py")
    for name, setting in linked.items():
        at.query_params[setting.link] = str(widget_value(setting, ALTERNATES[name]))
    at.run(timeout=TIMEOUT)
    assert not at.exception and not at.error, [e.value for e in at.error]
    config = at.session_state[CONFIG_KEY]
    for name in linked:  # SGD chosen by a link keeps the link's lr, not SGD's default
        assert config[name] == ALTERNATES[name], name
