"""Greedy search as in the paper: from a base configuration, change one parameter at a time, keep improvements."""

from __future__ import annotations

import random
from typing import Any

from .strategy import Proposal, Proposals, Strategy, better
from .trials import Trial


class GreedySearch(Strategy):
    """Coordinate ascent from the template's defaults (or the first feasible point).

    For each parameter in turn, try its other values (nearest first) with the rest fixed, and move
    to the best if it improves (score, then cost); repeat passes until one pass improves nothing.
    The parameters are taken in declaration order with seed 0, in a seeded shuffled order
    otherwise. Points already evaluated are looked up, not proposed again.
    """

    name = "greedy"

    def proposals(self) -> Proposals:
        base = self.space.first_feasible()
        if base is None:
            return
        current = yield from self._trial(base, "base")
        if current is None:
            return
        order = list(self.space.dimensions)
        if self.seed:
            random.Random(self.seed).shuffle(order)
        improved = True
        while improved:
            improved = False
            for dim in order:
                best = current
                for point in self.space.neighbours(self._point(current), dim.name):
                    if not self.space.feasible(point):
                        self._skip(point)
                        continue
                    trial = yield from self._trial(point, "greedy")
                    if trial is not None and better(trial, best):
                        best = trial
                if best is not current:
                    current, improved = best, True

    def _point(self, trial: Trial) -> dict[str, Any]:
        return self.space.from_json(trial.params)

    def _trial(self, point: dict[str, Any], source: str):
        """The trial of `point`: looked up if seen, else proposed and awaited."""
        known = self.history.by_point.get(self.space.key(point))
        if known is not None:
            return known
        trial = yield Proposal(point, source)
        return trial
