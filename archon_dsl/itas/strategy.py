"""What a search strategy is: a generator of new feasible points that learns from each trial."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

from .space import ENUMERABLE, SearchSpace
from .trials import History, Trial, merit

# Draws without a new feasible point before a sampled (not enumerated) space counts as exhausted.
MAX_REJECTIONS = 10_000


@dataclass
class Proposal:
    """A point to evaluate and what proposed it."""

    point: dict[str, Any]
    source: str


Proposals = Generator[Proposal, Trial, None]


class Strategy(ABC):
    """Proposes points one at a time; the driver evaluates each and sends the Trial back.

    A strategy proposes only feasible points it has not seen (`self.history` holds every trial,
    those of an interrupted run included), so no evaluation is ever spent on a point that fails a
    constraint, a budget or a rule. Given the same seed and the same results it proposes the same
    points, which is how an interrupted search resumes.
    """

    name = "strategy"

    def __init__(
        self,
        space: SearchSpace,
        history: History,
        *,
        seed: int = 0,
        budget: int = 20,
        multi_objective: bool = False,
        arch_key: Callable[[dict], str | None] | None = None,
    ):
        self.space = space
        self.history = history
        self.seed = seed
        self.budget = budget
        self.multi_objective = multi_objective
        self.arch_key = arch_key or (lambda point: None)
        self._refused: set[str] = set()

    @abstractmethod
    def proposals(self) -> Proposals:
        """The points this strategy wants evaluated next (each strategy defines its own order)."""

    def close(self) -> None:  # noqa: B027 - a hook with a default: most strategies hold nothing
        """Release what the strategy holds (Ax's client, for bo)."""

    # -- helpers shared by the strategies ------------------------------------
    def seen(self, point: dict[str, Any]) -> bool:
        return self.space.key(point) in self.history.by_point

    def new_and_feasible(self, point: dict[str, Any]) -> bool:
        """Unseen and feasible; a refused point is counted once in `history.skipped`."""
        if self.seen(point):
            return False
        if self.space.feasible(point):
            return True
        self._skip(point)
        return False

    def _skip(self, point: dict[str, Any]) -> None:
        """Count a refused point once, however often it is looked at."""
        key = self.space.key(point)
        if key not in self._refused:
            self._refused.add(key)
            self.history.skipped += 1

    def fresh_architecture(self, point: dict[str, Any]) -> bool:
        """Feasible, unseen, and its architecture not evaluated yet."""
        if not self.new_and_feasible(point):
            return False
        key = self.arch_key(point)
        return key is None or key not in self.history.by_arch

    def random_points(self, rng: random.Random) -> Iterator[dict[str, Any]]:
        """Points in random order without repeats: a shuffled listing of an enumerable space, else draws."""
        size = self.space.size()
        if size is not None and size <= ENUMERABLE:
            order = list(range(size))
            rng.shuffle(order)
            for index in order:
                yield self.space.point_at(index)
            return
        misses = 0
        while misses < MAX_REJECTIONS:
            point = self.space.random_point(rng)
            if self.seen(point) or not self.space.feasible(point):
                misses += 1
                continue
            misses = 0
            yield point


def better(a: Trial, b: Trial | None) -> bool:
    """Whether `a` improves on `b` (score first, then cost)."""
    return b is None or merit(a)[:2] < merit(b)[:2]
