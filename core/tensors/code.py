""" "Show the code": the exact PyTorch lines that reproduce what the tensor page shows.

The learner can paste the result into a Python prompt and get the same sizes, strides,
offsets and view-or-copy verdicts as on screen.
"""

from __future__ import annotations

from core.tensors.base import BaseSpec, base_code
from core.tensors.evaluate import Step
from core.tensors.write import step_names

_FLAT = '''def flat_storage(t):
    """t's whole storage, read as a 1-D tensor of t's dtype."""
    length = t.untyped_storage().nbytes() // t.element_size()
    return t.as_strided((length,), (1,), 0)
'''

_REPORT = '''def report(name, t):
    """The numbers on t's card, and whether t shares x's storage."""
    shares = t.untyped_storage().data_ptr() == x.untyped_storage().data_ptr()
    print(f"{name}: size={tuple(t.size())} stride={t.stride()} "
          f"offset={t.storage_offset()} contiguous={t.is_contiguous()} "
          f"element_size={t.element_size()} bytes={t.numel() * t.element_size()} "
          f"{'view of x' if shares else 'copy (new storage)'}")
'''


def explorer_code(
    spec: BaseSpec,
    steps: list[Step],
    pick: tuple[int, tuple[int, ...]] | None = None,
    write: str | None = None,
    write_fails: bool = False,
) -> str:
    """The script: build x, one line per step (v1, v2...), their reports, a picked address."""
    names = step_names(len(steps))
    lines = ["import torch", "", *base_code(spec)]
    lines += ["", _FLAT.rstrip(), "", "print(flat_storage(x).tolist())  # the storage behind x"]
    for name, previous, step in zip(names[1:], names[:-1], steps, strict=True):
        lines.append(f"{name} = {previous}{step.op}  # {tuple(step.tensor.shape)}")
    lines += ["", _REPORT.rstrip(), ""]
    lines += [f'report("{name}", {name})' for name in names]
    if pick is not None:
        target, index = pick
        name = names[target]
        lines += [
            "",
            f"i = {tuple(index)!r}  # the picked element of {name}",
            f"address = {name}.storage_offset() + sum(k * s for k, s in zip(i, {name}.stride()))",
            f"print(address, {name}[i].item(), flat_storage({name})[address].item())"
            "  # the same value, twice",
        ]
    if write is not None:
        lines += ["", "# write through a view, then look at x and the others"]
        if write_fails:
            lines += ["try:", f"    {write}", "except RuntimeError as e:", "    print(e)"]
        else:
            lines.append(write)
        lines += [f'print("{name}", {name})' for name in names]
    return "\n".join(lines) + "\n"
