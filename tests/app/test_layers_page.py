"""AppTest for the Layers lab: every tab runs, the drawing is offered, bad settings are messages."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from views.layers import TABS

ROOT = Path(__file__).resolve().parents[2]
PAGE = str(ROOT / "views" / "layers" / "page.py")


def page(tab: str | None = None, **state) -> AppTest:
    at = AppTest.from_file(PAGE)
    if tab:
        at.session_state["layers_tab"] = tab
    for key, value in state.items():
        at.session_state[key] = value
    at.run(timeout=60)
    assert not at.exception, [e.value for e in at.exception]
    return at


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_the_page_opens_on_a_test_digit():
    at = page()
    assert "Layers" in at.title[0].value
    assert not [r for r in at.radio if r.key == "layers_source"]  # no radio with one option
    assert any(m.value.startswith("**Input**: MNIST test digit") for m in at.markdown)
    assert at.number_input(key="layers_index").value == 0
    assert [t.label for t in at.tabs] == TABS
    values = [m.value for m in at.metric]
    assert "(4, 256)" in values and "(256, 4)" in values  # nn.Linear (out, in) vs manual W
    assert not errors(at)


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_runs_without_a_message(tab):
    at = page(tab)
    assert not errors(at), errors(at)
    assert len(at.markdown) > 0


def test_only_the_open_tab_runs():
    at = page("Pooling")
    assert at.radio(key="layers_pool_kind").value == "max"
    with pytest.raises(KeyError):
        at.number_input(key="layers_conv_k")  # the Convolution tab did not run


def test_the_digit_drawn_on_the_canvas_is_offered_and_used():
    at = page()
    mnist_outputs = at.dataframe[0].value
    drawing = np.zeros((28, 28), dtype=np.float32)
    drawing[4:24, 13:16] = 1.0  # a "1", as the canvas page leaves it
    at.session_state["last_drawn_digit"] = drawing
    at.run(timeout=60)
    assert not at.exception and not errors(at)
    source = at.radio(key="layers_source")
    assert source.options == ["MNIST test digit", "Your drawn digit"]
    assert source.value == "Your drawn digit"  # a new drawing is shown at once
    with pytest.raises(KeyError):
        at.number_input(key="layers_index")  # no test digit to pick now
    assert not at.dataframe[0].value.equals(mnist_outputs)  # the layers read the drawing
    # going back to the test digits sticks until the learner draws again
    at.radio(key="layers_source").set_value("MNIST test digit").run(timeout=60)
    at.run(timeout=60)
    assert at.radio(key="layers_source").value == "MNIST test digit"
    assert at.dataframe[0].value.equals(mnist_outputs)


def test_a_broken_drawing_is_a_message_not_a_crash():
    at = page(last_drawn_digit=np.zeros((10, 10)))
    assert any("28×28" in e for e in errors(at))


def test_random_digit_picks_another_test_digit():
    at = page()
    random.seed(1)  # the page draws with Python's random in this process
    at.button(key="layers_random").click().run(timeout=60)
    assert not at.exception
    assert at.number_input(key="layers_index").value != 0


@pytest.mark.parametrize(
    ("tab", "settings", "message"),
    [
        ("Convolution", {"layers_conv_s": 0}, "stride of 0"),
        ("Convolution", {"layers_conv_k": 9, "layers_conv_size": 7}, "larger than the 7×7"),
        ("Pooling", {"layers_pool_s": 0}, "stride of 0"),
        ("Transposed conv", {"layers_tr_s": 2, "layers_tr_op": 2}, "output padding"),
    ],
)
def test_bad_settings_are_messages(tab, settings, message):
    at = page(tab)
    for key, value in settings.items():
        widget = at.selectbox(key=key) if key.endswith("size") else at.number_input(key=key)
        widget.set_value(value)
    at.run(timeout=60)
    assert not at.exception
    assert any(message in e for e in errors(at)), errors(at)


def test_classic_filters_replace_the_kernel_size():
    at = page("Convolution")
    at.radio(key="layers_conv_kernels").set_value("classic").run(timeout=60)
    assert not at.exception and not errors(at)
    assert len(at.multiselect(key="layers_conv_filters").value) == 4
    with pytest.raises(KeyError):
        at.number_input(key="layers_conv_k")
    # the caption under the kernels points up at them (it said "Below", over the feature maps)
    captions = [c.value for c in at.caption]
    assert any("Above: the input, then each kernel" in c for c in captions)
    assert any("background is the bias" in c for c in captions)


def test_a_data_dependent_if_cannot_be_captured():
    at = page("Eager and deferred")
    at.radio(key="layers_graph_model").set_value("BranchyNet").run(timeout=60)
    assert not at.exception
    assert any("could not capture this model" in w.value for w in at.warning)
    raw = [c.value for c in at.code if "Error" in c.value or "error" in c.value]
    assert raw, "torch's own message is one click away"


def test_nn_and_functional_agree_on_the_page():
    at = page("nn and functional")
    assert at.success[0].value.startswith("Largest difference between the two outputs: 0.0e+00")


@pytest.mark.needs_data
def test_every_number_box_says_its_range_where_streamlit_only_marks_it_red():
    from core.layers import conv as layers_conv

    at = page("Convolution")
    kernel = at.number_input(key="layers_conv_k")
    assert kernel.label == f"Kernel size (1 to {layers_conv.MAX_KERNEL})"
    assert (kernel.min, kernel.max) == (1, layers_conv.MAX_KERNEL)  # the range it says is its own
    assert at.number_input(key="layers_index").label == "Test digit (0 to 9999)"
