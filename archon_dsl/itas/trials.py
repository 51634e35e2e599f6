"""Trials and the search history: what was evaluated, how it scored, and the order of merit."""

from __future__ import annotations

import json
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


@dataclass
class History:
    """Every trial of a search so far, indexed by point and by architecture."""

    trials: list[Trial] = field(default_factory=list)
    by_point: dict[str, Trial] = field(default_factory=dict)
    by_arch: dict[str, Trial] = field(default_factory=dict)
    skipped: int = 0  # points looked at and refused: a constraint, a budget or a rule failed

    def add(self, trial: Trial, point_key: str, arch_key: str) -> None:
        self.trials.append(trial)
        self.by_point[point_key] = trial
        self.by_arch.setdefault(arch_key, trial)

    @property
    def evaluations(self) -> int:
        return sum(t.evaluated for t in self.trials)

    def best(self) -> Trial | None:
        return min(self.trials, key=merit) if self.trials else None
