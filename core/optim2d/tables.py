"""The rows of the Optimizers page's two tables: how each run ended, and one step's numbers."""

from __future__ import annotations

from core.number_text import shown
from core.optim2d.race import InsideStep, Trajectory, steps_to_tolerance
from core.optim2d.surfaces import Surface, nearest_minimum_distance


def results_rows(surface: Surface, trajs: list[Trajectory], tol: float) -> list[dict]:
    rows = []
    for t in trajs:
        reached = steps_to_tolerance(t, surface, tol)
        rows.append(
            {
                "optimizer": t.label,
                "steps run": t.steps,
                "final L": t.losses[-1],
                f"steps to L − L* ≤ {tol:g}": "never" if reached is None else reached,
                # None (a blank) on a surface without a minimum
                "distance to nearest minimum": nearest_minimum_distance(t.points[-1], surface),
                "final β": f"({shown(t.points[-1][0])}, {shown(t.points[-1][1])})",
                "status": "stopped early" if t.stopped else "ran all steps",
            }
        )
    return rows


def inside_rows(inside: InsideStep) -> list[dict]:
    """The numbers of one step as inside_step computed them, 4 significant digits (its float
    dust is already the 0 it is, judged against β's own resolution); a blank where a number
    is undefined. No fixed 1e-12 cut: late in a run every number is that small."""
    cell = lambda v: "" if v is None else f"{v:.4g}"  # noqa: E731
    return [
        {"quantity": r.quantity, "x": cell(r.x), "y": cell(r.y), "meaning": r.meaning}
        for r in inside.rows
    ]
