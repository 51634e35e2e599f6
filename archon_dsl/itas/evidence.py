"""Each architecture's score on a common footing: row difficulty taken out, so trials on different rows compare.

A multi-fidelity search scores configurations on different numbers of rows (the first r of the
search's order). A mean over the first 5 rows is not comparable with a mean over 48: the first 5
may be easy. Scores are modelled as

    score(config i, row j) = merit(i) + ease(j) + noise

and fitted by alternating means (backfitting, exact for this additive model), so each trial's
merit is its score with the ease of the rows it saw taken out, and its variance is the pooled
residual variance over its row count. A model fitted to merits with these variances (a GP with
fixed noise) uses a 5-row screen for what it is worth, and no more.
"""

from __future__ import annotations

from dataclasses import dataclass

from .trials import Trial

ROUNDS = 30  # backfitting passes (it converges in a handful for prefix-shaped data)
MIN_VARIANCE = 1e-4  # a floor for the residual variance: all-equal scores are not noise-free


@dataclass(frozen=True)
class Evidence:
    """What the rows say of one trial's configuration: its merit (on the mean row) and the variance of that."""

    merit: float
    variance: float
    rows: int


def row_adjusted(trials: list[Trial]) -> list[Evidence] | None:
    """Evidence for each trial, in order; None when some trial has no per-row scores (then only means exist)."""
    if not trials or any(len(t.row_scores) != t.rows or t.rows < 1 for t in trials):
        return None
    width = max(t.rows for t in trials)
    ease = [0.0] * width
    merits = [sum(t.row_scores) / t.rows for t in trials]
    for _ in range(ROUNDS):
        totals, counts = [0.0] * width, [0] * width
        for trial, merit in zip(trials, merits, strict=True):
            for j, score in enumerate(trial.row_scores):
                totals[j] += score - merit
                counts[j] += 1
        ease = [totals[j] / counts[j] if counts[j] else 0.0 for j in range(width)]
        shift = sum(ease) / width  # ease is relative: its mean over the rows is 0
        ease = [e - shift for e in ease]
        updated = [sum(s - ease[j] for j, s in enumerate(t.row_scores)) / t.rows for t in trials]
        moved = max(abs(a - b) for a, b in zip(updated, merits, strict=True))
        merits = updated
        if moved < 1e-9:
            break
    squares = sum(
        (score - merit - ease[j]) ** 2
        for trial, merit in zip(trials, merits, strict=True)
        for j, score in enumerate(trial.row_scores)
    )
    observations = sum(t.rows for t in trials)
    freedom = max(observations - len(trials) - width + 1, 1)
    variance = max(squares / freedom, MIN_VARIANCE)
    return [Evidence(m, variance / t.rows, t.rows) for t, m in zip(trials, merits, strict=True)]
