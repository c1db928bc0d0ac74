"""Read a learner's tensor expression (`x.t()[1:, ::2]`) as data: a checked chain of operations.

This is the security boundary of the tensor page. The text is parsed with
`ast.parse(mode="eval")` and every node is checked against explicit allow-lists: the only name
is `x`, the only calls are the tensor methods in METHODS with the argument kinds listed there,
the only attributes are in ATTRIBUTES, and literals are integers (plus numbers in mask
comparisons). Nothing is ever handed to eval/exec/compile: core.tensors.evaluate interprets the
checked `Op`s itself.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from core.errors import LimitError, ParseError
from core.tensors.methods import ATTRIBUTES, METHODS, call_args, int_literal, number_literal

MAX_TEXT_LENGTH = 300  # characters in one expression
MAX_DEPTH = 30  # nesting depth of the syntax tree
MAX_NODES = 300  # syntax tree nodes in one expression
MAX_STEPS = 12  # operations in one chain, e.g. x.t().flip(0) has 2

COMPARISONS: dict[type, str] = {
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Eq: "==",
    ast.NotEq: "!=",
}
_MIRRORED = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "==": "==", "!=": "!="}


@dataclass(frozen=True)
class Mask:
    """A boolean mask: a chain on x compared with a number, or masks combined with & | ~."""

    op: str  # ">", ">=", "<", "<=", "==", "!=", "&", "|" or "~"
    left: Chain | Mask  # the tensor side of a comparison, or the first mask
    right: float | int | bool | Mask | None = None  # the number, the second mask, or None for ~


@dataclass(frozen=True)
class IndexList:
    values: tuple[int, ...]  # x[[0, 2]]: integer (advanced) indexing, always a copy


@dataclass(frozen=True)
class Op:
    kind: str  # "method", "attribute" or "index"
    name: str  # the method or attribute name; "[]" for indexing
    args: tuple[Any, ...] = ()  # checked values: ints, tuples, slices, None, ..., IndexList, Mask
    kwargs: tuple[tuple[str, Any], ...] = ()  # keyword arguments as (name, value) pairs
    code: str = ""  # this operation as the learner wrote it (normalized): ".t()", "[1:, ::2]"


@dataclass(frozen=True)
class Chain:
    ops: tuple[Op, ...] = field(default_factory=tuple)  # applied left to right, starting from x
    code: str = "x"  # the whole expression, normalized by ast.unparse


def parse_expression(text: str) -> Chain:
    """Parse and check a tensor expression on `x`; refuse anything outside the allow-lists."""
    # Tabs and line breaks from a paste become spaces; tokens are never merged by this.
    source = " ".join((text or "").split())
    if not source:
        raise ParseError("Type an expression on x, for example x.t() or x[1:, ::2].")
    if len(source) > MAX_TEXT_LENGTH:
        raise LimitError(
            f"The expression is {len(source)} characters long; the limit is {MAX_TEXT_LENGTH}."
        )
    if not source.isascii() or not source.isprintable():
        bad = next(c for c in source if not (c.isascii() and c.isprintable()))
        raise ParseError(
            f"Only plain ASCII characters are allowed; found {bad!r}. Type names and "
            "numbers with a normal keyboard layout (x, digits, brackets)."
        )
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        where = f" at column {exc.offset}" if exc.offset else ""
        raise ParseError(f"This is not valid Python syntax{where}: {exc.msg}.") from None
    except (RecursionError, MemoryError, ValueError):
        raise LimitError("The expression is nested too deeply to read.") from None
    check_size(tree)
    node = tree.body
    if isinstance(node, ast.Compare | ast.BinOp | ast.UnaryOp):
        raise ParseError(
            f"`{source}` makes a mask; use it to index x, e.g. x[{ast.unparse(node)}]."
        )
    return chain_from_node(node)


def chain_from_node(node: ast.expr) -> Chain:
    """The checked chain of an expression node on `x` (core.tensors.program renames a
    learner's own name to x first)."""
    chain = _chain(node)
    if len(chain.ops) > MAX_STEPS:
        raise LimitError(f"The chain has {len(chain.ops)} operations; the limit is {MAX_STEPS}.")
    return chain


def check_size(tree: ast.AST) -> None:
    """Bound the tree's depth and node count before walking it recursively."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise LimitError(f"The expression is nested more than {MAX_DEPTH} levels deep.")
        if count > MAX_NODES:
            raise LimitError(f"The expression has more than {MAX_NODES} parts; simplify it.")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _chain(node: ast.expr) -> Chain:
    """A tensor expression: x, followed by attributes, method calls and subscripts."""
    if isinstance(node, ast.Name):
        if node.id != "x":
            raise ParseError(f"Unknown name {node.id!r}: the only name here is x, the tensor.")
        return Chain((), "x")
    if isinstance(node, ast.Attribute):
        _check_attribute_name(node.attr)
        if node.attr in METHODS:
            raise ParseError(f"{node.attr} is a method: call it, e.g. .{node.attr}(...).")
        if node.attr not in ATTRIBUTES:
            raise ParseError(_unknown(node.attr))
        return _extend(_chain(node.value), Op("attribute", node.attr), node)
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Attribute):
            what = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise ParseError(
                f"Calling {what!r} is not allowed: only tensor methods such as x.view(2, -1)."
            )
        name = node.func.attr
        _check_attribute_name(name)
        if name not in METHODS:
            raise ParseError(_unknown(name))
        args, kwargs = call_args(name, METHODS[name], node)
        return _extend(_chain(node.func.value), Op("method", name, args, kwargs), node)
    if isinstance(node, ast.Subscript):
        items = _index_items(node.slice)
        return _extend(_chain(node.value), Op("index", "[]", items), node)
    raise ParseError(f"`{ast.unparse(node)}` is not allowed here: {_describe(node)}.")


def _extend(chain: Chain, op: Op, node: ast.expr) -> Chain:
    code = ast.unparse(node)
    op = Op(op.kind, op.name, op.args, op.kwargs, code[len(chain.code) :])
    return Chain((*chain.ops, op), code)


def _check_attribute_name(name: str) -> None:
    if name.startswith("_"):
        raise ParseError(f"Attributes beginning with an underscore ({name!r}) are not allowed.")


def _unknown(name: str) -> str:
    return (
        f"Unknown or unsupported method {name!r}. Allowed: "
        f"{', '.join(sorted([*METHODS, *ATTRIBUTES]))}."
    )


def _describe(node: ast.AST) -> str:
    kinds = {
        ast.Lambda: "lambdas are not allowed",
        ast.ListComp: "comprehensions are not allowed",
        ast.GeneratorExp: "generators are not allowed",
        ast.DictComp: "comprehensions are not allowed",
        ast.SetComp: "comprehensions are not allowed",
        ast.Constant: "start from the tensor x",
        ast.NamedExpr: "assignments are not allowed",
        ast.JoinedStr: "strings are not allowed",
    }
    return kinds.get(type(node), "an expression must start from x and use allowed operations")


def _index_items(node: ast.expr) -> tuple[Any, ...]:
    """What goes between the brackets: ints, slices, None, ..., a list of ints, or a mask."""
    elts = node.elts if isinstance(node, ast.Tuple) else [node]
    items = tuple(_index_item(e) for e in elts)
    if sum(item is Ellipsis for item in items) > 1:
        raise ParseError("An index can contain at most one ellipsis (...).")
    return items


def _index_item(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant) and (node.value is None or node.value is Ellipsis):
        return node.value
    if isinstance(node, ast.Slice):
        lower, upper, step = (
            None if part is None else int_literal(part, f"The slice {name}")
            for part, name in ((node.lower, "start"), (node.upper, "stop"), (node.step, "step"))
        )
        if step is not None and step <= 0:
            raise ParseError(
                f"The slice step must be positive, not {step}: torch strides cannot be negative."
                + (" To reverse a dim use .flip(dim)." if step < 0 else "")
            )
        return slice(lower, upper, step)
    if isinstance(node, ast.List):
        return IndexList(tuple(int_literal(e, "An index in a list") for e in node.elts))
    if isinstance(node, ast.BinOp) and not isinstance(node.op, ast.BitAnd | ast.BitOr):
        raise ParseError(
            f"`{ast.unparse(node)}` is arithmetic, and an index is not worked out here: type "
            "the number itself, or index with a mask such as x > 3."
        )
    if isinstance(node, ast.Compare | ast.BinOp) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert)
    ):
        return _mask(node)
    if isinstance(node, ast.Tuple):
        raise ParseError(f"A tuple inside an index (`{ast.unparse(node)}`) is not allowed.")
    return int_literal(node, "An index")


def _mask(node: ast.expr) -> Mask:
    """`x > 3`, `(x > 1) & (x < 5)`, `~(x == 0)`: a tensor compared with a number."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd | ast.BitOr):
        op = "&" if isinstance(node.op, ast.BitAnd) else "|"
        return Mask(op, _mask(node.left), _mask(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
        return Mask("~", _mask(node.operand))
    if not isinstance(node, ast.Compare):
        raise ParseError(
            f"`{ast.unparse(node)}` is not a mask: compare x with a number, e.g. x > 3, "
            "and combine masks with & | ~."
        )
    if len(node.ops) != 1:
        raise ParseError(
            f"Chained comparisons like `{ast.unparse(node)}` are not allowed; "
            "write (x > 1) & (x < 5)."
        )
    op = COMPARISONS.get(type(node.ops[0]))
    if op is None:
        raise ParseError(f"Compare with one of {' '.join(COMPARISONS.values())}.")
    left, right = node.left, node.comparators[0]
    if _is_number(left):
        left, right, op = right, left, _MIRRORED[op]
    if not _is_number(right):
        raise ParseError(f"In `{ast.unparse(node)}` compare x with a number, e.g. x > 3.")
    return Mask(op, _chain(left), _number(right))


def _is_number(node: ast.expr) -> bool:
    return number_literal(node) is not None


def _number(node: ast.expr) -> float | int | bool:
    sign = 1
    if isinstance(node, ast.UnaryOp):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    assert isinstance(node, ast.Constant)  # checked by _is_number
    value = node.value
    if type(value) is bool:
        return value if sign == 1 else -int(value)
    if type(value) is int and abs(value) > 2**63 - 1:
        raise LimitError(f"The number {value} is too large to compare with.")
    return sign * value
