"""The chapter's lines typed as written: each value as torch prints it, refusals that name
the real reason. The reference is Python and torch themselves, run here on the same lines."""

from __future__ import annotations

import ast
import warnings

import pytest
import torch

from core.tensors.program import CHAPTER, MAX_LINES, MAX_NAMES, run_program


def torch_itself(text: str) -> list[str]:
    """What Python's prompt prints (repr) for each expression line, run with real torch
    (test code only: the app never evals)."""
    namespace = {"torch": torch}
    shown = []
    for line in text.splitlines():
        tree = ast.parse(line)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if isinstance(tree.body[0], ast.Expr):
                code = compile(ast.Expression(tree.body[0].value), "", "eval")
                shown.append(repr(eval(code, namespace)))
            else:
                exec(compile(tree, "", "exec"), namespace)
                shown.append("")
    return shown


def test_the_chapter_lines_run_and_print_what_torch_prints():
    program = run_program(CHAPTER)
    assert program.error == ""
    assert [line.output for line in program.lines] == torch_itself(CHAPTER)
    outputs = {line.code: line.output for line in program.lines}
    assert outputs["points.size()"] == "torch.Size([3, 2])"
    assert outputs["second.storage_offset()"] == "2"
    assert outputs["points.stride()"] == "(2, 1)"
    assert outputs["points.t().is_contiguous()"] == "False"
    assert "TypedStorage(dtype=torch.float32, device=cpu) of size 6" in outputs["points.storage()"]


def test_names_are_views_and_a_write_through_one_shows_in_the_others():
    text = (
        "points = torch.tensor([[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]])\n"
        "t = points.t()\nt[0, 1] = 9.5\npoints\nt.storage()"
    )
    program = run_program(text)
    assert program.error == ""
    assert [line.output for line in program.lines] == torch_itself(text)
    assert program.names["points"][1, 0] == 9.5
    assert (
        program.names["t"].untyped_storage().data_ptr()
        == program.names["points"].untyped_storage().data_ptr()
    )


@pytest.mark.parametrize(
    "text",
    [
        "a = torch.tensor([[1, 2], [3, 4]])\na[a > 2] = 0\na",  # a mask write; int64, as in torch
        "a = torch.zeros(2, 3)\na[:, 1] = 7\na.stride(1)\na[1].storage_offset()",
        "a = torch.ones(4, dtype=torch.float64)\nb = a[1:]\nb.storage_offset()\na.dtype",
        "a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])\na.T.is_contiguous()\na.shape\nint(a[1, 1])",
    ],
)
def test_other_lines_match_torch(text):
    program = run_program(text)
    assert program.error == ""
    assert [line.output for line in program.lines] == torch_itself(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("os.system('ls')", "`os` was never assigned"),
        ("import os", "imports are not allowed"),
        ("p = torch.tensor([1.0, 2.0])\np[1 + 1]", "`1 + 1` is arithmetic"),
        ("p = torch.tensor([1.0, 2.0])\np.view(1 + 1)", "arithmetic is not worked out"),
        ("p = torch.tensor([1.0, 2.0])\np[p + 1]", "`p + 1` is arithmetic"),
        ("p = torch.tensor([1.0, 2.0])\np[q > 1]", "`q` was never assigned"),
        ("p = torch.tensor([1.0, 2.0])\np.__class__", "underscore"),
        ("p = torch.tensor([1.0, 2.0])\nfloat(p)", "only one element tensors"),
        ("p = torch.load('x')", "torch.load is not available"),
        ("p = torch.tensor([1.0])\np[0] = 1 + 1", "no arithmetic"),
        ("torch = torch.tensor([1.0])", "cannot be a name"),
        ("p = torch.zeros(1000, 1000)", "at most 10,000"),
    ],
)
def test_a_refusal_names_the_real_reason(text, reason):
    program = run_program(text)
    assert reason in program.error, program.error
    assert f"Line {len(text.splitlines())}" in program.error  # and says which line


def test_the_lines_before_a_refused_one_keep_their_values():
    program = run_program("p = torch.tensor([1.0, 2.0])\np.size()\nnope\np.stride()")
    assert [line.output for line in program.lines] == ["", "torch.Size([2])"]
    assert "Line 3" in program.error and "`nope` was never assigned" in program.error


def test_limits():
    assert "limit is" in run_program("\n".join(["p = torch.tensor([1.0])"] * (MAX_LINES + 1))).error
    names = "\n".join(f"n{i} = torch.tensor([1.0])" for i in range(MAX_NAMES + 1))
    assert f"at most {MAX_NAMES} names" in run_program(names).error
