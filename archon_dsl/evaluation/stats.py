"""The statistics of a report: bootstrap intervals, paired differences, pass@k, Bradley-Terry, length control."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

BOOTSTRAP_ROUNDS = 1000
CONFIDENCE = 0.95


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def percentile_interval(samples: list[float], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The central `confidence` interval of bootstrap samples (percentile method)."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2
    low = ordered[max(0, int(math.floor(tail * len(ordered))))]
    high = ordered[min(len(ordered) - 1, int(math.ceil((1 - tail) * len(ordered))) - 1)]
    return low, high


def bootstrap_mean(
    values: Sequence[float], rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0
) -> tuple[float, float, float]:
    """(mean, low, high): the mean of `values` and its 95% percentile-bootstrap interval."""
    values = list(values)
    if not values:
        return float("nan"), float("nan"), float("nan")
    rng = random.Random(seed)
    n = len(values)
    means = [sum(rng.choices(values, k=n)) / n for _ in range(rounds)]
    low, high = percentile_interval(means)
    return mean(values), low, high


def paired_difference(
    a: Sequence[float], b: Sequence[float], rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0
) -> dict[str, float]:
    """Mean of a - b over the same questions, its 95% paired-bootstrap interval, and a two-sided
    bootstrap p-value (twice the smaller share of resampled means on either side of zero)."""
    if len(a) != len(b):
        raise ValueError(f"paired scores differ in length: {len(a)} and {len(b)}")
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    if not diffs:
        return {"difference": float("nan"), "low": float("nan"), "high": float("nan"), "p_value": 1.0}
    rng = random.Random(seed)
    n = len(diffs)
    means = [sum(rng.choices(diffs, k=n)) / n for _ in range(rounds)]
    low, high = percentile_interval(means)
    if all(d == 0 for d in diffs):
        p = 1.0
    else:
        below = sum(m <= 0 for m in means) / rounds
        above = sum(m >= 0 for m in means) / rounds
        p = min(1.0, 2 * min(below, above))
    return {"difference": mean(diffs), "low": low, "high": high, "p_value": p}


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased estimator of pass@k from n samples of which c pass (Chen et al. 2021, Codex paper):
    1 - C(n-c, k) / C(n, k), computed as a stable product."""
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples per problem, got {n}")
    if n - c < k:
        return 1.0
    product = 1.0
    for i in range(n - c + 1, n + 1):
        product *= 1.0 - k / i
    return 1.0 - product


def sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def logistic_fit(
    features: Sequence[Sequence[float]],
    targets: Sequence[float],
    weights: Sequence[float] | None = None,
    l2: float = 1e-6,
    iterations: int = 50,
) -> list[float]:
    """Coefficients of a logistic regression (targets in [0, 1], so soft labels too), by Newton's method."""
    d = len(features[0]) if features else 0
    beta = [0.0] * d
    w = list(weights) if weights is not None else [1.0] * len(targets)
    for _ in range(iterations):
        grad = [-l2 * b for b in beta]
        hess = [[(l2 if i == j else 0.0) for j in range(d)] for i in range(d)]
        for x, y, wi in zip(features, targets, w, strict=True):
            p = sigmoid(sum(b * xi for b, xi in zip(beta, x, strict=True)))
            for i in range(d):
                grad[i] += wi * (y - p) * x[i]
                for j in range(d):
                    hess[i][j] += wi * p * (1 - p) * x[i] * x[j]
        step = _solve(hess, grad)
        beta = [b + s for b, s in zip(beta, step, strict=True)]
        if max((abs(s) for s in step), default=0.0) < 1e-9:
            break
    return beta


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """x with matrix @ x = vector (Gaussian elimination with partial pivoting; small systems)."""
    n = len(vector)
    a = [row[:] + [vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        if abs(a[col][col]) < 1e-300:
            continue
        for r in range(n):
            if r != col:
                factor = a[r][col] / a[col][col]
                for c in range(col, n + 1):
                    a[r][c] -= factor * a[col][c]
    return [a[i][n] / a[i][i] if abs(a[i][i]) > 1e-300 else 0.0 for i in range(n)]


def bradley_terry(
    battles: Sequence[tuple[str, str, float, float]], anchor: str, scale: float = 400.0, base: float = 10.0
) -> dict[str, float]:
    """Elo-scale Bradley-Terry ratings from (a, b, a's points in [0, 1], weight) battles, as Arena-Hard
    fits them (a logistic regression on +1/-1 player indicators); `anchor` is fixed at 1000."""
    players = sorted({p for a, b, _, _ in battles for p in (a, b)} - {anchor})
    if not players:
        return {anchor: 1000.0}
    index = {p: i for i, p in enumerate(players)}
    features, targets, weights = [], [], []
    for a, b, points, weight in battles:
        x = [0.0] * len(players)
        if a in index:
            x[index[a]] += 1.0
        if b in index:
            x[index[b]] -= 1.0
        features.append(x)
        targets.append(points)
        weights.append(weight)
    beta = logistic_fit(features, targets, weights)
    factor = scale / math.log(base)
    ratings = {p: 1000.0 + factor * beta[index[p]] for p in players}
    ratings[anchor] = 1000.0
    return ratings


def win_rate_from_ratings(
    rating: float, anchor_rating: float, scale: float = 400.0, base: float = 10.0
) -> float:
    """Expected win rate of a player rated `rating` against one rated `anchor_rating` (Elo formula)."""
    return 1.0 / (1.0 + base ** ((anchor_rating - rating) / scale))


def significant(low: float, high: float) -> bool:
    """True when a paired difference's interval leaves out zero."""
    return not (math.isnan(low) or math.isnan(high)) and (low > 0 or high < 0)
