"""Every setting has a link: a page's state goes into its URL, and a fresh session opened on
that URL shows the same state; a hostile or malformed link opens the defaults with a message.

Each page's case sets a few widgets, copies the URL into a fresh AppTest and reads the widgets
back. The hostile cases feed every page the same kinds of bad input. The Train, Experiments
and Canvas pages' cases are in test_links_training.py.
"""

from __future__ import annotations

from tests.app.link_pages import TIMEOUT, link_notice_only, notices, page, reopened


def test_tensors_state_round_trips_through_the_url():
    at = page("tensors.py").run(timeout=TIMEOUT)
    assert dict(at.query_params) == {}  # the defaults need no parameters
    at.selectbox(key="tensors_fill").set_value("random")
    at.selectbox(key="tensors_dtype").set_value("int16").run(timeout=TIMEOUT)
    at.number_input(key="tensors_seed").set_value(7)
    at.text_input(key="tensors_shape").set_value("2, 5")
    at.text_input(key="tensors_expr").set_value("x[1:, ::2].t()").run(timeout=TIMEOUT)
    at.session_state["tensors_tab"] = "dtypes"
    at.run(timeout=TIMEOUT)
    # the views tab's settings stay in the link while the dtypes tab is open
    assert dict(at.query_params) == {
        "tab": "dtypes", "fill": "random", "dtype": "int16", "seed": "7", "shape": "2, 5",
        "expr": "x[1:, ::2].t()",
    }  # fmt: skip
    fresh = reopened(at, "tensors.py")
    assert not fresh.exception and not notices(fresh)
    assert fresh.session_state["tensors_tab"] == "dtypes"
    assert fresh.dataframe[0].value["dtype"].iloc[6] == "▶ int16"  # x's 2 × 5 in int16
    assert fresh.dataframe[0].value["memory of x"].iloc[6] == "20 B"
    fresh.session_state["tensors_tab"] = "Views over storage"
    fresh.run(timeout=TIMEOUT)
    assert fresh.selectbox(key="tensors_fill").value == "random"
    assert fresh.selectbox(key="tensors_dtype").value == "int16"
    assert fresh.number_input(key="tensors_seed").value == 7
    assert fresh.text_input(key="tensors_shape").value == "2, 5"
    assert fresh.text_input(key="tensors_expr").value == "x[1:, ::2].t()"
    at.session_state["tensors_tab"] = "Views over storage"
    at.run(timeout=TIMEOUT)
    at.text_input(key="tensors_expr").set_value("x.t()").run(timeout=TIMEOUT)
    assert "expr" not in at.query_params and "tab" not in at.query_params  # defaults: out


def test_a_hostile_tensors_link_opens_the_defaults_and_says_what_was_ignored():
    at = page("tensors.py")
    at.query_params.update(
        {
            "tab": "Storage",
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
    assert "`tab=Storage` (not one of Views over storage, dtypes, The chapter's lines)" in text
    assert "`dtype=float99` (not one of float32" in text
    assert "`seed=999999999999` (outside 0 to 2,147,483,647)" in text
    assert "`zzz` (not a setting of this page)" in text
    assert "`shape` (longer than 4,000 characters)" in text
    assert "session" not in text
    assert at.session_state["tensors_tab"] == "Views over storage"
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
    for key in ("optimizers_x0", "optimizers_y0", "optimizers_hp_SGD_lr"):
        assert fresh.number_input(key=key).value == at.number_input(key=key).value, key
    at.session_state["optimizers_tab"] = "The seed's rule"  # its α is on that tab
    at.run(timeout=TIMEOUT)
    fresh = reopened(at, "optimizers.py")
    assert fresh.session_state["optimizers_tab"] == "The seed's rule" and not fresh.dataframe
    assert fresh.number_input(key="optimizers_rule_lr").value == 0.01  # Himmelblau's α
    at.session_state["optimizers_tab"] = "The race"
    at.run(timeout=TIMEOUT)
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
    # α = 0.3's verdict: its first step overshoots, and 20 steps still settle
    assert "**Good.**" in [e.value[:9] for e in fresh.success] and not fresh.error
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
