"""What a search strategy is: asked for new feasible points, told each trial's result (several may be out at once)."""

from __future__ import annotations

import random
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

from .space import ENUMERABLE, SearchSpace
from .trials import History, Trial, merit

# Draws without a new feasible point before a sampled (not enumerated) space counts as exhausted.
MAX_REJECTIONS = 10_000


@dataclass
class Proposal:
    """A point to evaluate, what proposed it, and on how many rows (None: every development row).

    A proposal of a point already evaluated on fewer rows is a promotion: only the missing rows are run.
    """

    point: dict[str, Any]
    source: str
    rows: int | None = None


Proposals = Generator[Proposal, Trial, None]


class Wait:
    """The answer of `ask` when the strategy needs results of pending evaluations before it proposes more."""

    def __repr__(self) -> str:
        return "WAIT"


WAIT = Wait()


class Strategy:
    """Proposes points; the driver evaluates each and tells the strategy the Trial.

    A strategy proposes only feasible points it has not seen (`self.history` holds every trial,
    those of an interrupted run included, and the keys of evaluations under way), so no evaluation
    is ever spent on a point that fails a constraint, a budget or a rule. Given the same seed and
    the same results it proposes the same points, which is how an interrupted search resumes.

    The driver calls `ask()` for a proposal (WAIT when the strategy needs pending results first,
    None when it has nothing more) and `tell(proposal, trial)` with each result. A strategy written
    as a generator (`proposals()`, receiving each Trial at its yield) gets both for free; one whose
    generator does not need the reply before proposing again sets `parallel = True` and is asked
    again while evaluations are under way (`--workers N`).
    """

    name = "strategy"
    parallel = False  # may propose again before the last proposal's result is in

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
        self._generator: Proposals | None = None
        self._awaiting = False  # a sequential generator waits for the reply to its last proposal
        self._reply: Trial | None = None
        self._done = False

    def proposals(self) -> Proposals:
        """The points this strategy wants evaluated next (each strategy defines its own order)."""
        raise NotImplementedError(f"{type(self).__name__} defines neither proposals() nor ask()")

    def ask(self) -> Proposal | Wait | None:
        """The next proposal, WAIT (results of pending evaluations are needed first) or None (no more)."""
        if self._done:
            return None
        if self._awaiting and self._reply is None:
            return WAIT
        if self._generator is None:
            self._generator = self.proposals()
        try:
            if self._reply is not None:
                reply, self._reply = self._reply, None
                proposal = self._generator.send(reply)
            else:
                proposal = next(self._generator)
        except StopIteration:
            self._done = True
            return None
        self._awaiting = not self.parallel
        return proposal

    def tell(self, proposal: Proposal, trial: Trial) -> None:
        """The result of a proposal (a sequential generator gets it at its yield)."""
        if not self.parallel:
            self._reply = trial

    def close(self) -> None:
        """Release what the strategy holds (its generator; the model, for bo)."""
        if self._generator is not None:
            self._generator.close()

    # -- helpers shared by the strategies ------------------------------------
    def seen(self, point: dict[str, Any]) -> bool:
        key = self.space.key(point)
        return key in self.history.by_point or key in self.history.pending

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
        return key is None or (key not in self.history.by_arch and key not in self.history.pending)

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
