"""The Tensors page's "chapter's code" section: several lines with the learner's own names,
each value as torch prints it, then a card and a picture for every tensor made on the way."""

from __future__ import annotations

import streamlit as st
import torch

from core.engine.products.notebook import MIME as NOTEBOOK_MIME
from core.tensors.base import formatted_values, storage_indices, storage_of, tensor_info
from core.tensors.budget import Reservation
from core.tensors.dtypes import format_bytes
from core.tensors.figures import (
    NotDrawable,
    check_drawable,
    logical_grid_fig,
    storage_strip_fig,
)
from core.tensors.notebook import lines_notebook
from core.tensors.program import CHAPTER, MAX_LINES, Line, picture_labels, run_program
from ui.common import code_ui, departure_ui
from ui.route import hidden, hidden_note

KEY = "tensors_program"


def _owner(t: torch.Tensor, lines: list[Line]) -> str:
    """The first name whose tensor owns `t`'s storage: who a view shares memory with."""
    ptr = t.untyped_storage().data_ptr()
    for line in lines:
        if line.tensor is not None and line.tensor.untyped_storage().data_ptr() == ptr:
            return line.name or line.code
    return ""


def tensor_lines_ui(reservation: Reservation) -> None:
    st.subheader("The chapter's code, line by line")
    if hidden("tensor_lines"):  # its lines print the answer to the route's question
        hidden_note()
        return
    st.markdown(
        "Type the chapter's lines as it writes them: make a tensor with `torch.tensor(...)`, "
        "give results names (`second = points[1]`) and ask torch about them "
        "(`.storage()`, `.size()`, `.stride()`, `.storage_offset()`, `.is_contiguous()`). "
        "Each expression line shows its value as torch prints it. A write through a view "
        "(`second[0] = 10.0`) lands in the storage every view of it reads: the pictures "
        "below show the storage after the last line."
    )
    st.session_state.setdefault(KEY, CHAPTER)
    text = st.text_area(
        f"Lines of PyTorch (up to {MAX_LINES})",
        key=KEY,
        height=260,
        help="One statement per line: name = tensor, name[index] = number, or an "
        "expression. Only torch.tensor / zeros / ones, names you assigned and the "
        "explorer's methods are allowed; nothing is ever run as Python.",
    )
    program = run_program(text, reservation)
    session = []
    for line in program.lines:
        session.append(f">>> {line.code}")
        if line.output:
            session.append(line.output)
    if session:
        st.code("\n".join(session), language="python")
        departure_ui("old_prints")
    if program.error:
        st.error(program.error)
    st.download_button(
        "Download these lines as a notebook",
        lines_notebook(text, program),
        file_name="tensor_lines.ipynb",
        mime=NOTEBOOK_MIME,
        key="tensors_program_notebook",
        help="import torch, then one cell per line, each showing its value as above. A line "
        "the page refused, and the lines after it, come commented out with the message.",
    )
    made = [line for line in program.lines if line.made]
    if not made:
        return
    labels = picture_labels(made)
    per_row = 3
    for start in range(0, len(made), per_row):
        columns = st.columns(per_row)
        for column, line in zip(columns, made[start : start + per_row], strict=False):
            t, label = line.tensor, line.name or line.code
            owner = _owner(t, program.lines)
            info = tensor_info(t, t)
            with column.container(border=True):
                st.markdown(f"`{line.code}`")  # the line already says the name it assigns
                shares = owner and owner != label
                st.badge(
                    f"shares the storage of {owner}" if shares else "owns its storage",
                    color="green" if shares else "blue",
                )
                st.markdown(
                    f"size `{info.size}`  \nstride `{info.stride}`  \n"
                    f"storage_offset `{info.storage_offset}` · is_contiguous "
                    f"`{info.is_contiguous}`  \n`{info.dtype}`: storage of "
                    f"{info.storage_length:,} elements = {format_bytes(info.storage_nbytes)}"
                )
    # The labels are the options: when a name is bound again its old label is gone, so the
    # picture moves to the newest tensor instead of drawing the one the name no longer holds.
    label = st.selectbox(
        "Picture of", labels, index=len(made) - 1, key="tensors_program_pick"
    )  # fmt: skip
    t = made[labels.index(label)].tensor
    try:
        check_drawable(t.numel(), t.untyped_storage().nbytes() // t.element_size(), tuple(t.shape))
        indices = storage_indices(tuple(t.size()), tuple(t.stride()), t.storage_offset())
        st.plotly_chart(
            storage_strip_fig(
                formatted_values(storage_of(t)), indices, title=f"storage of {label}"
            ),
            key="tensors_program_strip",
        )
        st.plotly_chart(
            logical_grid_fig(
                indices, formatted_values(t), title=f"{label}: storage index of each element"
            ),
            key="tensors_program_grid",
        )
    except NotDrawable as exc:
        st.info(str(exc))
    code_ui(run_program, label="How these lines are read (no eval, an allow-list)")
