"""Random search: distinct architectures in a seeded random order, never one twice."""

from __future__ import annotations

import random

from .model import random_distinct
from .strategy import Proposal, Proposals, Strategy


class RandomSearch(Strategy):
    """Uniform over distinct architectures when the template can list them, else over the points (an
    architecture already proposed is skipped either way)."""

    name = "random"
    parallel = True

    def proposals(self) -> Proposals:
        for point in random_distinct(self.space, random.Random(self.seed)):
            if self.fresh_architecture(point):
                yield Proposal(point, "random")
