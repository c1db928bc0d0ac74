"""The base tensor, the seed's examples, addresses, write-through, refusals, dtypes and the code."""

from __future__ import annotations

import contextlib
import io
import re

import pytest
import torch

from core.errors import LimitError, ParseError
from core.tensors.base import (
    FILLS,
    BaseSpec,
    address,
    base_code,
    formatted_values,
    make_base,
    parse_shape,
    parse_values,
    storage_of,
    tensor_info,
)
from core.tensors.code import explorer_code
from core.tensors.dtypes import (
    DTYPES,
    check_value_fits,
    dtype_rows,
    dtype_table,
    format_bytes,
    integer_text,
)
from core.tensors.evaluate import MAX_ELEMENTS, TensorOpError, evaluate
from core.tensors.examples import EXAMPLES
from core.tensors.parse import parse_expression
from core.tensors.write import failure_demos, write_through


def run_script(code: str) -> tuple[dict, str]:
    """Run generated PyTorch code (our own output, never user text) and capture what it prints."""
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, namespace)  # our generated script (never user text): does it reproduce the page?
    return namespace, out.getvalue()


def test_the_seed_points_example_reproduces_exactly():
    example = EXAMPLES["points"]
    points = make_base(example.spec)
    reference = torch.tensor([[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]])
    torch.testing.assert_close(points, reference, rtol=0, atol=0)
    assert storage_of(points).tolist() == [1.0, 4.0, 2.0, 1.0, 3.0, 5.0]
    assert formatted_values(storage_of(points)) == ["1.0", "4.0", "2.0", "1.0", "3.0", "5.0"]
    info = tensor_info(points, points)
    assert (info.size, info.storage_offset, info.stride) == ((3, 2), 0, (2, 1))
    (step,) = evaluate(parse_expression(example.expression), points)
    assert step.code == "x[1]"
    row = tensor_info(step.tensor, points)
    assert row.storage_offset == reference[1].storage_offset() == 2
    assert row.shares_storage and row.verdict == "view of x's storage"


def test_every_example_runs_and_shows_what_its_note_says():
    for key, example in EXAMPLES.items():
        x = make_base(example.spec)
        chain = parse_expression(example.expression)
        if key == "view_fails":
            with pytest.raises(TensorOpError, match="reshape"):
                evaluate(chain, x)
            continue
        t = evaluate(chain, x)[-1].tensor
        if key == "expand":
            assert 0 in t.stride()
        if key == "mask":
            assert not tensor_info(t, x).shares_storage
        if key == "transpose":
            assert t.stride() == (1, 4)
        if key == "slice":
            assert (t.storage_offset(), t.stride()) == (6, (6, 2))


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("fill", [f for f in FILLS if f != "values"])
def test_base_code_builds_exactly_the_page_tensor(dtype, fill):
    spec = BaseSpec(shape=(2, 3), dtype=dtype, fill=fill, seed=7)
    x = make_base(spec)
    namespace, _ = run_script("import torch\n" + "\n".join(base_code(spec)))
    assert namespace["x"].dtype == x.dtype == DTYPES[dtype]
    torch.testing.assert_close(namespace["x"], x, rtol=0, atol=0)
    if fill == "arange" and dtype != "bool":
        assert x.reshape(-1).tolist() == list(range(6))  # each value is its storage index


def test_random_fill_is_seeded():
    a, b = (make_base(BaseSpec(fill="random", seed=3)) for _ in range(2))
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.equal(a, make_base(BaseSpec(fill="random", seed=4)))


def test_typed_values_and_shapes_are_checked():
    assert parse_shape("3, 4") == (3, 4) == parse_shape("(3, 4)")
    assert parse_values("[[1, -2.5], [True, 4]]") == [[1, -2.5], [True, 4]]
    for bad in ("", "3, x", "0, 2", "1, 2, 3, 4, 5", "-1"):
        with pytest.raises((ParseError, LimitError)):
            parse_shape(bad)
    with pytest.raises(LimitError, match=f"{MAX_ELEMENTS:,}"):
        parse_shape("10000, 10000")
    for bad in ("[[1, 2], [3]]", "[1, 'a']", "[__import__('os')]", "1", "[[[[[1]]]]]", "[]"):
        with pytest.raises((ParseError, LimitError)):
            parse_values(bad)
    with pytest.raises(ParseError, match="int8"):
        make_base(BaseSpec(fill="values", values="[1, 300]", dtype="int8"))
    with pytest.raises(ParseError, match="whole number"):
        make_base(BaseSpec(fill="values", values="[1.5]", dtype="int32"))


def test_address_arithmetic_matches_torch():
    x = torch.arange(24, dtype=torch.int64).reshape(2, 3, 4)
    t = x.permute(2, 0, 1)[1:, :, ::2]  # (3, 2, 2)
    for index in [(0, 0, 0), (2, 1, 1), (1, 0, 1)]:
        picked = address(t, index)
        assert picked.storage_index == t[index].item()  # x is arange: value == storage index
        terms = " + ".join(f"{i}·{s}" for i, s in zip(index, t.stride(), strict=True))
        assert picked.formula == (
            f"offset + Σ iₖ·strideₖ = {t.storage_offset()} + {terms} = {picked.storage_index}"
        )
    with pytest.raises(ParseError, match="valid: 0 to 2"):
        address(t, (3, 0, 0))


def test_writing_through_a_view_changes_x_and_other_views_but_not_copies():
    spec = BaseSpec(shape=(3, 4), dtype="float64")
    chain = parse_expression("x.t()[1:].contiguous()")  # view, view, copy
    result = write_through(spec, chain, 1, (2, 1), 100.0)  # v1[2, 1] = 100.0
    x = make_base(spec)
    expected_x = x.clone()
    expected_x.t()[2, 1] = 100.0
    by_name = {c.name: c for c in result.tensors}
    assert result.error is None and result.code == "v1[2, 1] = 100.0"
    torch.testing.assert_close(by_name["x"].after, expected_x)
    assert by_name["x"].changed.nonzero().tolist() == [[1, 2]]
    assert by_name["v1"].count == 1 and by_name["v2"].count == 1  # v2 = v1[1:] sees it
    assert by_name["v3"].count == 0 and not by_name["v3"].shares_storage  # the copy does not
    assert by_name["x"].summary() == (
        "**x** (the base tensor): 1 element(s) changed: x[1, 2]: 6.0 → 100.0"
    )
    assert by_name["v3"].summary() == "**v3** (copy): unchanged"


def test_one_write_into_an_expanded_view_shows_in_every_repeat():
    spec = BaseSpec(shape=(3,), dtype="int64")
    chain = parse_expression("x.unsqueeze(0).expand(4, -1)")
    result = write_through(spec, chain, 2, (0, 1), 9.0)
    assert result.code == "v2[0, 1] = 9"
    assert result.tensors[2].changed[:, 1].all() and result.tensors[2].count == 4
    assert result.tensors[0].count == 1


def test_adding_to_an_expanded_view_is_refused_by_torch():
    spec = BaseSpec(shape=(3,))
    chain = parse_expression("x.unsqueeze(0).expand(4, -1)")
    result = write_through(spec, chain, 2, (), 1.0, mode="add")
    assert "single memory location" in result.error and "clone()" in result.error
    assert all(c.count == 0 for c in result.tensors)
    with pytest.raises(ParseError, match="fit"):
        write_through(BaseSpec(dtype="uint8"), parse_expression("x"), 0, (0, 0), -1.0)


def test_failure_demos_carry_torchs_own_messages_and_working_fixes():
    expand, view = failure_demos()
    a = torch.arange(6.0).reshape(2, 3)
    with pytest.raises(RuntimeError) as info:
        a.unsqueeze(0).expand(2, 2, 3).add_(1)
    assert expand.error == str(info.value).splitlines()[0].strip()
    with pytest.raises(RuntimeError) as info:
        a.t().view(6)
    assert view.error == " ".join(str(info.value).split())
    assert "copy, new storage" in view.fix_result and "[0.0, 3.0, 1.0, 4.0, 2.0, 5.0]" in (
        view.fix_result
    )


def test_dtype_table_matches_iinfo_and_finfo():
    rows = {row.name: row for row in dtype_table((3, 4))}
    assert list(rows) == list(DTYPES)
    for name, dtype in DTYPES.items():
        row = rows[name]
        assert row.bytes_per_element == torch.empty(0, dtype=dtype).element_size()
        assert row.memory_bytes == 12 * torch.empty(0, dtype=dtype).element_size()
        if dtype.is_floating_point:
            info = torch.finfo(dtype)
            assert (row.min, row.max, row.eps) == (info.min, info.max, info.eps)
            assert row.smallest_normal == info.smallest_normal
            n = row.exact_integers_up_to  # n is stored exactly, n + 1 is not
            assert torch.tensor(float(n), dtype=dtype).item() == n
            assert torch.tensor(float(n + 1), dtype=dtype).item() != n + 1
        elif dtype != torch.bool:
            info = torch.iinfo(dtype)
            assert (row.min, row.max, row.eps) == (info.min, info.max, None)
    shown = dtype_rows((3, 4), "int8")
    assert [r["dtype"] for r in shown if r["dtype"].startswith("▶")] == ["▶ int8"]
    # 19-digit int64 limits were cut off by their column: powers of two fit and stay exact
    int64 = next(r for r in shown if r["dtype"] == "int64")
    assert (int64["min"], int64["max"]) == ("-2⁶³", "2⁶³ − 1")
    assert int64["exact integers up to"] == "2⁶³ − 1"
    assert next(r for r in shown if r["dtype"] == "float64")["exact integers up to"] == "2⁵³"
    assert next(r for r in shown if r["dtype"] == "int32")["max"] == str(2**31 - 1)
    assert integer_text(10**12 + 1, commas=True) == "1,000,000,000,001"
    assert format_bytes(48) == "48 B" and format_bytes(40_000_000) == "38.1 MiB"
    check_value_fits(float("nan"), torch.float16)
    with pytest.raises(ParseError):
        check_value_fits(2, torch.bool)


def test_show_the_code_reproduces_every_card():
    spec = BaseSpec(shape=(2, 3, 4), dtype="int16")
    x = make_base(spec)
    steps = evaluate(parse_expression("x.permute(2, 0, 1)[1:, :, ::2].flatten(1)"), x)
    code = explorer_code(spec, steps, pick=(2, (1, 0, 1)), write="v2[0, 0, 0] = 7")
    namespace, printed = run_script(code)
    lines = dict(re.findall(r"^(x|v\d): (.*)$", printed, flags=re.M))
    for name, t in zip(["x", "v1", "v2", "v3"], [x, *(s.tensor for s in steps)], strict=True):
        info = tensor_info(t, x)
        assert f"size={info.size} stride={info.stride} offset={info.storage_offset}" in lines[name]
        assert f"contiguous={info.is_contiguous}" in lines[name]
        assert ("view of x" in lines[name]) == info.shares_storage
    picked = address(steps[1].tensor, (1, 0, 1))
    assert f"{picked.storage_index} " in printed
    expected = x.clone()
    expected.permute(2, 0, 1)[1:, :, ::2][0, 0, 0] = 7
    torch.testing.assert_close(namespace["x"], expected, rtol=0, atol=0)  # written through v2
