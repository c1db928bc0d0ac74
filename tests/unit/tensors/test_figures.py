"""The storage strip and the logical grid draw what torch says about the view."""

from __future__ import annotations

import pytest
import torch

from core.tensors.base import formatted_values, storage_indices, storage_of
from core.tensors.figures import (
    CELL_PX,
    MAX_CELLS_PX,
    MAX_DRAWN_CELLS,
    MIN_LABELLED_CELL_PX,
    WIDE_STRIP_COLUMNS,
    NotDrawable,
    cell_px,
    first_visit,
    logical_grid_fig,
    storage_strip_fig,
)


def indices_of(t: torch.Tensor) -> torch.Tensor:
    return storage_indices(tuple(t.shape), t.stride(), t.storage_offset())


def test_first_visit_matches_reading_the_view_in_order():
    x = torch.arange(12, dtype=torch.int64)
    t = x.reshape(3, 4).t()[1:].unsqueeze(0).expand(2, -1, -1)  # repeats every cell twice
    first, counts = first_visit(indices_of(t), 12)
    expected_first, expected_counts = [-1] * 12, [0] * 12
    for order, cell in enumerate(t.reshape(-1).tolist()):  # value == storage index
        if expected_first[cell] < 0:
            expected_first[cell] = order
        expected_counts[cell] += 1
    assert (first, counts) == (expected_first, expected_counts)


def test_strip_colours_the_cells_the_view_reads_in_view_order():
    x = torch.arange(12.0).reshape(3, 4)
    t = x[1:, ::2]  # reads storage 4, 6, 8, 10
    fig = storage_strip_fig(formatted_values(storage_of(t)), indices_of(t), pick=6)
    z = fig.data[0].z
    assert len(z) == 1 and len(z[0]) == 12
    touched = {c: v for c, v in enumerate(z[0]) if v is not None}
    assert touched == {4: 0.0, 6: 1 / 3, 8: 2 / 3, 10: 1.0}
    assert fig.data[0].text[0][6].startswith("6.0<br>") and "#1" in fig.data[0].text[0][6]
    assert fig.data[0].text[0][5] == "5.0"  # skipped memory keeps its value, no order
    (outline,) = fig.layout.shapes
    assert (outline.x0, outline.x1, outline.y0) == (5.5, 6.5, -0.5)


def test_strip_marks_cells_read_more_than_once():
    x = torch.arange(3.0)
    t = x.unsqueeze(0).expand(4, -1)
    fig = storage_strip_fig(formatted_values(storage_of(t)), indices_of(t))
    assert all("×4" in cell for cell in fig.data[0].text[0])


def test_long_storage_wraps_onto_rows():
    x = torch.arange(100.0)
    fig = storage_strip_fig(formatted_values(x), indices_of(x[::3]))
    z = fig.data[0].z
    assert len(z) == 4 and len(z[0]) == 32
    assert [c for row in z for c in row].count(None) == 128 - 34  # 34 cells read, rest skipped


@pytest.mark.parametrize(
    ("shape", "panels"), [((), 1), ((5,), 1), ((3, 4), 1), ((2, 3, 4), 2), ((2, 3, 2, 2), 6)]
)
def test_grid_labels_every_cell_with_its_storage_index(shape, panels):
    numel = int(torch.tensor(shape).prod()) if shape else 1
    x = torch.arange(numel * 2, dtype=torch.int64)
    t = x[::2].reshape(shape) if shape else x[1]  # a strided view, value == storage index
    fig = logical_grid_fig(indices_of(t), formatted_values(t))
    assert len(fig.data) == panels
    labels = [int(v) for trace in fig.data for row in trace.text for v in row]
    assert labels == t.reshape(-1).tolist()


def test_grid_outlines_the_picked_element_in_its_slice():
    x = torch.arange(24, dtype=torch.int64).reshape(2, 3, 4)
    t = x.permute(1, 0, 2)  # (3, 2, 4): three slices in a row
    fig = logical_grid_fig(indices_of(t), formatted_values(t), pick=(2, 1, 3))
    (outline,) = fig.layout.shapes
    assert (outline.xref, outline.x0, outline.y0) == ("x3", 2.5, 0.5)
    assert fig.data[2].text[1][3] == str(t[2, 1, 3].item())


def test_what_cannot_be_drawn_says_why():
    big = torch.arange(MAX_DRAWN_CELLS + 1.0)
    with pytest.raises(NotDrawable, match=f"{MAX_DRAWN_CELLS:,}"):
        storage_strip_fig(formatted_values(big), indices_of(big))
    with pytest.raises(NotDrawable, match="no elements"):
        logical_grid_fig(indices_of(big[:0]), [])
    five = torch.zeros(1, 1, 1, 1, 1)
    with pytest.raises(NotDrawable, match="4 dimensions"):
        logical_grid_fig(indices_of(five), formatted_values(five))
    many = torch.zeros(10, 10, 1, 1)
    with pytest.raises(NotDrawable, match="slices"):
        logical_grid_fig(indices_of(many), formatted_values(many))


def test_ten_thousand_cells_stay_about_one_screen_high():
    # A 100 × 100 x drew a 13,000 px strip and a 4,300 px grid: rows now share the height.
    x = torch.arange(10_000.0).reshape(100, 100)
    t = x.t()
    strip = storage_strip_fig(formatted_values(storage_of(t)), indices_of(t))
    grid = logical_grid_fig(indices_of(t), formatted_values(t))
    assert len(strip.data[0].z[0]) == WIDE_STRIP_COLUMNS  # unlabelled: wider rows
    assert strip.layout.height <= 100 + MAX_CELLS_PX and grid.layout.height <= 150 + MAX_CELLS_PX
    assert strip.layout.yaxis.ticktext[1] == f"{10 * WIDE_STRIP_COLUMNS}+"  # every tenth row
    small = torch.arange(12.0).reshape(3, 4)
    assert storage_strip_fig(formatted_values(small), indices_of(small)).layout.height == (
        90 + CELL_PX  # a small strip keeps full-size, labelled cells
    )
    assert cell_px(1000, labelled=True) == MIN_LABELLED_CELL_PX  # text still fits its cell
