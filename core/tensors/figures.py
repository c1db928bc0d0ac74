"""Plotly pictures for the tensor explorer: the storage strip and the view's logical grid.

Both colour a cell by *view order* (the position of the element when the view is read row by
row), so a colour in the grid points at the storage cell of the same colour in the strip.
Pure functions of data: indices and formatted values in, figures out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go
import torch
from plotly.subplots import make_subplots

MAX_DRAWN_CELLS = 10_000  # cells drawn one by one, in the strip or in the grid
MAX_PANELS = 36  # 2-D slices drawn for a 3-D or 4-D view
MAX_LABELLED_CELLS = 600  # above this, cells carry no text (hover still tells)
STRIP_COLUMNS = 32  # a longer storage wraps onto further rows of this many cells
ORDER_SCALE = "Viridis"  # view order 0 (dark) .. last (yellow)
UNTOUCHED = "#e6e6e6"  # storage cells the view does not read
PICK_COLOUR = "#EE4C2C"  # the picked element, in both pictures
CELL_PX = 42  # height of one row of cells
WIDE_STRIP_COLUMNS = 100  # an unlabelled (large) storage wraps at this many cells a row instead
MAX_CELLS_PX = 900  # many rows of cells share this height rather than growing the page
MIN_CELL_PX = 8  # ... down to rows this thin (colours only)
MIN_LABELLED_CELL_PX = 22  # ... or this thin while cells still carry text
# Strip and grid draw cells alike: coloured by view order scaled to [0, 1], hover from customdata
CELLS = dict(
    hovertemplate="%{customdata}<extra></extra>",
    colorscale=ORDER_SCALE,
    zmin=0,
    zmax=1,
    showscale=False,
    xgap=2,
    ygap=2,
)


class NotDrawable(ValueError):
    """The view is empty, or has more cells than MAX_DRAWN_CELLS / MAX_PANELS allow."""


def check_drawable(numel: int, storage_length: int, shape: tuple[int, ...]) -> None:
    """Refuse to draw cell by cell what a browser cannot show usefully."""
    if numel == 0:
        raise NotDrawable("This view has no elements, so there is nothing to draw.")
    if numel > MAX_DRAWN_CELLS or storage_length > MAX_DRAWN_CELLS:
        raise NotDrawable(
            f"Drawing cell by cell is limited to {MAX_DRAWN_CELLS:,} cells; this view has "
            f"{numel:,} elements over a storage of {storage_length:,}. Slice it smaller to see it."
        )
    if len(shape) > 4:
        raise NotDrawable(f"Views of up to 4 dimensions are drawn; this one has {len(shape)}.")
    panels = math.prod(shape[:-2]) if len(shape) > 2 else 1
    if panels > MAX_PANELS:
        raise NotDrawable(
            f"This view would be {panels} 2-D slices; at most {MAX_PANELS} are drawn."
        )


def first_visit(indices: torch.Tensor, storage_length: int) -> tuple[list[int], list[int]]:
    """For each storage cell: the view order of the first element reading it (-1 if none),
    and how many view elements read it (more than 1 under expand or overlapping unfold)."""
    flat = indices.reshape(-1).to(torch.long)  # view order = row-major position
    order = torch.arange(flat.numel(), dtype=torch.long)
    first = torch.full((storage_length,), flat.numel(), dtype=torch.long)
    first = first.scatter_reduce(0, flat, order, reduce="amin")
    counts = torch.bincount(flat, minlength=storage_length)
    first[counts == 0] = -1
    return first.tolist(), counts.tolist()


def cell_px(rows: int, labelled: bool) -> int:
    """Row height: CELL_PX for a few rows; thinner for many, so 10,000 cells stay one screen."""
    floor = MIN_LABELLED_CELL_PX if labelled else MIN_CELL_PX
    return max(floor, min(CELL_PX, MAX_CELLS_PX // max(rows, 1)))


def storage_strip_fig(
    values: Sequence[str],
    indices: torch.Tensor,
    pick: int | None = None,
    title: str = "storage",
) -> go.Figure:
    """The flat storage, one cell per element; the cells the view reads coloured by view order."""
    n = len(values)
    check_drawable(indices.numel(), n, (n,))
    first, counts = first_visit(indices, n)
    labelled = n <= MAX_LABELLED_CELLS
    cols = max(1, min(n, STRIP_COLUMNS if labelled else WIDE_STRIP_COLUMNS))
    rows = max(1, math.ceil(n / cols))
    last = max(indices.numel() - 1, 1)
    z = [[None] * cols for _ in range(rows)]
    text = [[""] * cols for _ in range(rows)]
    hover = [[""] * cols for _ in range(rows)]
    for s in range(n):
        r, c = divmod(s, cols)
        touched = first[s] >= 0
        z[r][c] = first[s] / last if touched else None
        more = f" ×{counts[s]}" if counts[s] > 1 else ""
        if labelled:
            text[r][c] = f"{values[s]}<br><sub>#{first[s]}{more}</sub>" if touched else values[s]
        read = (
            f"first read as view element #{first[s]}{more}" if touched else "not read by the view"
        )
        hover[r][c] = f"storage[{s}] = {values[s]}<br>{read}"
    fig = go.Figure(
        go.Heatmap(
            z=z,
            text=text,
            customdata=hover,
            texttemplate="%{text}",
            **CELLS,
        )
    )
    if pick is not None and 0 <= pick < n:
        r, c = divmod(pick, cols)
        _outline(fig, c, r)
    every = 1 if labelled else 10  # a label on every tenth column and row of a large strip
    fig.update_xaxes(
        tickmode="array", tickvals=list(range(0, cols, every)),
        ticktext=[str(c) for c in range(0, cols, every)],
        showgrid=False, zeroline=False, side="top",
    )  # fmt: skip
    fig.update_yaxes(
        tickmode="array", tickvals=list(range(0, rows, every)),
        ticktext=[f"{r * cols}+" if rows > 1 else "" for r in range(0, rows, every)],
        autorange="reversed", showgrid=False, zeroline=False,
    )  # fmt: skip
    fig.update_layout(
        title=dict(text=title, x=0, y=1, yanchor="top", font=dict(size=14)),
        height=90 + cell_px(rows, labelled) * rows,
        margin=dict(l=40, r=10, t=60, b=10),
        plot_bgcolor=UNTOUCHED,
    )
    return fig


def logical_grid_fig(
    indices: torch.Tensor,
    values: Sequence[str],
    pick: tuple[int, ...] | None = None,
    title: str = "logical view",
) -> go.Figure:
    """The view as the learner indexes it; each cell shows its storage index. 3-D and 4-D views
    are drawn as 2-D slices: one row of slices for 3-D, a grid (first index down) for 4-D."""
    shape = tuple(indices.shape)
    check_drawable(indices.numel(), 0, shape)
    grid = indices.reshape(_as_4d(shape))  # (A, B, H, W): A rows and B columns of H×W slices
    a, b, h, w = grid.shape
    titles = [_slice_title(shape, i, j) for i in range(a) for j in range(b)]
    fig = make_subplots(
        rows=a,
        cols=b,
        subplot_titles=titles if len(shape) > 2 else None,
        horizontal_spacing=min(0.04, 0.5 / max(b, 1)),
        vertical_spacing=min(0.08, 0.5 / max(a, 1)),
    )
    last = max(indices.numel() - 1, 1)
    labelled = indices.numel() <= MAX_LABELLED_CELLS
    flat_values = list(values)
    for i in range(a):
        for j in range(b):
            base = (i * b + j) * h * w  # view order of this slice's first cell
            order = [[(base + r * w + c) for c in range(w)] for r in range(h)]
            cells = grid[i, j].tolist()
            hover = [
                [
                    f"{_position(shape, i, j, r, c)} = {flat_values[order[r][c]]}"
                    f"<br>storage index {cells[r][c]} · view element #{order[r][c]}"
                    for c in range(w)
                ]
                for r in range(h)
            ]
            fig.add_trace(
                go.Heatmap(
                    z=[[o / last for o in row] for row in order],
                    text=[[str(v) for v in row] for row in cells] if labelled else None,
                    customdata=hover,
                    texttemplate="%{text}" if labelled else None,
                    **CELLS,
                ),
                row=i + 1,
                col=j + 1,
            )
    fig.update_annotations(yshift=24)  # slice titles above the column numbers
    tick = 1 if labelled else 10  # one number per cell would overlap on a large grid
    fig.update_xaxes(showgrid=False, zeroline=False, side="top", dtick=tick)
    fig.update_yaxes(showgrid=False, zeroline=False, autorange="reversed", dtick=tick)
    if pick is not None and len(pick) == len(shape):
        i, j, r, c = _split_pick(shape, pick)
        _outline(fig, c, r, row=i + 1, col=j + 1)
    fig.update_layout(
        title=dict(text=title, x=0, y=1, yanchor="top", font=dict(size=14)),
        height=100 + a * (cell_px(a * h, labelled) * h + 50),
        margin=dict(l=30, r=10, t=80 if len(shape) > 2 else 60, b=10),
        plot_bgcolor="white",
    )
    return fig


def _as_4d(shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """0-D..4-D -> (A, B, H, W): slices laid out A rows by B columns, each H×W."""
    padded = (1,) * (4 - len(shape)) + shape
    if len(shape) == 3:  # a 3-D view is one row of 2-D slices
        return 1, padded[1], padded[2], padded[3]
    return padded  # type: ignore[return-value]


def _split_pick(shape: tuple[int, ...], pick: tuple[int, ...]) -> tuple[int, int, int, int]:
    padded = (0,) * (4 - len(shape)) + tuple(pick)
    if len(shape) == 3:
        return 0, padded[1], padded[2], padded[3]
    return padded  # type: ignore[return-value]


def _slice_title(shape: tuple[int, ...], i: int, j: int) -> str:
    if len(shape) == 3:
        return f"[{j}]"
    if len(shape) == 4:
        return f"[{i}, {j}]"
    return ""


def _position(shape: tuple[int, ...], i: int, j: int, r: int, c: int) -> str:
    if not shape:
        return "v"
    full = (j, r, c) if len(shape) == 3 else (i, j, r, c)[4 - len(shape) :]
    return "v[" + ", ".join(map(str, full)) + "]"


def _outline(
    fig: go.Figure, c: int, r: int, row: int | None = None, col: int | None = None
) -> None:
    """A thick border around one cell: the picked element."""
    kwargs = {"row": row, "col": col} if row is not None else {}
    fig.add_shape(
        type="rect",
        x0=c - 0.5,
        x1=c + 0.5,
        y0=r - 0.5,
        y1=r + 0.5,
        line=dict(color=PICK_COLOUR, width=4),
        **kwargs,
    )
