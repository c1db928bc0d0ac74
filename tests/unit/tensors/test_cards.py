"""The storage facts on each result card (storage length and bytes) are torch's own numbers.

A view reads part of x's storage but the storage itself is still all of x: `x[1]` of a 3×4
tensor shows 4 elements over a storage of 12. The card must say 12, not 4.
"""

from __future__ import annotations

import pytest

from core.tensors.base import BaseSpec, make_base, tensor_info
from core.tensors.dtypes import DTYPES
from core.tensors.evaluate import evaluate
from core.tensors.parse import parse_expression

# (expression on a 3×4 x, elements it shows); every one is a view of all 12 stored elements.
VIEWS = [
    ("x[1]", 4),
    ("x[:, 1]", 3),
    ("x[1:, ::2]", 4),
    ("x.t()", 12),
    ("x[0][0]", 1),
    ("x.unsqueeze(0).expand(5, -1, -1)", 60),  # 60 elements shown, still 12 stored
]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "int16", "bool"])
def test_a_row_of_x_reports_the_whole_storage_of_x(dtype):
    x = make_base(BaseSpec(shape=(3, 4), dtype=dtype))
    (step,) = evaluate(parse_expression("x[1]"), x)
    info = tensor_info(step.tensor, x)
    size = DTYPES[dtype].itemsize
    assert (info.numel, info.nbytes) == (4, 4 * size)  # what the view shows
    assert (info.storage_length, info.storage_nbytes) == (12, 12 * size)  # what it sits on
    assert info.storage_nbytes == x[1].untyped_storage().nbytes()
    assert info.shares_storage


@pytest.mark.parametrize(("text", "numel"), VIEWS, ids=[v[0] for v in VIEWS])
def test_every_view_reports_the_storage_torch_reports(text, numel):
    x = make_base(BaseSpec(shape=(3, 4), dtype="float64"))
    t = evaluate(parse_expression(text), x)[-1].tensor
    info = tensor_info(t, x)
    assert info.numel == numel and info.nbytes == numel * 8
    assert info.storage_nbytes == t.untyped_storage().nbytes() == 12 * 8
    assert info.storage_length == 12
    assert info.shares_storage


@pytest.mark.parametrize(("text", "stored"), [("x[[0, 2]]", 8), ("x[x > 6]", 5), ("x.clone()", 12)])
def test_a_copy_reports_its_own_new_storage(text, stored):
    x = make_base(BaseSpec(shape=(3, 4), dtype="int16"))
    t = evaluate(parse_expression(text), x)[-1].tensor
    info = tensor_info(t, x)
    assert not info.shares_storage
    assert info.storage_nbytes == t.untyped_storage().nbytes() == stored * 2
    assert info.storage_length == stored


def test_a_view_of_a_view_of_a_bigger_tensor_still_reports_the_base_storage():
    x = make_base(BaseSpec(shape=(2, 3, 4), dtype="float32"))
    steps = evaluate(parse_expression("x.permute(2, 0, 1)[1:, :, ::2].flatten(1)[0]"), x)
    for step in steps:
        info = tensor_info(step.tensor, x)
        if info.shares_storage:
            assert (info.storage_length, info.storage_nbytes) == (24, 96), step.code
        assert info.storage_nbytes == step.tensor.untyped_storage().nbytes(), step.code
        assert info.storage_length * info.element_size == info.storage_nbytes, step.code
