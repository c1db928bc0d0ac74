"""Look inside a finished run → Layer by layer: a trained network's kernels and what it makes of
one image (a test image or the learner's canvas digit), layer by layer to the softmax; and
→ One cell, by hand: one feature-map cell's multiply-add with the real numbers, clicked on the
map or typed in."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import streamlit as st

from core import links
from core.engine.learning.data import TEST_SIZE
from core.engine.learning.models import MAX_CHANNELS, MAX_CONV_BLOCKS
from core.engine.products.predictor import Predictor, load_predictor
from core.engine.runs.checkpoint import WEIGHTS_FILE
from core.train import figures as figs
from core.train import insides as ins
from ui.common import code_ui
from ui.route import hidden, hidden_note
from views.train import KEY_PREFIX

P = KEY_PREFIX
DRAWN_KEY = "last_drawn_digit"  # written by the Canvas page
TEST_SOURCE, DRAWN_SOURCE = "A test image", "Your digit from the Canvas page"
SOURCES = (TEST_SOURCE, DRAWN_SOURCE)
SOURCE_KEY, INDEX_KEY = P + "insides_source", P + "insides_index"
LAYER_KEY, CHANNEL_KEY = P + "insides_layer", P + "insides_channel"
ROW_KEY, COL_KEY = P + "insides_row", P + "insides_col"
MAX_MAPS = 64  # feature maps of one layer drawn at once
MAX_CELL = 63  # a row or column index a link may carry (maps are at most 28 + 2·4 wide)
LAYERS_TAB = "Layer by layer"  # the two tabs of "Look inside a finished run" this draws
CELL_TAB = "One cell, by hand"
SHIPPED = "digit_model"  # the shipped model's id in the run picker: its folder's name
WORDS_ONLY = ("Dropout", "Dropout2d", "Flatten", "Softmax")  # steps a sentence says all of


def insides_link() -> list[links.Field]:
    """The image and the cell looked at, in the Train page's link."""
    convs = [f"conv{i}" for i in range(1, MAX_CONV_BLOCKS + 1)]
    return [
        links.choice("isource", SOURCE_KEY, TEST_SOURCE, SOURCES),
        links.integer("image", INDEX_KEY, 0, 0, TEST_SIZE - 1),
        links.choice("layer", LAYER_KEY, convs[0], convs),
        links.integer("kernel", CHANNEL_KEY, 0, 0, MAX_CHANNELS - 1),
        links.integer("row", ROW_KEY, 0, 0, MAX_CELL),
        links.integer("col", COL_KEY, 0, 0, MAX_CELL),
    ]


@st.cache_resource(max_entries=4, show_spinner="Loading the model…")
def _predictor(folder: str, stamp: float) -> Predictor:
    # `stamp` (the weights' modification time) makes a re-saved model a new cache entry.
    return load_predictor(folder, "cpu")


def _picture(predictor: Predictor) -> ins.Picture | None:
    source = st.radio("Image", SOURCES, key=SOURCE_KEY, horizontal=True)
    if source == TEST_SOURCE:
        index = st.number_input(
            f"Test image (0 to {TEST_SIZE - 1:,})", 0, TEST_SIZE - 1, key=INDEX_KEY,
            help="Its number in the test set, as the confusion matrix's images show it.",
        )  # fmt: skip
        return ins.picture_of_test_image(predictor.dataset, int(index), predictor.normalization)
    digit = st.session_state.get(DRAWN_KEY)
    if digit is None:
        st.info(
            "No digit from the Canvas page yet in this tab: draw (or upload) one on the "
            "**Canvas** page, then press *Look inside the network* there."
        )
        return None
    return ins.picture_of_drawing(digit, predictor.normalization)


def _answer_ui(picture: ins.Picture, stages: list[ins.Stage], classes: tuple[str, ...]) -> None:
    left, right = st.columns([1, 3], vertical_alignment="center")
    left.image(picture.pixels.numpy(), caption=picture.title, width=140, clamp=True)
    probs = stages[-1].output
    top = int(probs.argmax())
    verdict = f"The model says **{classes[top]}** ({float(probs[top]):.1%})"
    if picture.label is not None:
        verdict += (
            "; right." if picture.label == classes[top] else f"; the label is {picture.label}."
        )
    right.markdown(verdict)
    right.plotly_chart(figs.softmax_figure(probs, classes), key=P + "insides_softmax")


def _kernels_ui(stages: list[ins.Stage]) -> None:
    st.markdown(
        "**The kernels it learned.** Red weights are positive, blue negative, white near 0: "
        "a kernel answers most where the image under it looks like its red part."
    )
    for i, conv in enumerate(ins.conv_stages(stages)):
        if i % 2 == 0:
            row = st.columns(2, gap="medium")  # two layers' kernels a row, as the steps below
        with row[i % 2]:
            _layer_kernels_ui(conv)


def _layer_kernels_ui(conv: ins.Stage) -> None:
    weight = conv.module.weight.detach()  # (C_out, C_in, k, k)
    if weight.shape[1] == 1:
        image, scale, _ = figs.mosaic(weight[:, 0])
        st.image(image, caption=f"{conv.name}: its {weight.shape[0]} kernels, kernel 0 at the "
                 f"top left, row by row (colours from −{scale:.2f} to {scale:.2f})")  # fmt: skip
        return
    key = f"{P}insides_kernel_{conv.name}"
    out = st.number_input(
        f"{conv.name}: kernel (0 to {weight.shape[0] - 1})", 0, weight.shape[0] - 1, key=key
    )
    image, scale, _ = figs.mosaic(weight[int(out)][:MAX_MAPS])
    st.image(image, caption=f"{conv.name}'s kernel {int(out)}: one {weight.shape[2]}×"
             f"{weight.shape[3]} slice per input channel ({weight.shape[1]}), added up "
             f"(colours from −{scale:.2f} to {scale:.2f})")  # fmt: skip


def _layers_ui(stages: list[ins.Stage], classes: tuple[str, ...]) -> None:
    st.markdown("**Layer by layer.** What each step of the forward pass made of this image.")
    if hidden("insides_maps"):
        hidden_note()
        return
    # Two drawn steps a row, a step with nothing to draw under the one before it: one above
    # the other the forward pass alone was 2.6 screens tall.
    groups: list[list[ins.Stage]] = []
    for s in stages[1:]:
        if s.kind in WORDS_ONLY and groups:
            groups[-1].append(s)
        else:
            groups.append([s])
    for i, group in enumerate(groups):
        if i % 2 == 0:
            row = st.columns(2, gap="medium")
        with row[i % 2]:
            for s in group:
                _stage_ui(s, classes)


def _stage_ui(s: ins.Stage, classes: tuple[str, ...]) -> None:
    st.markdown(f"`{s.name}` · {ins.describe(s, classes)}")
    if s.kind in WORDS_ONLY:
        return
    if s.is_map:
        maps = s.output[:MAX_MAPS]
        image, scale, signed = figs.mosaic(maps)
        colours = (
            f"blue −{scale:.2f} to red {scale:.2f}" if signed else f"black 0 to white {scale:.2f}"
        )
        more = (
            f"; the first {MAX_MAPS} of {s.output.shape[0]}" if s.output.shape[0] > MAX_MAPS else ""
        )
        st.image(image, caption=f"{colours}{more}")
    else:
        names = classes if s.output.numel() == len(classes) else None
        st.plotly_chart(figs.units_figure(s.output, s.name, names), key=f"{P}insides_{s.name}")


def _clamp(key: str, high: int) -> None:
    if st.session_state.get(key, 0) > high:
        st.session_state[key] = high


def _picked(chart_key: str, width: int) -> None:
    """A click on the map: its marker's index is row · width + column."""
    state = st.session_state.get(chart_key)
    points = (state or {}).get("selection", {}).get("points", [])
    if points:
        st.session_state[ROW_KEY], st.session_state[COL_KEY] = divmod(
            int(points[0]["point_index"]), width
        )


def _cell_ui(stages: list[ins.Stage]) -> None:
    convs = ins.conv_stages(stages)
    if not convs:
        return
    st.markdown(
        "Pick a layer and a kernel, then click a cell of its map (or type its row and column): "
        "the window it read, each product, the sum, and torch's own value of that cell."
    )
    if hidden("insides_maps"):  # its map shows where the kernel answers, as Layer by layer's do
        hidden_note()
        return
    names = [c.name for c in convs]
    if st.session_state.get(LAYER_KEY) not in names:
        st.session_state[LAYER_KEY] = names[0]
    conv = ins.stage(stages, st.selectbox("Layer", names, key=LAYER_KEY))
    channels, height, width = conv.output.shape
    for key, high in ((CHANNEL_KEY, channels - 1), (ROW_KEY, height - 1), (COL_KEY, width - 1)):
        _clamp(key, high)
    c1, c2, c3 = st.columns(3)
    channel = int(
        c1.number_input(f"Kernel (0 to {channels - 1})", 0, channels - 1, key=CHANNEL_KEY)
    )
    row = int(c2.number_input(f"Row (0 to {height - 1})", 0, height - 1, key=ROW_KEY))
    col = int(c3.number_input(f"Column (0 to {width - 1})", 0, width - 1, key=COL_KEY))
    chart_key = f"{P}insides_map_{conv.name}_{channel}"
    title = f"{conv.name}, kernel {channel}: {height}×{width} (click a cell)"
    left, right = st.columns([3, 2])
    left.plotly_chart(
        figs.clickable_map_figure(conv.output[channel], title, (row, col)), key=chart_key,
        on_select=partial(_picked, chart_key, width), selection_mode="points", width="content",
    )  # fmt: skip
    ma = ins.multiply_add(conv, channel, row, col)
    inputs = ma.window.shape[0]
    with right:
        plane = ins.strongest_input(ma)
        if inputs > 1:
            plane = int(st.number_input(
                f"Input channel to look at (0 to {inputs - 1}; {plane} adds the most here)",
                0, inputs - 1, value=plane, key=f"{P}insides_plane_{conv.name}",
            ))  # fmt: skip
        st.plotly_chart(
            figs.window_figure(conv.input[plane], ma.rows, ma.cols,
                               f"its input{f' (channel {plane})' if inputs > 1 else ''}: the window"),
            key=P + "insides_window", width="content",
        )  # fmt: skip
    k1, k2, k3 = st.columns(3)
    k1.plotly_chart(
        figs.kernel_figure(ma.window[plane], "window"), key=P + "insides_w", width="content"
    )
    k2.plotly_chart(
        figs.kernel_figure(ma.weight[plane], "× kernel"), key=P + "insides_k", width="content"
    )
    k3.plotly_chart(figs.kernel_figure(ma.products[plane], "= products", 3), key=P + "insides_p",
                    width="content")  # fmt: skip
    bias = f"{ma.bias:+.3f}".replace("-", "−")
    if inputs == 1:
        st.markdown(f"{ins.written(ma)}, and the bias {bias}: **{ma.total:.6f}**".replace("-", "−"))
    else:
        st.dataframe(
            {"input channel": list(range(inputs)),
             "window × kernel, added up": [ins.written(ma, j) for j in range(inputs)]},
            hide_index=True, key=P + "insides_sums",
        )  # fmt: skip
        st.markdown(
            f"The {inputs} channel sums add up to {sum(ma.sums):.6f}; with the bias {bias}: "
            f"**{ma.total:.6f}**".replace("-", "−")
        )
    (st.success if "NOT" not in ins.agreement(ma) else st.error)(ins.agreement(ma))
    code_ui(ins.multiply_add, ins.trace, label="The code: the multiply-add and the trace")


def insides_ui(folder: Path, tab: str) -> None:
    """The tab `tab` (LAYERS_TAB or CELL_TAB) of a model saved in `folder`: both trace the
    image picked at their top (the same picker, so the two tabs look at one image)."""
    if not (folder / WEIGHTS_FILE).exists():
        st.info("This run has no saved model: it ended before it could save one.")
        return
    predictor = _predictor(str(folder), (folder / WEIGHTS_FILE).stat().st_mtime)
    picture = _picture(predictor)
    if picture is None:
        return
    stages = ins.trace(predictor.model, picture.X)
    _answer_ui(picture, stages, predictor.classes)
    if tab == LAYERS_TAB:
        _kernels_ui(stages)
        _layers_ui(stages, predictor.classes)
    else:
        _cell_ui(stages)
