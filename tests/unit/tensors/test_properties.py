"""Property-based: random shapes and random chains of views, checked step by step against torch.

Each chain is generated twice in step: as the text a learner would type, and as the same call
made directly on torch. Every intermediate result must agree on size, stride, offset,
contiguity, view-or-copy and values; where torch raises, the explorer must refuse too.
"""

from __future__ import annotations

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import TorchlabError
from core.tensors.evaluate import evaluate
from core.tensors.parse import parse_expression
from tests.unit.tensors.matching import check_matches

OPS = ("slice", "index", "transpose", "permute", "view", "reshape", "unsqueeze", "expand", "t")


def _slice_text(data, n: int) -> tuple[str, slice]:
    start = data.draw(st.one_of(st.none(), st.integers(-n, n)), label="start")
    stop = data.draw(st.one_of(st.none(), st.integers(-n, n)), label="stop")
    step = data.draw(st.one_of(st.none(), st.integers(1, 3)), label="step")
    text = f"{'' if start is None else start}:{'' if stop is None else stop}"
    text += "" if step is None else f":{step}"
    return text, slice(start, stop, step)


def _factorization(data, numel: int) -> list[int]:
    """A random shape with `numel` elements, maybe with one -1."""
    sizes, rest = [], numel
    for _ in range(data.draw(st.integers(0, 2), label="splits")):
        divisors = [d for d in range(1, rest + 1) if rest % d == 0]
        d = data.draw(st.sampled_from(divisors), label="divisor")
        sizes.append(d)
        rest //= d
    sizes.append(rest)
    if data.draw(st.booleans(), label="infer"):
        sizes[data.draw(st.integers(0, len(sizes) - 1), label="which")] = -1
    return sizes


def _random_op(data, t: torch.Tensor):
    """One random operation valid for t's shape (view may still fail: that is tested too)."""
    ndim = t.dim()
    kind = data.draw(st.sampled_from(OPS), label="op")
    if ndim == 0 or kind == "unsqueeze":
        d = data.draw(st.integers(-ndim - 1, ndim), label="dim")
        return f".unsqueeze({d})", lambda u: u.unsqueeze(d)
    if kind == "slice":
        d = data.draw(st.integers(0, ndim - 1), label="dim")
        text, sl = _slice_text(data, t.shape[d])
        index = (slice(None),) * d + (sl,)
        return "[" + ", ".join([":"] * d + [text]) + "]", lambda u: u[index]
    if kind == "index" and t.shape[0] > 0:
        i = data.draw(st.integers(-t.shape[0], t.shape[0] - 1), label="i")
        return f"[{i}]", lambda u: u[i]
    if kind == "transpose" and ndim >= 1:
        a = data.draw(st.integers(-ndim, ndim - 1), label="a")
        b = data.draw(st.integers(-ndim, ndim - 1), label="b")
        return f".transpose({a}, {b})", lambda u: u.transpose(a, b)
    if kind == "permute":
        perm = data.draw(st.permutations(range(ndim)), label="perm")
        return f".permute({', '.join(map(str, perm))})", lambda u: u.permute(*perm)
    if kind in ("view", "reshape"):
        sizes = _factorization(data, t.numel()) if t.numel() > 0 else [0, -1]
        text = f".{kind}({', '.join(map(str, sizes))})"
        return text, (lambda u: u.view(*sizes)) if kind == "view" else (lambda u: u.reshape(*sizes))
    if kind == "expand":
        sizes = [data.draw(st.integers(1, 3), label="n") if n == 1 else -1 for n in t.shape]
        lead = data.draw(st.integers(0, 1), label="lead")
        sizes = [2] * lead + sizes
        return f".expand({', '.join(map(str, sizes))})", lambda u: u.expand(*sizes)
    if ndim <= 2:
        return ".t()", lambda u: u.t()
    return ".mT", lambda u: u.mT


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_random_chains_match_torch_step_by_step(data):
    shape = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=4), label="shape")
    dtype = data.draw(st.sampled_from([torch.int64, torch.float64]), label="dtype")
    x = torch.arange(math.prod(shape), dtype=dtype).reshape(shape)
    code, t, expected = "x", x, []
    failed = False
    for _ in range(data.draw(st.integers(1, 5), label="length")):
        text, reference = _random_op(data, t)
        code += text
        try:
            t = reference(t)
        except (RuntimeError, IndexError):
            failed = True
            break
        expected.append(t)
    if failed:
        try:
            evaluate(parse_expression(code), x)
        except TorchlabError as exc:
            assert str(exc)
            return
        raise AssertionError(f"torch refused {code} but the explorer accepted it")
    steps = evaluate(parse_expression(code), x)
    assert len(steps) == len(expected)
    assert steps[-1].code == code  # the chain reads back exactly as typed
    for step, reference in zip(steps, expected, strict=True):
        check_matches(step.tensor, reference, x)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 5), min_size=1, max_size=4),
    st.lists(st.integers(0, 3), min_size=1, max_size=4),
)
def test_as_strided_storage_indices_match_torch(shape, strides):
    """The storage index of each element (offset + Σ iₖ·strideₖ) read through torch itself."""
    numel = math.prod(shape)
    x = torch.arange(numel, dtype=torch.int64)
    size = tuple(shape[: len(strides)])
    stride = tuple(strides[: len(size)])
    span = sum((n - 1) * s for n, s in zip(size, stride, strict=True))
    offset = max(0, min(numel - 1 - span, 1))
    text = f"x.as_strided({size!r}, {stride!r}, {offset})"
    if offset + span >= numel:
        try:
            evaluate(parse_expression(text), x)
        except TorchlabError:
            return
        raise AssertionError(f"{text} should be out of bounds")
    steps = evaluate(parse_expression(text), x)
    check_matches(steps[-1].tensor, x.as_strided(size, stride, offset), x)
