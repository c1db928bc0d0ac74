"""The chapter's own examples, in one place, so every page and the route quote the same ones.

Two topics quote the chapter's first tensor (the Tensors page and the route's questions on
it), so it lives here, below both, and not in either.
"""

from __future__ import annotations

# `points = torch.tensor([[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]])`: three 2-D points, row by row
POINTS = ((1.0, 4.0), (2.0, 1.0), (3.0, 5.0))
POINTS_TEXT = "[[1.0, 4.0], [2.0, 1.0], [3.0, 5.0]]"  # POINTS as the chapter writes them
