"""Grid search: every feasible point in lexicographic order (float ranges on a grid)."""

from __future__ import annotations

from .strategy import Proposal, Proposals, Strategy


class GridSearch(Strategy):
    """Exhaustive in declaration order of the params, each architecture once; with a smaller budget, a prefix."""

    name = "grid"
    parallel = True

    def proposals(self) -> Proposals:
        for point in self.space.points():
            if self.fresh_architecture(point):
                yield Proposal(point, "grid")
