"""What the route's stops say is what the chapter says and what the pages do (issue 27).

The chapter's `points` are the Tensors page's; the cost is the chapter's sum and PyTorch's
mean, both named; the Train page's batches are index slices of one tensor, not a DataLoader.
"""

from __future__ import annotations

import ast
import inspect

import torch
import torch.nn.functional as F

from core.engine.learning import loop
from core.route import solve
from core.route.stops import STOPS
from core.tensors.base import SEED_POINTS
from core.tensors.program import CHAPTER, run_program

BY_KEY = {s.key: s for s in STOPS}


def words(stop) -> str:
    """Everything a stop says: what to look at, its question, and its answer's explanation."""
    q = stop.question
    return " ".join([stop.look, q.prompt, q.hint, q.explain(q.solve())])


def test_the_routes_points_are_the_chapters_and_the_tensors_pages():
    first_line = CHAPTER.splitlines()[0]  # the Tensors page's `points = torch.tensor(...)`
    assert torch.equal(solve.points(), run_program(first_line).names["points"])
    assert torch.equal(solve.points(), torch.tensor(ast.literal_eval(SEED_POINTS)))
    for key in ("offset", "stride", "view", "dtype"):
        stop = BY_KEY[key]
        assert stop.params.get("values", SEED_POINTS) == SEED_POINTS, key
    assert SEED_POINTS in BY_KEY["offset"].question.prompt


def test_the_cost_is_named_as_the_chapters_sum_and_pytorchs_mean():
    said = words(BY_KEY["cost"])
    assert "sum" in said and "mean" in said and "reduction='mean'" in said
    assert "the cost averages" not in said
    total = F.cross_entropy(torch.zeros(4, 10), torch.tensor([3, 1, 4, 1]), reduction="sum")
    assert f"tensor({total.item():.4f})" in said  # the difference, shown by torch


def test_the_train_pages_batches_are_said_to_be_tensor_slices_not_a_dataloader():
    said = words(BY_KEY["api"])
    assert "the Train page uses" not in said
    assert "Layers live in torch.nn, batches come from torch.utils.data" not in said
    assert "Train page does not use them" in said and "slices" in said
    # and that is what the trainer does: it never touches torch.utils.data
    assert "utils.data" not in inspect.getsource(loop)
    assert "DataLoader" in inspect.getsource(solve) or "DataLoader" in said
