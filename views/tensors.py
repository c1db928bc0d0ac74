"""Tensors and storage: a tensor is a view (size, offset, stride) over one flat block of memory."""

from __future__ import annotations

import streamlit as st
import torch

from core import links
from core.tensors.base import (
    FILLS,
    BaseSpec,
    address,
    format_value,
    formatted_values,
    make_base,
    parse_shape,
    storage_indices,
    storage_of,
    tensor_info,
)
from core.tensors.budget import Reservation
from core.tensors.code import explorer_code
from core.tensors.dtypes import DTYPES, dtype_rows, format_bytes
from core.tensors.evaluate import MAX_ELEMENTS, evaluate
from core.tensors.examples import EXAMPLES
from core.tensors.figures import (
    MAX_DRAWN_CELLS,
    NotDrawable,
    check_drawable,
    logical_grid_fig,
    storage_strip_fig,
)
from core.tensors.methods import signatures
from core.tensors.parse import MAX_STEPS, MAX_TEXT_LENGTH, parse_expression
from core.tensors.program import CHAPTER
from core.tensors.write import WRITE_MODES, failure_demos, step_names, write_through
from ui.common import code_ui, device_name, errors_ui
from ui.links import linked_page
from ui.route import hidden
from ui.tensor_lines import KEY as LINES_KEY
from ui.tensor_lines import tensor_lines_ui

# Only the open tab draws: each builds its own tensors and pictures, and a learner reads one
# at a time, so a run and the page stay as short as that tab.
TABS = ("Views over storage", "dtypes", "The chapter's lines")
VIEWS_TAB, DTYPES_TAB, LINES_TAB = TABS
TAB_KEY = "tensors_tab"
LINK = [
    links.choice("tab", TAB_KEY, VIEWS_TAB, TABS),
    links.choice("fill", "tensors_fill", "arange", FILLS),
    links.choice("dtype", "tensors_dtype", "float32", list(DTYPES)),
    links.text("shape", "tensors_shape", "3, 4", most=40),
    links.text("values", "tensors_values", BaseSpec().values),
    links.integer("seed", "tensors_seed", 0, 0, 2**31 - 1),
    links.text("expr", "tensors_expr", "x.t()", most=MAX_TEXT_LENGTH),
    links.text("lines", LINES_KEY, CHAPTER),
]
linked_page("tensors", LINK)
st.session_state.setdefault("tensors_example", None)


def load_example(key: str) -> None:
    """Put an example's base tensor and expression into the widgets (runs before they draw)."""
    example = EXAMPLES[key]
    spec = example.spec
    st.session_state.update(
        tensors_fill=spec.fill,
        tensors_dtype=spec.dtype,
        tensors_shape=", ".join(map(str, spec.shape)),
        tensors_values=spec.values,
        tensors_seed=spec.seed,
        tensors_expr=example.expression,
        tensors_example=key,
    )


st.title("Tensors and storage")
st.markdown(
    "A tensor is not a grid of numbers: it is a **view** over one flat block of memory, the "
    "**storage**. Three numbers say how to read it: the **size** (how many elements along each "
    "dim), the **storage offset** (where element 0 sits) and the **stride** (how many storage "
    "cells to skip for one step along each dim). Transposing, slicing or expanding changes only "
    f"these numbers, never the data. In the tab **{VIEWS_TAB}**, type PyTorch code on `x` and "
    f"watch which storage cells each result reads; **{DTYPES_TAB}** shows what each dtype "
    f"costs in memory; in **{LINES_TAB}**, type the chapter's own lines "
    "(`points = torch.tensor(...)`, `points.storage()`...) and read torch's answers."
)


def examples_ui() -> None:
    st.caption("One-click examples")
    with st.container(horizontal=True, key="tensors_examples"):
        for key, example in EXAMPLES.items():
            st.button(
                example.label,
                key=f"tensors_example_{key}",
                on_click=load_example,
                args=(key,),
                help=f"x = {example.spec.fill}, then {example.expression}",
            )
    shown = EXAMPLES.get(st.session_state["tensors_example"])
    if shown and shown.expression == st.session_state["tensors_expr"]:
        st.info(shown.note, icon=":material/lightbulb:")


def inputs_ui() -> None:
    """x's settings beside the expression on it."""
    left, right = st.columns([1, 2], gap="large")
    with left:
        st.subheader("The base tensor x")
        fill = st.selectbox(
            "Fill",
            FILLS,
            key="tensors_fill",
            help="arange makes each value equal to its storage index, so you can read "
            "addresses straight off the values. values: type a nested list, like the "
            "chapter's points.",
        )
        st.selectbox("dtype", list(DTYPES), key="tensors_dtype")
        if fill == "values":
            st.text_area("Values (a nested list)", key="tensors_values", height=90)
        else:
            st.text_input(
                "Shape (1 to 4 sizes)", key="tensors_shape", help="For example 3, 4 or 2, 3, 4."
            )
        if fill == "random":
            st.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key="tensors_seed")
    with right:
        st.subheader("Operations on x")
        st.text_input(
            "PyTorch expression on x",
            key="tensors_expr",
            placeholder="x.t()[1:, ::2]",
            help="Chain views, e.g. x.unsqueeze(0).expand(3, -1, -1). Only x, integers, "
            "slices, lists of integers, masks like x > 3 and the methods listed below are "
            "allowed.",
        )
        st.markdown(
            "Each result gets a card below: its size, stride and offset, and whether it still "
            "reads **x's storage** (a view) or got **new storage** (a copy), as torch itself "
            "reports it. Try `x.t()`, then `x.t().contiguous()`; `x[1]`, then `x[[1]]`."
        )
        with st.expander("What you can type"):
            st.markdown(
                "Indexing: `x[1]`, `x[1:, ::2]`, `x[..., 0]`, `x[:, None]`, `x[[0, 2]]`, "
                "`x[x > 3]`, `x[(x > 1) & (x < 5)]`.  \nMethods and attributes:\n\n"
                + "\n".join(f"- `{sig}`: {doc}" for sig, doc in signatures().items())
                + f"\n\nLimits: {MAX_TEXT_LENGTH} characters and {MAX_STEPS} operations per "
                f"expression; {MAX_ELEMENTS:,} elements in any result; pictures up to "
                f"{MAX_DRAWN_CELLS:,} cells and 4 dimensions."
            )


def base_tensor(reservation: Reservation) -> tuple[BaseSpec, torch.Tensor] | None:
    """x as its settings say, whichever tab is open (the link keeps the settings of widgets
    a run does not draw); None once a message has said why they make no tensor."""
    state = st.session_state
    with errors_ui():
        fill = state["tensors_fill"]
        spec = BaseSpec(
            shape=parse_shape(state["tensors_shape"]) if fill != "values" else (),
            dtype=state["tensors_dtype"],
            fill=fill,
            seed=int(state["tensors_seed"]),
            values=state["tensors_values"],
            device=device_name(),
        )
        x = make_base(spec)
        reservation.add(x.untyped_storage().nbytes())
        spec.shape = tuple(x.shape)
        return spec, x
    return None


def card_text(t: torch.Tensor, x: torch.Tensor) -> str:
    """A card's numbers: the view (size, stride, offset) and the memory behind it."""
    info = tensor_info(t, x)
    return (
        f"size `{info.size}`  \nstride `{info.stride}`  \n"
        f"storage_offset `{info.storage_offset}` · is_contiguous `{info.is_contiguous}`  \n"
        f"`{info.dtype}`: {info.element_size} B/element × {info.numel:,} = "
        f"{format_bytes(info.nbytes)}  \n"
        f"storage: {info.storage_length:,} elements = {format_bytes(info.storage_nbytes)}"
    )


def views_tab(reservation: Reservation) -> None:
    """The base tensor, the chain's results and their pictures, the element picker and the
    write demo. Its tensors are locals: they are gone once the view is drawn, and nothing a
    session leaves behind (a widget's callback, a disconnected tab) keeps them alive."""
    examples_ui()
    inputs_ui()
    built = base_tensor(reservation)
    if built is None:
        return
    spec, x = built

    steps = []
    chain = None
    with errors_ui():
        chain = parse_expression(st.session_state["tensors_expr"])
        steps = evaluate(chain, x, reservation)
    if chain is not None and len(steps) < len(chain.ops):
        chain = None  # evaluation failed: show x alone, the message above says why

    names = step_names(len(steps))
    results = [x, *(s.tensor for s in steps)]
    codes = ["x", *(s.code for s in steps)]

    st.subheader("Results")
    per_row = 3
    for start in range(0, len(results), per_row):
        for column, k in zip(
            st.columns(per_row), range(start, min(start + per_row, len(results))), strict=False
        ):
            info = tensor_info(results[k], x)
            with column.container(border=True, key=f"tensors_card_{k}"):
                st.markdown(
                    f"**`{names[k]}`**" + (f" = `{codes[k]}`" if k else " (the base tensor)")
                )
                if k:
                    st.badge(info.verdict, color="green" if info.shares_storage else "orange")
                st.markdown(card_text(results[k], x))

    st.subheader("Where each element lives")
    st.markdown(
        "Pick a result and an element. The **strip** is the storage, cell by cell; the cells the "
        "result reads are coloured in the order you meet them reading the result row by row "
        "(dark first, yellow last; `×2` means two elements share one cell). The **grid** is the "
        "result as you index it, each cell labelled with its storage index. Grey cells are memory "
        "the view skips."
    )
    pick_cols = st.columns(5)
    target = pick_cols[0].selectbox(
        "Result to draw",
        range(len(results)),
        index=len(results) - 1,
        format_func=names.__getitem__,
        key=f"tensors_target_{chain.code if chain else 'x'}",
    )
    t = results[target]
    index = tuple(
        int(
            pick_cols[1 + d % 4].number_input(
                f"index along dim {d}",
                min_value=0,
                max_value=n - 1,
                value=min(1, n - 1),
                key=f"tensors_pick_{target}_{d}_{n}",
            )
        )
        for d, n in enumerate(t.shape)
        if n > 0
    )
    picked = None
    with errors_ui():
        if t.numel() > 0:
            picked = address(t, index)
            value = format_value(t[index].item(), t.dtype)
            stored = format_value(storage_of(t)[picked.storage_index].item(), t.dtype)
            st.markdown(f"**{names[target]}[{', '.join(map(str, index))}]** = {value}, stored at:")
            st.code(picked.formula, language=None)
            st.caption(
                f"storage[{picked.storage_index}] = {stored}: the same value, read straight from memory."
            )

    info = tensor_info(t, x)
    try:
        check_drawable(info.numel, info.storage_length, info.size)  # before formatting any cell
        indices = storage_indices(info.size, info.stride, info.storage_offset)
        strip = storage_strip_fig(
            formatted_values(storage_of(t)),
            indices,
            picked.storage_index if picked else None,
            title=f"storage of {names[target]}"
            + (" (shared with x)" if info.shares_storage else " (its own)"),
        )
        grid = logical_grid_fig(
            indices,
            formatted_values(t),
            index if picked else None,
            title=f"{names[target]}: storage index of each element",
        )
        st.plotly_chart(strip, key="tensors_strip")
        st.plotly_chart(grid, key="tensors_grid")
    except NotDrawable as exc:
        st.info(str(exc))

    st.subheader("Write through a view")
    st.markdown(
        f"Change the picked element of **{names[target]}** and see who notices. Every view of x's "
        "storage shows the change (x too); a copy keeps its old value. Adding to every element of an "
        "expanded view fails: torch explains why. (Each write runs on a fresh copy of this page's x.)"
    )
    w1, w2, w3 = st.columns([1, 2, 1])
    new_value = w1.number_input("Value", value=100.0, key="tensors_write_value")
    mode = w2.radio(
        "Write",
        list(WRITE_MODES),
        format_func=WRITE_MODES.__getitem__,
        key="tensors_write_mode",
        horizontal=True,
    )
    written = None
    if w3.button("Write", key="tensors_write", type="primary"):
        with errors_ui():
            written = write_through(
                spec, chain or parse_expression("x"), target, index, new_value, mode
            )
    if written is not None:
        st.code(written.code, language="python")
        if written.error:
            st.error(written.error)
        st.markdown("\n".join(f"- {c.summary()}" for c in written.tensors))

    st.subheader("What torch refuses, and why")
    for failure in failure_demos():
        with st.expander(failure.title):
            st.code(failure.code, language="python")
            st.markdown("torch says:")
            st.code(f"RuntimeError: {failure.error}", language=None, wrap_lines=True)
            st.markdown(failure.why)
            st.markdown("**The fix**")
            st.code(failure.fix_code, language="python")
            st.caption(failure.fix_result)

    code_ui(
        label="Show the code: the PyTorch behind this page",
        source=explorer_code(
            spec,
            steps,
            (target, index) if picked else None,
            written.code if written else None,
            bool(written and written.error),
        ),
    )
    code_ui(
        tensor_info,
        storage_indices,
        address,
        label="The core functions behind the cards and pictures",
    )


def dtypes_tab(reservation: Reservation) -> None:
    """One x in every dtype: the bytes each element takes, the range, and what x would cost."""
    st.subheader("dtypes: the same shape, different memory")
    left, right = st.columns(2, gap="large")
    left.selectbox(
        "dtype of x",
        list(DTYPES),
        key="tensors_dtype",
        help=f"x's fill and shape are set in the tab {VIEWS_TAB}.",
    )
    built = base_tensor(reservation)
    if built is None:
        return
    _, x = built
    left.markdown(
        f"x has {x.numel():,} elements. The dtype decides the bytes per element, the range, and "
        "for floats the precision: eps is the gap after 1.0, and integers above *exact up to* "
        "get rounded (try arange in float16 with more than 2048 elements). Limit: "
        f"{MAX_ELEMENTS:,} elements."
    )
    with right.container(border=True, key="tensors_dtype_card"):
        st.markdown("**`x`** (the base tensor)")
        st.markdown(card_text(x, x))
    rows = dtype_rows(tuple(x.shape), st.session_state["tensors_dtype"])
    if hidden("dtype_memory"):  # the route asks what float64 takes: the learner works it out
        rows = [{k: v for k, v in row.items() if k != "memory of x"} for row in rows]
    st.dataframe(rows, hide_index=True, key="tensors_dtypes")


def lines_tab(reservation: Reservation) -> None:
    with errors_ui():
        tensor_lines_ui(reservation)


with Reservation() as page_reservation:  # given back once the open tab is drawn
    tabs = st.tabs(list(TABS), key=TAB_KEY, on_change="rerun")
    for tab, draw in zip(tabs, (views_tab, dtypes_tab, lines_tab), strict=True):
        if tab.open:
            with tab:
                draw(page_reservation)
