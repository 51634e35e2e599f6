"""The noise-aware final choice: finalists on the same rows, a model's estimate, intervals, a stated rule."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .evaluate import Evaluation
from .space import SearchSpace
from .trials import History, Trial, merit, standard_error

FINALISTS = 3  # configurations re-scored on the held-out rows and reported with intervals
Z95 = 1.96
MIN_MODELLED = 6  # configurations on the top fidelity before the model's estimate is used


@dataclass
class Choice:
    """Which configuration the search returns, among which finalists, and why."""

    rule: str
    chosen: Trial | None
    finalists: list[Trial]
    estimates: dict[int, float] = field(default_factory=dict)  # trial index -> the rule's estimate
    held_out: dict[int, dict[str, float]] = field(default_factory=dict)
    separable: bool | None = None  # does the held-out split tell the top two finalists apart?
    note: str = ""
    rows_to_separate: int | None = None  # development rows that would tell the top two apart (None: these do)
    development_note: str = ""

    def compare_development(self) -> None:
        """The top two finalists compared row by row on the development rows; when the difference is
        within its 95% interval, how many rows a difference of that size would need to show."""
        if len(self.finalists) < 2:
            return
        first, second = self.finalists[:2]
        rows = min(len(first.row_scores), len(second.row_scores))
        if rows < 2:
            return
        differences = [a - b for a, b in zip(first.row_scores[:rows], second.row_scores[:rows], strict=True)]
        gap = sum(differences) / rows
        error = standard_error(differences) or 0.0
        if abs(gap) > Z95 * error:
            return
        spread = error * math.sqrt(rows)  # one row's difference, standard deviation
        self.rows_to_separate = math.ceil((Z95 * spread / abs(gap)) ** 2) if gap else None
        needed = (
            f"a gap that size would show on about {self.rows_to_separate:,} rows"
            if self.rows_to_separate is not None
            else "they score the same on every row"
            if not spread
            else "they score the same on these rows"
        )
        self.development_note = (
            f"the development rows ({rows}) cannot separate the top two finalists: trials {first.index} "
            f"and {second.index} differ by {gap:+.3f} ± {Z95 * error:.3f} there (95%); {needed}"
        )

    def compare_held_out(self, evaluations: dict[int, Evaluation]) -> None:
        """Each finalist's held-out score with a 95% interval; the top two compared on the same rows."""
        for trial in self.finalists:
            evaluation = evaluations.get(trial.index)
            if evaluation is not None:
                self.held_out[trial.index] = _interval(evaluation.score, evaluation.scores)
        if len(self.finalists) < 2:
            return
        first, second = (evaluations.get(t.index) for t in self.finalists[:2])
        if first is None or second is None or len(first.scores) != len(second.scores) or not first.scores:
            return
        differences = [a - b for a, b in zip(first.scores, second.scores, strict=True)]
        gap = sum(differences) / len(differences)
        error = standard_error(differences) or 0.0
        self.separable = abs(gap) > Z95 * error
        if not self.separable:
            pair = f"trials {self.finalists[0].index} and {self.finalists[1].index}"
            found = (
                f"{pair} score the same on every one of its rows"
                if not any(differences)
                else f"{pair} differ by {gap:+.3f} ± {Z95 * error:.3f} there (95%)"
            )
            self.note = (
                f"the held-out split ({len(differences)} rows) cannot separate the finalists: {found}; "
                f"{self._resting_on()}"
            )

    def _resting_on(self) -> str:
        if not self.development_note:
            return "the choice rests on the development rows"
        if self.estimates:
            return "the choice rests on the model's estimate from every evaluation"
        return "on these rows the choice between them is a toss-up"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "chosen": self.chosen.index if self.chosen is not None else None,
            "finalists": [
                {
                    "trial": t.index,
                    "rows": t.rows,
                    **_interval(t.score, t.row_scores, t.stderr),
                    "estimate": _round(self.estimates.get(t.index)),
                    "held_out": self.held_out.get(t.index),
                }
                for t in self.finalists
            ],
            "held_out_separates": self.separable,
            "rows_to_separate": self.rows_to_separate,
            "note": "; ".join(note for note in (self.development_note, self.note) if note),
        }


def choose(space: SearchSpace, history: History, multi_objective: bool) -> Choice:
    """The finalists are the configurations on the most rows (so they are compared on the same rows);
    the rule, whatever proposed them: the highest posterior mean of an additive model (additive.py)
    fitted to every evaluation on any rows (it discounts a score that the configuration's parts do
    not back up elsewhere); without numpy, with few of them or without per-row scores (so no noise
    to see), the highest mean score on those rows.
    For score and cost, the best score of the evaluations (the front is reported beside it)."""
    top = history.full_rows()
    pool = [t for t in history.latest() if t.rows >= top]
    if not pool:
        return Choice("none", None, [])
    if multi_objective:
        ranked = sorted(pool, key=merit)
        return Choice("best score on the development rows", ranked[0], ranked[:FINALISTS])
    estimates = _posterior_means(space, pool, history.latest())
    if estimates is None:
        ranked = sorted(pool, key=merit)
        choice = Choice("highest mean score on the same development rows", ranked[0], ranked[:FINALISTS])
        choice.compare_development()
        return choice
    ranked = sorted(pool, key=lambda t: (-estimates[t.index], *merit(t)))
    choice = Choice(
        "highest posterior mean of an additive model of every evaluation, among the configurations on the most rows",
        ranked[0],
        ranked[:FINALISTS],
        estimates,
    )
    choice.compare_development()
    return choice


def _posterior_means(space: SearchSpace, pool: list[Trial], seen: list[Trial]) -> dict[int, float] | None:
    """The additive model's posterior mean at each of `pool`, fitted to every architecture `seen` on any
    rows (row ease taken out, each with its own variance: additive.fit_evidence)."""
    from .additive import Features, available, fit_evidence

    if len(pool) < MIN_MODELLED or not space.dimensions or not available():
        return None
    if any(len(t.row_scores) < 2 for t in pool):  # no per-row scores: the noise cannot be seen
        return None
    features = Features(space)
    model = fit_evidence(features, space, seen)
    if model is None:
        return None
    means, _ = model.predict([space.from_json(t.params) for t in pool])
    return {t.index: m for t, m in zip(pool, means, strict=True)}


def _interval(score: float, scores: list[float], stderr: float | None = None) -> dict[str, float]:
    error = standard_error(scores) if scores else stderr
    if error is None or math.isnan(error):
        return {"score": round(score, 6)}
    low, high = score - Z95 * error, score + Z95 * error
    if all(0.0 <= x <= 1.0 for x in scores or [score]):  # a mean of 0..1 scores stays in 0..1
        low, high = max(low, 0.0), min(high, 1.0)
    return {"score": round(score, 6), "low": round(low, 6), "high": round(high, 6)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
