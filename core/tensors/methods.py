"""The tensor methods and attributes the explorer allows, and checking a call's arguments.

Each entry names torch's own parameters and the kind of literal each accepts, so
`x.flatten(start_dim=1)` reads as it does in PyTorch while anything else is refused.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from core.errors import LimitError, ParseError

MAX_INT = 10_000_000  # largest integer literal (a size, a dim, an index)

# Argument kinds: what each parameter of an allowed method accepts.
INT = "int"  # one integer, e.g. a dim or a start
OPT_INT = "int or None"
INTS = "ints"  # a shape: f(2, 3), f((2, 3)) or f([2, 3]); only as the sole parameter
INT_TUPLE = "tuple of ints"  # one tuple or list of integers, e.g. as_strided's size


@dataclass(frozen=True)
class Param:
    name: str  # torch's keyword name, so `flatten(start_dim=1)` works as in PyTorch
    kind: str  # INT, OPT_INT, INTS or INT_TUPLE
    required: bool = True


@dataclass(frozen=True)
class MethodSpec:
    params: tuple[Param, ...]  # in torch's order
    doc: str  # one line for the page's "what you can type" list


def _p(name: str, kind: str = INT, required: bool = True) -> Param:
    return Param(name, kind, required)


# The tensor methods a learner may call, with torch's parameter names and the argument kinds.
METHODS: dict[str, MethodSpec] = {
    "t": MethodSpec((), "transpose a 1-D or 2-D tensor (a view)"),
    "transpose": MethodSpec((_p("dim0"), _p("dim1")), "swap two dims (a view)"),
    "swapaxes": MethodSpec((_p("axis0"), _p("axis1")), "same as transpose (a view)"),
    "permute": MethodSpec((_p("dims", INTS),), "reorder all dims (a view)"),
    "movedim": MethodSpec((_p("source"), _p("destination")), "move one dim (a view)"),
    "view": MethodSpec((_p("shape", INTS),), "new shape, same storage; fails if it cannot"),
    "reshape": MethodSpec((_p("shape", INTS),), "new shape: a view when possible, else a copy"),
    "flatten": MethodSpec(
        (_p("start_dim", INT, False), _p("end_dim", INT, False)), "merge dims into one"
    ),
    "ravel": MethodSpec((), "flatten to 1-D"),
    "unflatten": MethodSpec((_p("dim"), _p("sizes", INT_TUPLE)), "split one dim (a view)"),
    "unsqueeze": MethodSpec((_p("dim"),), "add a dim of size 1 (a view)"),
    "squeeze": MethodSpec((_p("dim", INT, False),), "drop dims of size 1 (a view)"),
    "expand": MethodSpec((_p("size", INTS),), "repeat size-1 dims with stride 0 (a view)"),
    "repeat": MethodSpec((_p("repeats", INTS),), "tile the data (a copy)"),
    "narrow": MethodSpec((_p("dim"), _p("start"), _p("length")), "a slice of one dim (a view)"),
    "select": MethodSpec((_p("dim"), _p("index")), "one index of one dim (a view)"),
    "diagonal": MethodSpec(
        (_p("offset", INT, False), _p("dim1", INT, False), _p("dim2", INT, False)),
        "the diagonal (a view with stride row+column)",
    ),
    "unfold": MethodSpec(
        (_p("dimension"), _p("size"), _p("step")), "sliding windows (a view, overlapping)"
    ),
    "as_strided": MethodSpec(
        (_p("size", INT_TUPLE), _p("stride", INT_TUPLE), _p("storage_offset", OPT_INT, False)),
        "any size/stride/offset over the same storage",
    ),
    "flip": MethodSpec((_p("dims", INTS),), "reverse dims (a copy: strides cannot be negative)"),
    "contiguous": MethodSpec((), "itself if contiguous, else a row-major copy"),
    "clone": MethodSpec((), "always a copy"),
    "detach": MethodSpec((), "same data without autograd history (a view)"),
    "float": MethodSpec((), "to float32 (itself if already float32)"),
    "double": MethodSpec((), "to float64"),
    "half": MethodSpec((), "to float16"),
    "bfloat16": MethodSpec((), "to bfloat16"),
    "int": MethodSpec((), "to int32"),
    "long": MethodSpec((), "to int64"),
    "bool": MethodSpec((), "to bool"),
}

# Attributes read without a call.
ATTRIBUTES: dict[str, str] = {
    "T": "transpose a 2-D tensor (a view; use mT or permute for more dims)",
    "mT": "transpose the last two dims (a view)",
}


def number_literal(node: ast.expr) -> int | float | bool | None:
    """A number literal's value, sign included (`-1` is a unary minus in the syntax tree);
    None for anything else."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if not (isinstance(node, ast.Constant) and type(node.value) in (int, float, bool)):
        return None
    return node.value if sign == 1 else -node.value


def int_literal(node: ast.expr, what: str) -> int:
    """An integer literal, possibly negative (`-1` is a unary minus in the syntax tree)."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = -1 if isinstance(node.op, ast.USub) else 1
        node = node.operand
    if isinstance(node, ast.BinOp):
        raise ParseError(
            f"{what} must be an integer, not `{ast.unparse(node)}`: arithmetic is not worked "
            "out here, type the result."
        )
    if not (isinstance(node, ast.Constant) and type(node.value) is int):
        raise ParseError(f"{what} must be an integer, not `{ast.unparse(node)}`.")
    value = sign * node.value
    if abs(value) > MAX_INT:
        raise LimitError(f"{what} {value} is too large; integers go up to {MAX_INT:,}.")
    return value


def int_tuple(node: ast.expr, what: str) -> tuple[int, ...]:
    if not isinstance(node, ast.Tuple | ast.List):
        raise ParseError(
            f"{what} must be a tuple of integers like (2, 3), not `{ast.unparse(node)}`."
        )
    return tuple(int_literal(e, what) for e in node.elts)


def _arg(node: ast.expr, param: Param, method: str) -> Any:
    what = f"{method}'s {param.name}"
    if param.kind == OPT_INT and isinstance(node, ast.Constant) and node.value is None:
        return None
    if param.kind == INT_TUPLE:
        return int_tuple(node, what)
    return int_literal(node, what)


def call_args(
    name: str, spec: MethodSpec, node: ast.Call
) -> tuple[tuple[Any, ...], tuple[tuple[str, Any], ...]]:
    """Check a call's arguments against the method's parameter list, torch's way round."""
    if any(isinstance(a, ast.Starred) for a in node.args) or any(
        k.arg is None for k in node.keywords
    ):
        raise ParseError("* and ** unpacking are not allowed in arguments.")
    params = spec.params
    if params and params[0].kind == INTS:
        # A shape: f(2, 3), f((2, 3)) or f([2, 3]), or the keyword form f(shape=(2, 3)).
        if node.keywords:
            if node.args or len(node.keywords) > 1 or node.keywords[0].arg != params[0].name:
                raise ParseError(f"{name} takes integers, e.g. .{name}(2, 3).")
            return (int_tuple(node.keywords[0].value, f"{name}'s {params[0].name}"),), ()
        if len(node.args) == 1 and isinstance(node.args[0], ast.Tuple | ast.List):
            return (int_tuple(node.args[0], f"{name}'s {params[0].name}"),), ()
        return tuple(int_literal(a, f"{name}'s {params[0].name}") for a in node.args), ()
    if len(node.args) > len(params):
        raise ParseError(f"{name} takes at most {len(params)} arguments ({_signature(spec)}).")
    args = tuple(_arg(a, p, name) for a, p in zip(node.args, params, strict=False))
    known = {p.name: p for p in params}
    kwargs = []
    for kw in node.keywords:
        param = known.get(kw.arg or "")
        if param is None or param in params[: len(args)]:
            raise ParseError(f"{name} has no keyword {kw.arg!r} here. It takes {_signature(spec)}.")
        kwargs.append((param.name, _arg(kw.value, param, name)))
    given = {p.name for p in params[: len(args)]} | {k for k, _ in kwargs}
    missing = [p.name for p in params if p.required and p.name not in given]
    if missing:
        raise ParseError(f"{name} needs {', '.join(missing)}: {name}({_signature(spec)}).")
    return args, tuple(kwargs)


def _signature(spec: MethodSpec) -> str:
    parts = []
    for p in spec.params:
        text = f"*{p.name}" if p.kind == INTS else p.name
        parts.append(text if p.required else f"{text}=...")
    return ", ".join(parts)


def signatures() -> dict[str, str]:
    """`.transpose(dim0, dim1)` -> what it does: the list the page shows beside the input."""
    out = {f".{name}({_signature(spec)})": spec.doc for name, spec in METHODS.items()}
    out.update({f".{name}": doc for name, doc in ATTRIBUTES.items()})
    return out
