"""Random search: feasible points in a seeded random order, never one twice."""

from __future__ import annotations

import random

from .strategy import Proposal, Proposals, Strategy


class RandomSearch(Strategy):
    """Uniform over the space: a shuffled listing when it can be enumerated, else seeded draws."""

    name = "random"

    def proposals(self) -> Proposals:
        rng = random.Random(self.seed)
        for point in self.random_points(rng):
            if self.new_and_feasible(point):
                yield Proposal(point, "random")
