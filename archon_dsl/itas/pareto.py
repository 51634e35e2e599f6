"""The quality-versus-cost Pareto front: maximise score, minimise cost."""

from __future__ import annotations

from collections.abc import Sequence

from .trials import Trial


def dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """(score, cost) `a` is at least as good as `b` on both and strictly better on one."""
    return a[0] >= b[0] and a[1] <= b[1] and (a[0] > b[0] or a[1] < b[1])


def pareto_indices(points: Sequence[tuple[float, float]]) -> list[int]:
    """Positions of the non-dominated (score, cost) points, cheapest first; of equal points, the first."""
    order = sorted(range(len(points)), key=lambda i: (points[i][1], -points[i][0], i))
    front: list[int] = []
    best_score = float("-inf")
    for i in order:
        # Sorted by cost: a point is on the front iff it scores above everything cheaper.
        if points[i][0] > best_score:
            front.append(i)
            best_score = points[i][0]
    return front


def pareto_front(trials: Sequence[Trial]) -> list[Trial]:
    """The evaluated trials no other trial dominates, cheapest first."""
    evaluated = [t for t in trials if t.evaluated]
    return [evaluated[i] for i in pareto_indices([(t.score, t.cost) for t in evaluated])]
