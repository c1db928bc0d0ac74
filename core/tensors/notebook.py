"""The learner's lines from the Tensors page as a Jupyter notebook: `import torch`, then one
cell per line, each showing its value as the page (and Python's >>> prompt) prints it."""

from __future__ import annotations

from core.engine.products.notebook import write_notebook
from core.tensors.program import Program, run_program

SETUP = """import warnings

import torch

# Show each value with repr, as Python's >>> prompt (and the Tensors page) prints it.
%config PlainTextFormatter.pprint = False
# The chapter still uses .storage(): torch warns that TypedStorage is deprecated.
warnings.filterwarnings("ignore", message="TypedStorage is deprecated")
"""


def lines_notebook(text: str, program: Program | None = None) -> str:
    """The text of a notebook for the lines in `text` (`program`: run_program(text), when
    the caller has it already).

    Only lines the page ran go in as code. The page stops at the first line it refuses, so
    that line and those after it (never run, their values unknown) go in one last cell,
    commented out under the page's message: "Run all" then runs without an error and shows
    what the page showed, and nothing the learner typed is lost, ready to fix and uncomment.
    """
    if program is None:
        program = run_program(text)
    cells = [
        ("markdown", """# The chapter's code, line by line

The lines you typed on Torchlab's Tensors page, one per cell. Run the cells from top to
bottom: each one shows its value as Python's `>>>` prompt prints it, and a write through a
view (`second[0] = 10.0`) changes every tensor that shares its storage."""),
        ("code", SETUP),
    ]  # fmt: skip
    cells += [("code", line.code) for line in program.lines]
    if program.error:
        done = program.lines[-1].number if program.lines else 0
        rest = [s.strip() for s in (text or "").splitlines()[done:]]
        rest = [s for s in rest if s and not s.startswith("#")]
        comment = [
            "# The page stopped here. " + program.error.replace("\n", "\n# "),
            "# Fix the line, then uncomment it and the lines after it (they never ran).",
            *(f"# {s}" for s in rest),
        ]
        cells.append(("code", "\n".join(comment)))
    return write_notebook(cells)
