"""Strategies `sh`, `hyperband` and `bohb`: screen many architectures on a few rows, promote the best to more.

Rows are the fidelity. Every configuration at a rung is scored on the same rows (the first r of
the search's row order, so comparisons are paired), and a promotion runs only the rows it adds.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from .additive import Additive, Features, available, fit_evidence
from .model import canonical, random_distinct
from .strategy import WAIT, Proposal, Strategy, Wait
from .trials import Trial

ETA = 3  # keep the best third at each rung
MIN_ROWS = 5  # the lowest rung's rows, at least (fewer tell almost nothing on 0/1 scores)
RANDOM_FRACTION = 1 / 3  # bohb: share of new configurations drawn at random, as BOHB does


@dataclass
class Rung:
    rows: int
    keep: int  # how many go on to the next rung
    queue: list[dict[str, Any]] = field(default_factory=list)
    out: int = 0  # proposed, result not in yet
    results: list[tuple[float, int, dict[str, Any]]] = field(default_factory=list)  # (score, order, point)


class Hyperband(Strategy):
    """Hyperband (Li et al., 2018) over rows: brackets of successive halving, from many configurations on
    few rows to a few on every row, cycled until the budget is spent; new configurations are drawn
    uniformly over distinct architectures. `sh` runs only the most aggressive bracket."""

    name = "hyperband"
    parallel = True
    brackets = "all"

    def __init__(
        self, *args: Any, max_rows: int = 1, eta: int = ETA, min_rows: int = MIN_ROWS, **kwargs: Any
    ):
        kwargs.pop("init_trials", None)
        super().__init__(*args, **kwargs)
        self.max_rows = max(1, max_rows)
        self.eta = eta
        low = min(min_rows, self.max_rows)
        self.s_max = max(0, int(math.floor(math.log(self.max_rows / low, eta) + 1e-9)))
        self.rng = random.Random(self.seed)
        self._draws = random_distinct(self.space, random.Random(self.seed))
        self._used: set[str] = set()  # canonical keys this run has drawn (a resumed run draws the same)
        self._origin: dict[str, str] = {}  # point key -> what drew it (random, model)
        self._bracket = 0
        self._rungs: list[Rung] = []
        self._order = 0

    def _schedule(self, s: int) -> list[Rung]:
        """Bracket s: n configurations on max_rows / eta^s rows, the best 1/eta of them on eta times more, ..."""
        n = math.ceil((self.s_max + 1) / (s + 1) * self.eta**s)
        self._first_count = n
        return [
            Rung(
                rows=max(1, round(self.max_rows * self.eta ** (i - s))),
                keep=max(1, math.floor(n * self.eta ** (-(i + 1)))) if i < s else 0,
            )
            for i in range(s + 1)
        ]

    def _next_bracket(self) -> bool:
        """Start the next bracket: its rungs and its new configurations; False when none can be drawn."""
        if self.brackets == "all":
            s = self.s_max - self._bracket % (self.s_max + 1)
        else:
            s = self.s_max
        self._bracket += 1
        self._rungs = self._schedule(s)
        points = self.sample(self._first_count, self._rungs[0].rows)
        if not points:
            return False
        self._rungs[0].queue = points
        self._rungs[0].keep = min(self._rungs[0].keep, len(points))
        return True

    def sample(self, n: int, rows: int) -> list[dict[str, Any]]:
        """`n` new configurations for a bracket whose first rung has `rows` rows."""
        return self._random(n)

    def _random(self, n: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for point in self._draws:
            if len(out) >= n:
                break
            if self._take(point):
                out.append(point)
        return out

    def _take(self, point: dict[str, Any]) -> bool:
        """Whether a drawn point is a new architecture for this run and feasible (then it is taken)."""
        key = self.space.key(canonical(self.space, point))
        if key in self._used or not self.space.feasible(point):
            return False
        self._used.add(key)
        return True

    def ask(self) -> Proposal | Wait | None:
        while True:
            if not self._rungs and not self._next_bracket():
                return None
            for i, rung in enumerate(self._rungs):
                if rung.queue:
                    point = rung.queue.pop(0)
                    rung.out += 1
                    origin = self._origin.get(self.space.key(point), "random")
                    return Proposal(point, f"{self.name}:{origin} b{self._bracket}", rows=rung.rows)
                if rung.out:
                    return WAIT
                if not rung.results:
                    continue
                promoted = sorted(rung.results, key=lambda r: (-r[0], r[1]))[: rung.keep]
                rung.results = []
                if i + 1 < len(self._rungs) and promoted:
                    self._rungs[i + 1].queue = [p for _, _, p in promoted]
                    break  # a promotion was queued: look again from the first rung
            else:
                self._rungs = []  # the bracket is over

    def tell(self, proposal: Proposal, trial: Trial) -> None:
        for rung in self._rungs:
            if rung.rows == proposal.rows and rung.out:
                rung.out -= 1
                self._order += 1
                rung.results.append((trial.score, self._order, proposal.point))
                return


class SuccessiveHalving(Hyperband):
    """Successive halving: every bracket the most aggressive one (most configurations, fewest rows)."""

    name = "sh"
    brackets = "first"


class BOHB(Hyperband):
    """BOHB (Falkner et al., 2018) with an additive model: Hyperband whose new configurations are
    Thompson draws from a model fitted to every architecture so far, whatever its rows (row ease taken
    out, each score with its own variance: evidence.row_adjusted; the model: additive.py); a third
    are drawn at random, as BOHB does, and all are drawn until the model has enough points."""

    name = "bohb"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.features = Features(self.space)
        self.model_steps = 0

    def sample(self, n: int, rows: int) -> list[dict[str, Any]]:
        model = self._model()
        if model is None:
            return self._random(n)
        points = self._drawn(model, n - round(n * RANDOM_FRACTION))
        for point in points:
            self._origin[self.space.key(point)] = "model"
        return points + self._random(n - len(points))

    def _model(self) -> Additive | None:
        latest = self.history.latest()
        if len(latest) < len(self.space.dimensions) + 2 or not available():
            return None
        return fit_evidence(self.features, self.space, latest)

    def _drawn(self, model: Additive, n: int) -> list[dict[str, Any]]:
        """`n` new architectures, each the best of one posterior draw (so a batch spreads as the model is unsure)."""
        import numpy as np

        candidates = self._candidates()
        matrix = self.features.matrix(candidates)
        chosen: list[dict[str, Any]] = []
        while len(chosen) < n and candidates:
            values = model.draw(matrix, self.rng)
            order = sorted(range(len(candidates)), key=lambda i: -values[i])
            picked = next((i for i in order[:200] if self._take(candidates[i])), None)
            if picked is None:
                break
            chosen.append(candidates.pop(picked))
            matrix = np.delete(matrix, picked, axis=0)
        self.model_steps += 1
        return chosen

    def _candidates(self) -> list[dict[str, Any]]:
        from .bo import DRAWN, _constraints_hold
        from .model import distinct_listing

        listing = distinct_listing(self.space)
        pool = listing if listing is not None else [self.space.random_point(self.rng) for _ in range(DRAWN)]
        out, keys = [], set(self._used)
        for point in pool:
            key = self.space.key(canonical(self.space, point))
            if key in keys or not _constraints_hold(self.space, point):
                continue
            keys.add(key)
            out.append(point)
        return out
