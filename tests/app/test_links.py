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


def test_layers_state_round_trips_through_the_url():
    at = page("layers/page.py").run(timeout=TIMEOUT)
    assert dict(at.query_params) == {}
    at.number_input(key="layers_seed").set_value(7)
    at.session_state["layers_tab"] = "Convolution"
    at.run(timeout=TIMEOUT)
    at.number_input(key="layers_conv_s").set_value(2)
    at.number_input(key="layers_conv_p").set_value(1).run(timeout=TIMEOUT)
    at.session_state["layers_tab"] = "Recurrent"
    at.run(timeout=TIMEOUT)
    at.radio(key="layers_rnn_kind").set_value("LSTM")
    at.slider(key="layers_rnn_hidden").set_value(32).run(timeout=TIMEOUT)
    # the Convolution tab's settings stay in the link while another tab is open
    assert dict(at.query_params) == {
        "tab": "Recurrent", "seed": "7", "conv_s": "2", "conv_pad": "1", "rnn": "LSTM",
        "hidden": "32",
    }  # fmt: skip
    fresh = reopened(at, "layers/page.py")
    assert not fresh.exception and not notices(fresh) and not fresh.error
    assert fresh.session_state["layers_tab"] == "Recurrent"
    assert fresh.number_input(key="layers_seed").value == 7
    assert fresh.radio(key="layers_rnn_kind").value == "LSTM"
    assert fresh.slider(key="layers_rnn_hidden").value == 32
    fresh.session_state["layers_tab"] = "Convolution"
    fresh.run(timeout=TIMEOUT)
    assert fresh.number_input(key="layers_conv_s").value == 2
    assert fresh.number_input(key="layers_conv_p").value == 1
    assert "(1, 4, 14, 14)" in [m.value for m in fresh.metric]  # (28 + 2 − 3) // 2 + 1
    at.slider(key="layers_rnn_hidden").set_value(16).run(timeout=TIMEOUT)
    assert "hidden" not in at.query_params  # back at the default, out of the link


def test_a_hostile_layers_link_opens_the_defaults_and_says_what_was_ignored():
    at = page("layers/page.py")
    at.query_params.update(
        {
            "tab": "Attention",
            "conv_k": "99",
            "rnn": "Elman",
            "p": "half",
            "filters": "x" * 5000,
            "zzz": "1",
        }
    )
    at.run(timeout=TIMEOUT)
    assert not at.exception
    text = notices(at)
    assert "`tab=Attention` (not one of Fully connected" in text
    assert "`conv_k=99` (outside 1 to 11)" in text
    assert "`rnn=Elman` (not one of RNN, GRU, LSTM)" in text
    assert "`p=half` (not a number)" in text
    assert "`filters` (longer than 4,000 characters)" in text
    assert "`zzz` (not a setting of this page)" in text
    assert len(at.info) == 1
    assert at.session_state["layers_tab"] == "Fully connected"
    assert at.number_input(key="layers_units").value == 10
    assert dict(at.query_params) == {}  # what was ignored left the URL
    at.session_state["layers_tab"] = "Convolution"
    at.run(timeout=TIMEOUT)
    assert at.number_input(key="layers_conv_k").value == 3


def test_a_layers_link_whose_settings_do_not_fit_gets_the_pages_own_message():
    at = page("layers/page.py")
    at.query_params.update({"tab": "Convolution", "conv_k": "11", "conv_size": "7"})
    at.run(timeout=TIMEOUT)
    assert not at.exception and not notices(at)
    assert at.number_input(key="layers_conv_k").value == 11
    assert "kernel is larger than the 7×7 padded input" in at.error[0].value


def link_notice_only(at: AppTest) -> str:
    """The links' own message (pages also use st.info for their lessons)."""
    return "\n".join(i.value for i in at.info if "Part of this link" in i.value)


def test_optimizers_state_round_trips_through_the_url():
    at = page("optimizers.py").run(timeout=TIMEOUT)
    assert dict(at.query_params) == {}
    at.number_input(key="optimizers_steps").set_value(200)
    at.select_slider(key="optimizers_tol").set_value(1e-4)
    at.multiselect(key="optimizers_chosen").set_value(["SGD", "Adam"]).run(timeout=TIMEOUT)
    at.number_input(key="optimizers_hp_Adam_lr").set_value(0.05)
    at.number_input(key="optimizers_hp_Adam_beta1").set_value(0.5)
    at.number_input(key="optimizers_x0").set_value(0.5).run(timeout=TIMEOUT)
    assert dict(at.query_params) == {
        "steps": "200", "tol": "0.0001", "opts": "SGD,Adam", "adam.lr": "0.05",
        "adam.beta1": "0.5", "x": "0.5", "step": "200",  # the step shown follows the steps
    }  # fmt: skip
    fresh = reopened(at, "optimizers.py")
    assert not fresh.exception and not link_notice_only(fresh)
    assert fresh.number_input(key="optimizers_steps").value == 200
    assert fresh.select_slider(key="optimizers_tol").value == 1e-4
    assert fresh.multiselect(key="optimizers_chosen").value == ["SGD", "Adam"]
    assert fresh.number_input(key="optimizers_hp_Adam_lr").value == 0.05
    assert fresh.number_input(key="optimizers_hp_Adam_beta1").value == 0.5
    assert fresh.number_input(key="optimizers_x0").value == 0.5
    # another surface brings its own start and rates: the link carries them all
    at.selectbox(key="optimizers_surface").set_value("Himmelblau").run(timeout=TIMEOUT)
    fresh = reopened(at, "optimizers.py")
    assert not fresh.exception and not link_notice_only(fresh)
    assert dict(fresh.query_params) == dict(at.query_params)
    for key in ("optimizers_x0", "optimizers_y0", "optimizers_hp_SGD_lr", "optimizers_rule_lr"):
        assert fresh.number_input(key=key).value == at.number_input(key=key).value, key
    at.selectbox(key="optimizers_surface").set_value("Rosenbrock")
    at.number_input(key="optimizers_steps").set_value(500).run(timeout=TIMEOUT)
    assert "surface" not in at.query_params and "steps" not in at.query_params


def test_a_hostile_optimizers_link_opens_the_defaults_and_says_what_was_ignored():
    at = page("optimizers.py")
    at.query_params.update(
        {
            "steps": "9" * 30,
            "surface": "Everest",
            "adam.lr": "1e400",  # inf
            "sgd.lr": "nan",
            "tol": "0.5",
            "opts": "SGD,SGD",
            "kappa": "x" * 5000,
            "os.system": "1",
            "x": "5",  # inside some window, not Rosenbrock's (x ≤ 2)
        }
    )
    at.run(timeout=TIMEOUT)
    assert not at.exception
    text = link_notice_only(at)
    assert f"`steps={'9' * 30}`"[:40] in text and "(outside 1 to 2,000)" in text
    assert "`surface=Everest` (not one of Quadratic bowl" in text
    assert "`adam.lr=1e400` (outside 1e-06 to 10)" in text
    assert "`sgd.lr=nan` (outside" in text
    assert "`tol=0.5` (not one of" in text
    assert "`opts=SGD,SGD` (a choice is repeated)" in text
    assert "`kappa` (longer than 4,000 characters)" in text
    assert "`os.system` (not a setting of this page)" in text
    assert any("lies outside this surface's window" in i.value for i in at.info)
    assert at.number_input(key="optimizers_x0").value == 2.0  # the page's own clamp
    assert at.selectbox(key="optimizers_surface").value == "Rosenbrock"
    assert at.number_input(key="optimizers_steps").value == 500
    assert at.number_input(key="optimizers_hp_Adam_lr").value == 0.1
    assert at.multiselect(key="optimizers_chosen").value == ["SGD", "Momentum", "RMSprop", "Adam"]
    assert dict(at.query_params) == {"x": "2.0"}  # what was ignored left the URL


def test_activations_state_round_trips_through_the_url():
    at = page("activations.py").run(timeout=TIMEOUT)
    assert dict(at.query_params) == {}
    at.selectbox(key="activations_fn").set_value("elu").run(timeout=TIMEOUT)
    at.slider(key="activations_p_elu_alpha").set_value(2.0)
    at.number_input(key="activations_x_max").set_value(10.0)
    at.toggle(key="activations_shade").set_value(False).run(timeout=TIMEOUT)
    at.session_state["activations_tab"] = "Vanishing gradients"
    at.run(timeout=TIMEOUT)
    at.slider(key="activations_depth").set_value(30).run(timeout=TIMEOUT)
    # the Functions tab's settings stay in the link while another tab is open
    assert dict(at.query_params) == {
        "tab": "Vanishing gradients", "fn": "elu", "elu_alpha": "2.0", "x_to": "10.0",
        "shade": "0", "depth": "30",
    }  # fmt: skip
    fresh = reopened(at, "activations.py")
    assert not fresh.exception and not notices(fresh) and not fresh.error
    assert fresh.session_state["activations_tab"] == "Vanishing gradients"
    assert fresh.slider(key="activations_depth").value == 30
    fresh.session_state["activations_tab"] = "Functions"
    fresh.run(timeout=TIMEOUT)
    assert fresh.selectbox(key="activations_fn").value == "elu"
    assert fresh.slider(key="activations_p_elu_alpha").value == 2.0
    assert fresh.number_input(key="activations_x_max").value == 10.0
    assert fresh.toggle(key="activations_shade").value is False
    assert "nn.ELU(alpha=2.0)" in fresh.code[0].value
    at.slider(key="activations_depth").set_value(20).run(timeout=TIMEOUT)
    assert "depth" not in at.query_params  # back at the default, out of the link


def test_a_hostile_activations_link_opens_the_defaults_and_says_what_was_ignored():
    at = page("activations.py")
    at.query_params.update(
        {
            "tab": "Attention",
            "depth": "999",
            "fit_act": "step",  # an activation, but not one the fit can train
            "w": "1e999",
            "x_from": "minus six",
            "logits": "1, " * 2000,
            "zzz": "1",
        }
    )
    at.run(timeout=TIMEOUT)
    assert not at.exception
    text = notices(at)
    assert "`tab=Attention` (not one of Functions" in text
    assert "`depth=999` (outside 1 to 60)" in text
    assert "`fit_act=step` (not one of" in text
    assert "`w=1e999` (outside -5 to 5)" in text
    assert "`x_from=minus six` (not a number)" in text
    assert "`logits` (longer than 4,000 characters)" in text
    assert "`zzz` (not a setting of this page)" in text
    assert len(at.info) == 1
    assert at.session_state["activations_tab"] == "Functions"
    assert at.number_input(key="activations_x_min").value == -6.0
    assert dict(at.query_params) == {}  # what was ignored left the URL
    at.session_state["activations_tab"] = "Vanishing gradients"
    at.run(timeout=TIMEOUT)
    assert at.slider(key="activations_depth").value == 20
    assert at.slider(key="activations_weight").value == 1.0


def test_an_activations_link_that_compares_the_chosen_function_compares_the_others():
    at = page("activations.py")
    at.query_params.update({"fn": "sigmoid", "compare": "sigmoid,tanh", "x_from": "7"})
    at.run(timeout=TIMEOUT)
    assert not at.exception and not notices(at)
    assert at.multiselect(key="activations_compare").value == ["tanh"]
    assert at.query_params["compare"] == "tanh"
    assert "The x-range is reversed" in at.error[0].value  # the page's own message


def test_backprop_state_round_trips_through_the_url():
    at = page("backprop.py").run(timeout=TIMEOUT)
    assert dict(at.query_params) == {}
    at.radio(key="backprop_source").set_value("fresh")
    at.slider(key="backprop_batch").set_value(16)
    at.selectbox(key="backprop_activation").set_value("Tanh")
    at.text_input(key="backprop_params").set_value("1, 0, 0, 1, 0, 0, 1, 1, 0")
    at.select_slider(key="backprop_lr").set_value(0.3)
    at.session_state["backprop_tab"] = "3 · One update by hand"
    at.run(timeout=TIMEOUT)
    at.slider(key="backprop_step").set_value(5).run(timeout=TIMEOUT)
    assert dict(at.query_params) == {
        "tab": "3 · One update by hand", "model": "fresh", "batch": "16", "act": "Tanh",
        "params": "1, 0, 0, 1, 0, 0, 1, 1, 0", "step": "5", "lr": "0.3",
    }  # fmt: skip
    fresh = reopened(at, "backprop.py")
    assert not fresh.exception and not notices(fresh)
    assert [e.value[:14] for e in fresh.error] == ["**Too large.**"]  # α = 0.3's verdict
    assert fresh.session_state["backprop_tab"] == "3 · One update by hand"
    assert fresh.radio(key="backprop_source").value == "fresh"
    assert fresh.slider(key="backprop_batch").value == 16
    assert fresh.selectbox(key="backprop_activation").value == "Tanh"
    assert fresh.text_input(key="backprop_params").value == "1, 0, 0, 1, 0, 0, 1, 1, 0"
    assert fresh.slider(key="backprop_step").value == 5
    assert fresh.select_slider(key="backprop_lr").value == 0.3
    at.slider(key="backprop_batch").set_value(8).run(timeout=TIMEOUT)
    assert "batch" not in at.query_params  # back at the default, out of the link


def test_a_hostile_backprop_link_opens_the_defaults_and_says_what_was_ignored():
    at = page("backprop.py")
    at.query_params.update(
        {
            "tab": "5 · Nope",
            "batch": "65",
            "act": "Softmax",
            "seed": "12abc",
            "params": "9" * 5000,
            "step": "18",  # the tiny net's backward pass has 17 steps
            "zzz": "1",
            "x": "__import__('os').system('echo pwned')",  # read as numbers, like typed input
        }
    )
    at.run(timeout=TIMEOUT)
    assert not at.exception
    text = notices(at)
    assert "`tab=5 · Nope` (not one of 1 · Loss and cost" in text
    assert "`batch=65` (outside 1 to 64)" in text
    assert "`act=Softmax` (not one of Sigmoid" in text
    assert "`seed=12abc` (not a whole number)" in text
    assert "`params` (longer than 4,000 characters)" in text
    assert "`step=18` (outside 0 to 17)" in text
    assert "`zzz` (not a setting of this page)" in text
    assert len([i for i in at.info if "could not be used" in i.value]) == 1
    assert at.session_state["backprop_tab"] == "1 · Loss and cost"
    assert at.slider(key="backprop_batch").value == 8
    assert at.selectbox(key="backprop_activation").value == "Sigmoid"
    assert at.number_input(key="backprop_seed").value == 0
    assert at.text_input(key="backprop_params").value.startswith("0.5, -0.4, 0.8")  # the default
    assert at.text_input(key="backprop_x").value.startswith("__import__")
    assert "Inputs x₁, x₂:" in at.error[0].value and "is not a number" in at.error[0].value
    assert set(at.query_params) == {"x"}  # what was ignored left the URL


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
    assert fresh.dataframe[0].value["layer"].str.contains("AvgPool2d").any()  # the model built
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

    from core.engine import predictor as pr
    from core.engine.checkpoint import save_model
    from core.engine.config import RunConfig
    from core.engine.models import build_model, classic_spec
    from core.engine.runs import write_config, write_status

    monkeypatch.setattr(pr, "PRETRAINED_DIR", tmp_path / "no_pretrained")
    monkeypatch.setenv("TORCHLAB_HANDWRITING", str(tmp_path / "handwriting"))
    names = ["20260101-000000-first", "20260102-000000-second"]
    for name in names:
        folder, spec = runs_dir / name, classic_spec()
        torch.manual_seed(0)
        norm = {"dataset": "MNIST", "mean": 0.1307, "std": 0.3081}
        save_model(folder, build_model(spec), spec, norm)
        write_config(folder, RunConfig(name=name))
        write_status(folder, {"status": "done", "started": 1.0})
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
    assert "`source=Webcam` (not one of Draw, Upload a picture)" in text
    assert "`crop` (longer than 4,000 characters)" in text
    assert "`stroke_color` (not a setting of this page)" in text
    picker = at.selectbox(key="canvas_model")
    assert picker.index == 0  # the default model
    assert at.slider(key="canvas_stroke").value == 20
    assert at.toggle(key="canvas_live").value is True
    assert at.session_state["canvas_source"] == "Draw"
    assert dict(at.query_params) == {}  # what was ignored left the URL
