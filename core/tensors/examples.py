"""One-click examples for the tensor explorer, starting with the seed chapter's `points`.

Each one is a base tensor and an expression chosen to show one idea about views.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.tensors.base import SEED_POINTS, BaseSpec


@dataclass(frozen=True)
class Example:
    label: str  # the button text
    spec: BaseSpec = field(default_factory=BaseSpec)  # the base tensor x
    expression: str = "x"  # the chain typed on x
    note: str = ""  # what to look at, shown under the buttons after a click


EXAMPLES: dict[str, Example] = {
    "points": Example(
        "points (the seed)",
        BaseSpec(fill="values", values=SEED_POINTS, dtype="float32"),
        "x[1]",
        "The chapter's `points = torch.tensor([[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]])` (here "
        "called x): its storage is 1.0 4.0 2.0 1.0 3.0 5.0, size (3, 2), stride (2, 1), "
        "offset 0. `points[1]` is a view that starts at storage offset 2.",
    ),
    "transpose": Example(
        "transpose",
        BaseSpec(shape=(3, 4)),
        "x.t()",
        "Transposing swaps the strides, (4, 1) becomes (1, 4): no data moves, and the result "
        "is no longer contiguous. Read the grid row by row and watch the strip jump by 4.",
    ),
    "slice": Example(
        "stepped slice",
        BaseSpec(shape=(4, 6)),
        "x[1:, ::2]",
        "Skipping the first row moves the offset to 6; taking every second column doubles "
        "the column stride to 2. Still a view of the same storage.",
    ),
    "expand": Example(
        "expand (stride 0)",
        BaseSpec(shape=(3,)),
        "x.unsqueeze(0).expand(4, -1)",
        "expand repeats the row 4 times without copying: the new dim has stride 0, so all "
        "four rows read the same 3 storage cells (×4 in the strip).",
    ),
    "unfold": Example(
        "sliding windows",
        BaseSpec(shape=(8,)),
        "x.unfold(0, 3, 2)",
        "unfold makes overlapping windows of 3 elements, 2 apart, as a view: some storage "
        "cells are read by two windows.",
    ),
    "mask": Example(
        "mask (a copy)",
        BaseSpec(shape=(3, 4)),
        "x[x > 5]",
        "Indexing with a mask (or a list) gathers elements into new storage: a copy. "
        "Writing into it leaves x unchanged.",
    ),
    "view_fails": Example(
        "view after transpose",
        BaseSpec(shape=(3, 4)),
        "x.t().view(-1)",
        "view() cannot flatten a transposed tensor: no single stride walks its elements in "
        "order. Change view to reshape, or add .contiguous() before it.",
    ),
}
