"""Trials and the search history: what was evaluated, how it scored, and the order of merit."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

OBJECTIVES = ("score", "score,cost")
COST_METRICS = ("cost_usd", "calls")


@dataclass
class Trial:
    """One evaluated point of the space (or one that shares an evaluated point's architecture)."""

    index: int
    params: dict[str, Any]  # JSON values (models by name)
    score: float  # mean score on the development split
    cost: float  # per query, in the search's cost metric (dollars, or calls when prices are unknown)
    cost_usd: float | None  # dollars over the development split; None when a price is unknown
    calls: int  # LLM calls over the development split
    tokens: int = 0
    errors: int = 0  # rows that failed (scored 0)
    duration: float = 0.0  # seconds spent evaluating
    overhead: float = 0.0  # seconds the search machinery spent on this trial, evaluation excluded
    source: str = ""  # what proposed it: base, greedy, random, grid, center, sobol, botorch, repair
    same_as: int | None = None  # the trial whose architecture this point shares: not evaluated again
    held_out: float | None = None  # score on the held-out split (best and Pareto configurations)
    rows: int = (
        0  # fidelity: development rows the score is the mean of (the first `rows` of the search's order)
    )
    stderr: float | None = None  # standard error of `score` over those rows
    row_scores: list[float] = field(default_factory=list)  # each row's score, in the search's row order

    @property
    def evaluated(self) -> bool:
        return self.same_as is None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trial:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


def merit(trial: Trial) -> tuple:
    """Sort key, best first: higher score, then lower cost, then earlier."""
    return (-trial.score, trial.cost, trial.index)


def standard_error(scores: list[float]) -> float | None:
    """The standard error of the mean of per-row scores (None under two rows)."""
    n = len(scores)
    if n < 2:
        return None
    mean = sum(scores) / n
    return math.sqrt(sum((x - mean) ** 2 for x in scores) / (n - 1) / n)


@dataclass
class History:
    """Every trial of a search so far, indexed by point and by architecture."""

    trials: list[Trial] = field(default_factory=list)
    by_point: dict[str, Trial] = field(default_factory=dict)
    by_arch: dict[str, Trial] = field(default_factory=dict)
    skipped: int = 0  # points looked at and refused: a constraint, a budget or a rule failed
    rows_used: int = 0  # row evaluations spent (a promotion pays only for the rows it adds)
    usd_used: float = 0.0  # dollars spent (cache hits at their price)
    pending: set[str] = field(default_factory=set)  # point and architecture keys being evaluated now

    def add(
        self, trial: Trial, point_key: str, arch_key: str, rows_paid: int = 0, usd_paid: float = 0.0
    ) -> None:
        """Record a trial; a promotion (more rows for an architecture seen before) replaces its entry."""
        self.trials.append(trial)
        self.rows_used += rows_paid
        self.usd_used += usd_paid
        known = self.by_arch.get(arch_key)
        if known is None or (trial.evaluated and trial.rows > known.rows):
            self.by_arch[arch_key] = trial
            self.by_point[point_key] = trial
        else:
            self.by_point.setdefault(point_key, trial)

    @property
    def evaluations(self) -> int:
        return sum(t.evaluated for t in self.trials)

    def full_rows(self) -> int:
        """The most rows any configuration was evaluated on (the highest fidelity reached)."""
        return max((t.rows for t in self.trials if t.evaluated), default=0)

    def latest(self) -> list[Trial]:
        """One trial per evaluated architecture: the one on the most rows."""
        return [t for t in self.by_arch.values() if t.evaluated]

    def best(self) -> Trial | None:
        """The best configuration on the highest fidelity reached (scores on fewer rows are not comparable)."""
        top = self.full_rows()
        candidates = [t for t in self.latest() if t.rows >= top] or self.trials
        return min(candidates, key=merit) if candidates else None
