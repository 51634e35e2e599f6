"""The search's additive surrogate: each parameter's value, or its absence, shifts the score by its own amount.

Architectures of an ITAS space differ by how many generators, samples and fusion layers they
use, and those effects mostly add up. A model that knows that learns from a few dozen noisy
evaluations what a stationary GP over the same points cannot: on examples/itas_sim.arch, 40
random evaluations give it a rank correlation with the truth of about 0.6, against about 0.35
for the GP (benchmarks/bench_search_quality.py measures the strategies built on each).

    score = bias + sum over parameters p of effect(p, level of p) + noise

Levels are a parameter's values plus "absent" for a conditional one; an ordered parameter also
gets a trend term, so neighbouring values share what is learnt of them. Effects have a normal
prior whose scale is chosen by the evidence (the marginal likelihood over a grid), and each
observation has its own known variance (evidence.row_adjusted), so the posterior is exact
Bayesian linear regression: a mean and a variance for every candidate, and posterior draws for
Thompson sampling. numpy only (it comes with the [search] extra).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from .model import canonical
from .space import SearchSpace

SCALES = tuple(0.002 * 1.5**k for k in range(20))  # prior sd of one effect, in score units: 0.002..4.4
NOISE_SHARES = (0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9)  # unknown noise: these shares of the values' variance


class Features:
    """Points as the additive model's features: one indicator per parameter level (absent included) and a
    trend per ordered parameter."""

    def __init__(self, space: SearchSpace):
        self.space = space
        self.columns: list[tuple[str, Any]] = []  # (parameter, level) or (parameter, "trend")
        self._slot: dict[tuple[str, int | None], int] = {}  # (parameter, level index or None: absent)
        self._trend: dict[str, int] = {}  # parameter -> its trend column
        for dim in space.dimensions:
            levels = list(range(len(dim.values))) if dim.values is not None else []
            for level in [*levels, None]:  # None: the parameter is absent (or a float range's value)
                self._slot[(dim.name, level)] = len(self.columns)
                self.columns.append((dim.name, level))
            if dim.values is None or (not dim.categorical and len(dim.values) > 2):
                self._trend[dim.name] = len(self.columns)
                self.columns.append((dim.name, "trend"))
        self._memo: dict[str, tuple[list[int], list[tuple[int, float]]]] = {}

    @property
    def width(self) -> int:
        return len(self.columns)

    def encode(self, point: dict[str, Any]) -> tuple[list[int], list[tuple[int, float]]]:
        """The point's indicator columns and its (trend column, value in [0, 1]) pairs."""
        key = self.space.key(point)
        found = self._memo.get(key)
        if found is not None:
            return found
        shaped = canonical(self.space, point)
        hot: list[int] = []
        trends: list[tuple[int, float]] = []
        for dim in self.space.dimensions:
            if dim.name not in shaped:
                hot.append(self._slot[(dim.name, None)])
                continue
            value = shaped[dim.name]
            if dim.values is None:
                span = (dim.high or 0.0) - (dim.low or 0.0)
                position = (float(value) - (dim.low or 0.0)) / span if span else 0.0
            else:
                index = dim.index(value)
                hot.append(self._slot[(dim.name, index)])
                position = index / (len(dim.values) - 1) if len(dim.values) > 1 else 0.0
            trend = self._trend.get(dim.name)
            if trend is not None:
                trends.append((trend, position))
        self._memo[key] = (hot, trends)
        return hot, trends

    def matrix(self, points: Sequence[dict[str, Any]]) -> Any:
        import numpy as np

        X = np.zeros((len(points), self.width))
        for i, point in enumerate(points):
            hot, trends = self.encode(point)
            X[i, hot] = 1.0
            for column, value in trends:
                X[i, column] = value - 0.5
        return X


class Additive:
    """The fitted additive model: posterior mean and variance of each candidate's score, and draws."""

    def __init__(self, features: Features, mean: Any, covariance: Any, bias: float, scale: float):
        self.features = features
        self.mean = mean
        self.covariance = covariance
        self.bias = bias
        self.scale = scale  # the prior sd of one effect the evidence chose

    def predict(self, points: Sequence[dict[str, Any]]) -> tuple[list[float], list[float]]:
        import numpy as np

        X = self.features.matrix(points)
        means = X @ self.mean + self.bias
        variances = np.einsum("ij,jk,ik->i", X, self.covariance, X)
        return means.tolist(), np.sqrt(np.clip(variances, 0.0, None)).tolist()

    def draw(self, matrix: Any, rng: random.Random) -> list[float]:
        """One posterior draw of the score of every point of `matrix` (Features.matrix): Thompson sampling,
        where points that share levels move together."""
        import numpy as np

        generator = np.random.default_rng(rng.getrandbits(63))
        weights = generator.multivariate_normal(self.mean, self.covariance, method="cholesky")
        return (matrix @ weights + self.bias).tolist()


def fit_additive(
    features: Features,
    points: Sequence[dict[str, Any]],
    values: Sequence[float],
    variances: Sequence[float] | None = None,
) -> Additive | None:
    """The posterior after these observations (None without two different values: nothing to learn).

    `variances`: each observation's known noise; without them (bare scores, or score and cost
    scalarised) one noise is chosen with the prior scale, as a share of the observations' variance."""
    import numpy as np

    if len(values) < 2 or len(set(values)) < 2:
        return None
    X = features.matrix(points)
    y = np.asarray(values, dtype=float)
    center = float(y.mean())
    y = y - center
    if variances is None:
        spread = max(float(y.var()), 1e-6)
        noises = [np.full(len(y), spread * share) for share in NOISE_SHARES]
    else:
        noises = [np.maximum(np.asarray(variances, dtype=float), 1e-8)]
    gram = X @ X.T
    best: tuple[float, float, Any] | None = None
    for noise in noises:  # the prior scale (and noise) with the highest marginal likelihood
        for scale in SCALES:
            try:
                factor = np.linalg.cholesky(scale**2 * gram + np.diag(noise))
            except np.linalg.LinAlgError:
                continue
            solved = np.linalg.solve(factor, y)
            evidence = -0.5 * float(solved @ solved) - float(np.log(np.diag(factor)).sum())
            if best is None or evidence > best[0]:
                best = (evidence, scale, noise)
    if best is None:
        return None
    _, scale, noise = best
    precision = X.T @ (X / noise[:, None]) + np.eye(features.width) / scale**2
    # Observations are centred; each row has one indicator per parameter, so levels carry the offset.
    covariance = np.linalg.inv(precision)
    mean = covariance @ (X.T @ (y / noise))
    return Additive(features, mean, covariance, center, scale)


def fit_evidence(features: Features, space: SearchSpace, trials: Sequence[Any]) -> Additive | None:
    """The model fitted to trials on any rows: each one's merit with the ease of its rows taken out and
    that merit's variance (evidence.row_adjusted); plain mean scores when per-row scores are missing."""
    from .evidence import row_adjusted

    points = [space.from_json(t.params) for t in trials]
    evidence = row_adjusted(list(trials))
    if evidence is None:
        return fit_additive(features, points, [t.score for t in trials])
    return fit_additive(features, points, [e.merit for e in evidence], [e.variance for e in evidence])


def available() -> bool:
    """Whether numpy is installed (the [search] extra brings it); without it strategies draw at random
    and the final choice is the best mean."""
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True
