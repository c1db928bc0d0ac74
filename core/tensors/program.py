"""The chapter's own lines, typed as written: several statements, names the learner assigns.

    points = torch.tensor([[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]])
    second = points[1]
    second.storage_offset()

Each line is one of
- `name = <tensor>`: `torch.tensor([...])`, `torch.zeros(...)` / `torch.ones(...)`, or a chain
  on a name assigned before (the explorer's checked chains: core.tensors.parse);
- `name[index] = number`: a write through a view, which every view of that storage sees;
- `<expression>`: a tensor, a question torch answers about one (`.storage()`, `.size()`,
  `.stride()`, `.storage_offset()`, `.is_contiguous()`, `.shape`, `.dtype`...), or
  `float(...)` / `int(...)` of one; its value is shown as torch prints it.

This is the same security boundary as core.tensors.parse: lines are read with `ast` and every
node is checked; nothing reaches eval/exec/compile. A name is always a tensor this program
made, so `os.system(...)` is refused because `os` was never assigned, which is the truth.
"""

from __future__ import annotations

import ast
import copy
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch

from core.engine.learning.chapter import POINTS_TEXT
from core.errors import LimitError, ParseError, TorchlabError
from core.tensors.base import MAX_BASE_DIMS, parse_values
from core.tensors.dtypes import DTYPES, dtype_from_name
from core.tensors.evaluate import evaluate, write_index
from core.tensors.methods import int_literal, number_literal
from core.tensors.parse import MAX_TEXT_LENGTH, chain_from_node, check_size

MAX_LINES = 20
MAX_NAMES = 12
MAX_CREATED = 10_000  # elements one torch.zeros / torch.ones line may make
MAX_PRINTED_LINES = 24  # lines of one printed value; longer ones are cut in the middle
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,30}$")
RESERVED = {"torch", "float", "int"}
# Questions torch answers about a tensor: method -> how many integer arguments it may take.
QUERIES = {
    "storage": 0,
    "untyped_storage": 0,
    "size": 1,
    "stride": 1,
    "storage_offset": 0,
    "is_contiguous": 0,
    "dim": 0,
    "numel": 0,
    "nelement": 0,
    "element_size": 0,
    "item": 0,
    "tolist": 0,
    "data_ptr": 0,
}
PROPERTIES = ("shape", "dtype", "ndim", "device", "is_leaf", "requires_grad")
CONVERSIONS = {"float": float, "int": int}
CHAPTER = (
    f"points = torch.tensor({POINTS_TEXT})\n"
    "points.storage()\n"
    "points.size()\n"
    "points.storage_offset()\n"
    "second = points[1]\n"
    "second.storage_offset()\n"
    "points.stride()\n"
    "float(points[0, 0])\n"
    "points.t().is_contiguous()\n"
    "second[0] = 10.0\n"
    "points"
)


@dataclass
class Line:
    number: int  # from 1
    code: str  # the line as typed (stripped)
    output: str = ""  # what torch prints for its value ("" for a plain assignment)
    tensor: torch.Tensor | None = None  # the tensor it made or named, for the cards
    name: str = ""  # the name it assigned, if any
    made: bool = False  # it made a tensor of its own (not a write, not a bare name)


@dataclass
class Program:
    lines: list[Line] = field(default_factory=list)
    names: dict[str, torch.Tensor] = field(default_factory=dict)
    error: str = ""  # why the line after the last one in `lines` was refused ("" if none)


def picture_labels(made: list[Line]) -> list[str]:
    """One label per tensor a line made: its name, with the line number where a name was
    bound more than once (`points` 1-D on line 1, 3 × 2 on line 2), else its code."""
    names = [line.name for line in made if line.name]
    return [
        f"{line.name} (line {line.number})"
        if line.name and names.count(line.name) > 1
        else line.name or line.code
        for line in made
    ]


def run_program(text: str, reservation: Any = None) -> Program:
    """Run the lines in order until one is refused; the lines before it keep their values."""
    source_lines = [(i + 1, s.strip()) for i, s in enumerate((text or "").splitlines())]
    source_lines = [(n, s) for n, s in source_lines if s and not s.startswith("#")]
    program = Program()
    if len(source_lines) > MAX_LINES:
        program.error = f"{len(source_lines)} lines; the limit is {MAX_LINES}."
        return program
    for number, code in source_lines:
        try:
            program.lines.append(_run_line(number, code, program.names, reservation))
        except TorchlabError as exc:
            program.error = f"Line {number} (`{code}`): {exc}"
            break
    return program


def _run_line(number: int, code: str, names: dict[str, torch.Tensor], reservation) -> Line:
    if len(code) > MAX_TEXT_LENGTH:
        raise LimitError(f"it is {len(code)} characters long; the limit is {MAX_TEXT_LENGTH}.")
    if not code.isascii() or not code.isprintable():
        raise ParseError("only plain ASCII characters are allowed.")
    try:
        tree = ast.parse(code, mode="exec")
    except SyntaxError as exc:
        raise ParseError(f"this is not valid Python syntax: {exc.msg}.") from None
    except (RecursionError, MemoryError, ValueError):
        raise LimitError("it is nested too deeply to read.") from None
    check_size(tree)
    if len(tree.body) != 1:
        raise ParseError("write one statement per line.")
    statement = tree.body[0]
    line = Line(number, code)
    if isinstance(statement, ast.Assign):
        if len(statement.targets) != 1:
            raise ParseError("assign one name at a time (a = ..., not a = b = ...).")
        target = statement.targets[0]
        if isinstance(target, ast.Name):
            _check_new_name(target.id, names)
            line.tensor = _tensor(statement.value, names, reservation)
            line.name, line.made = target.id, True
            names[target.id] = line.tensor
            return line
        if isinstance(target, ast.Subscript):
            value = _number(statement.value)
            view = _tensor(target.value, names, reservation)
            root = _root(target)
            with _named(root.id):
                index = chain_from_node(_Rename(root.id).visit(ast.Subscript(
                    ast.Name(root.id, ast.Load()), copy.deepcopy(target.slice), ast.Load()
                ))).ops[0]  # fmt: skip
                write_index(view, index, names[root.id], value, code)
            line.tensor = view
            return line
        raise ParseError(
            f"`{ast.unparse(target)}` cannot be assigned to: assign a name (a = ...) or "
            "write through an index (a[0, 1] = 2.0)."
        )
    if isinstance(statement, ast.AugAssign | ast.AnnAssign):
        raise ParseError("only plain assignments (a = ...) are allowed.")
    if isinstance(statement, ast.Import | ast.ImportFrom):
        raise ParseError("imports are not allowed: torch is already here, and nothing else is.")
    if not isinstance(statement, ast.Expr):
        raise ParseError(
            f"`{type(statement).__name__.lower()}` statements are not allowed: one assignment "
            "or one expression per line."
        )
    value = _value(statement.value, names, reservation)
    if isinstance(value, torch.Tensor):
        line.tensor, line.made = value, not isinstance(statement.value, ast.Name)
    line.output = printed(value)
    return line


def _check_new_name(name: str, names: dict[str, torch.Tensor]) -> None:
    if not NAME.match(name) or name in RESERVED:
        raise ParseError(
            f"`{name}` cannot be a name here: use letters, digits and _, starting with a "
            f"letter, and not {', '.join(sorted(RESERVED))}."
        )
    if name not in names and len(names) >= MAX_NAMES:
        raise LimitError(f"at most {MAX_NAMES} names; reuse one.")


def _value(node: ast.expr, names: dict[str, torch.Tensor], reservation) -> Any:
    """What an expression line shows: a tensor, or torch's answer about one."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        convert = CONVERSIONS.get(node.func.id)
        if convert is not None:
            if len(node.args) != 1 or node.keywords:
                raise ParseError(f"{node.func.id}(...) takes one tensor.")
            t = _tensor(node.args[0], names, reservation)
            return _call(lambda: convert(t), ast.unparse(node))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        method = node.func.attr
        if method in QUERIES and not _is_torch(node.func.value):
            if node.keywords or len(node.args) > QUERIES[method]:
                most = QUERIES[method]
                raise ParseError(
                    f".{method}() takes {'no' if not most else 'at most one'} argument"
                    f"{'s' if not most else ' (a dim)'}."
                )
            args = [int_literal(a, f"{method}'s dim") for a in node.args]
            t = _tensor(node.func.value, names, reservation)
            return _call(lambda: _ask(t, method, args), ast.unparse(node))
    if isinstance(node, ast.Attribute) and node.attr in PROPERTIES:
        t = _tensor(node.value, names, reservation)
        return getattr(t, node.attr)
    return _tensor(node, names, reservation)


def _ask(t: torch.Tensor, method: str, args: list[int]) -> Any:
    with warnings.catch_warnings():  # TypedStorage is deprecated; the chapter still uses it
        warnings.simplefilter("ignore")
        return getattr(t, method)(*args)


def _tensor(node: ast.expr, names: dict[str, torch.Tensor], reservation) -> torch.Tensor:
    """A tensor-valued expression: a new tensor from torch, or a checked chain on a name."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and _is_torch(node.func.value)
    ):
        return _create(node)
    root = _root(node)
    if root is None:
        raise ParseError(
            f"`{ast.unparse(node)}` is not a tensor: start from a name you assigned, or "
            "make one with torch.tensor([...])."
        )
    if root.id == "torch":
        raise ParseError(
            "only torch.tensor, torch.zeros and torch.ones make tensors here; "
            "the rest of torch is methods on a tensor, e.g. points.t()."
        )
    if root.id not in names:
        raise ParseError(f"`{root.id}` was never assigned: assign it on an earlier line.")
    others = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} - {root.id}
    if others:
        name = sorted(others)[0]
        if name not in names:
            raise ParseError(f"`{name}` was never assigned: assign it on an earlier line.")
        raise ParseError(
            f"`{name}` inside `{ast.unparse(node)}`: an index or mask here may only use "
            f"`{root.id}` itself, e.g. {root.id}[{root.id} > 2]."
        )
    with _named(root.id):
        chain = chain_from_node(_Rename(root.id).visit(copy.deepcopy(node)))
        base = names[root.id]
        steps = evaluate(chain, base, reservation)
    return steps[-1].tensor if steps else base


@contextmanager
def _named(name: str) -> Iterator[None]:
    """The checked chains start from x: say the learner's name in their messages instead."""
    try:
        yield
    except TorchlabError as exc:
        message = re.sub(r"(?<![\w.])x(?![\w])", name, str(exc))
        raise type(exc)(message) from None


def _root(node: ast.expr) -> ast.Name | None:
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node if isinstance(node, ast.Name) else None


class _Rename(ast.NodeTransformer):
    def __init__(self, name: str) -> None:
        self.name = name

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.Name("x", node.ctx) if node.id == self.name else node


def _is_torch(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "torch"


def _create(node: ast.Call) -> torch.Tensor:
    """torch.tensor([...]), torch.zeros(2, 3), torch.ones(3), each with an optional dtype."""
    assert isinstance(node.func, ast.Attribute)
    what = node.func.attr
    dtype = None  # torch's own choice: int64 for whole numbers, float32 otherwise
    for kw in node.keywords:
        if kw.arg != "dtype":
            raise ParseError(f"torch.{what} takes only dtype= here, not {kw.arg}=.")
        dtype = _dtype(kw.value)
    if what == "tensor":
        if len(node.args) != 1:
            raise ParseError("torch.tensor takes one nested list of numbers.")
        values = parse_values(ast.unparse(node.args[0]))
        return _call(lambda: torch.tensor(values, dtype=dtype), ast.unparse(node))
    if what in ("zeros", "ones"):
        shape = [int_literal(a, f"A size of torch.{what}") for a in node.args]
        if not shape or len(shape) > MAX_BASE_DIMS or any(s < 1 for s in shape):
            raise ParseError(f"torch.{what} takes 1 to {MAX_BASE_DIMS} positive sizes.")
        numel = 1
        for s in shape:
            numel *= s
        if numel > MAX_CREATED:
            raise LimitError(
                f"{numel:,} elements; torch.{what} here makes at most {MAX_CREATED:,}."
            )
        make = torch.zeros if what == "zeros" else torch.ones
        return make(*shape, dtype=dtype)
    raise ParseError(
        f"torch.{what} is not available here: make tensors with torch.tensor, torch.zeros or "
        "torch.ones, and use methods on them."
    )


def _dtype(node: ast.expr) -> torch.dtype:
    if isinstance(node, ast.Attribute) and _is_torch(node.value) and node.attr in DTYPES:
        return dtype_from_name(node.attr)
    raise ParseError(
        f"dtype must be one of {', '.join('torch.' + d for d in DTYPES)}, "
        f"not `{ast.unparse(node)}`."
    )


def _number(node: ast.expr) -> float | int | bool:
    value = number_literal(node)
    if value is None:
        raise ParseError(
            f"the value written must be a number, not `{ast.unparse(node)}` "
            "(no arithmetic: work it out and type the result)."
        )
    return value


def _call(fn, code: str) -> Any:
    try:
        return fn()
    except (RuntimeError, ValueError, TypeError, IndexError) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        raise TorchlabError(f"torch refuses `{code}`: {message[:300]}") from None


def printed(value: Any) -> str:
    """The value as Python's prompt prints it (its repr), a long listing cut in the middle."""
    with warnings.catch_warnings():  # a TypedStorage warns that it is deprecated
        warnings.simplefilter("ignore")
        text = repr(value)
    rows = text.splitlines()
    if len(rows) > MAX_PRINTED_LINES:
        half = MAX_PRINTED_LINES // 2
        rows = [*rows[:half], f"... ({len(rows) - 2 * half} more lines) ...", *rows[-half:]]
    return "\n".join(rows)
