"""Grid search: every feasible point in lexicographic order (float ranges on a grid)."""

from __future__ import annotations

from .strategy import Proposal, Proposals, Strategy


class GridSearch(Strategy):
    """Exhaustive in declaration order of the params; with fewer trials than points, a prefix of the grid."""

    name = "grid"

    def proposals(self) -> Proposals:
        for point in self.space.points():
            if self.new_and_feasible(point):
                yield Proposal(point, "grid")
