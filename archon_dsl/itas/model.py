"""The search's surrogate: configurations encoded with their hierarchy, a BoTorch GP, expected improvement."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .space import ENUMERABLE, SearchSpace

# An inactive parameter's features: outside [0, 1], so "absent" is neither the low nor the high value.
INACTIVE = -0.5
# Distinct architectures listed in full up to this many; a larger space is sampled.
LISTED = 50_000
# Candidates drawn per step when the space is not listed.
DRAWN = 3000


def canonical(space: SearchSpace, point: dict[str, Any]) -> dict[str, Any]:
    """The searched parameters that exist at `point` (the template's canonical point, inactive ones
    dropped): equal for two points exactly when they give the same architecture."""
    try:
        return space.canonical(point)
    except Exception:  # a point outside the domain or a failing condition: every parameter counts
        full = {**space.default(), **point}
        return {name: full[name] for name in space.by_name}


def distinct_listing(space: SearchSpace) -> list[dict[str, Any]] | None:
    """Every distinct architecture's point once (full points), when the template can list them and there
    are not too many; else None (strategies then draw points and skip repeated architectures)."""
    template = space.template
    size = space.size()
    if size is None or size > ENUMERABLE:
        return None
    cached = _LISTINGS.get(id(template))
    if cached is not None and cached[0] is template:
        return cached[1]
    default = space.default()
    points: list[dict[str, Any]] = []
    for shaped in template.distinct_points():
        points.append({**default, **shaped})
        if len(points) > LISTED:
            return None
    _LISTINGS[id(template)] = (template, points)
    return points


_LISTINGS: dict[int, tuple[Any, list[dict[str, Any]]]] = {}


def random_distinct(space: SearchSpace, rng: random.Random) -> Iterator[dict[str, Any]]:
    """Points in random order, uniform over distinct architectures when they can be listed, else raw draws."""
    listing = distinct_listing(space)
    if listing is not None:
        order = list(range(len(listing)))
        rng.shuffle(order)
        for index in order:
            yield listing[index]
        return
    misses = 0
    while misses < 10_000:
        point = space.random_point(rng)
        if not space.feasible(point):
            misses += 1
            continue
        misses = 0
        yield point


class Encoding:
    """A point as features in [0, 1]: ordered values by rank, categorical ones one-hot, floats scaled;
    a parameter the architecture does not use gets INACTIVE (zeros one-hot), so points that differ
    only in unused parameters are one point to the model and the hierarchy is visible to it."""

    def __init__(self, space: SearchSpace):
        self.space = space
        self.width = 0
        for dim in space.dimensions:
            self.width += len(dim.values) if dim.categorical and dim.values else 1
        self._memo: dict[str, list[float]] = {}

    def encode(self, point: dict[str, Any]) -> list[float]:
        key = self.space.key(point)
        found = self._memo.get(key)
        if found is not None:
            return found
        shaped = canonical(self.space, point)
        features: list[float] = []
        for dim in self.space.dimensions:
            active = dim.name in shaped
            if dim.categorical and dim.values:
                hot = [0.0] * len(dim.values)
                if active:
                    hot[dim.index(shaped[dim.name])] = 1.0
                features.extend(hot)
            elif not active:
                features.append(INACTIVE)
            elif dim.values is None:
                span = (dim.high or 0.0) - (dim.low or 0.0)
                features.append((float(shaped[dim.name]) - (dim.low or 0.0)) / span if span else 0.0)
            else:
                n = len(dim.values)
                features.append(dim.index(shaped[dim.name]) / (n - 1) if n > 1 else 0.0)
        self._memo[key] = features
        return features


@dataclass
class Surrogate:
    """A fitted GP over encoded points; predicts mean and standard deviation of the objective."""

    model: Any
    best_mean: float  # the best posterior mean among the observed points (the noisy-EI incumbent)

    def predict(self, features: Sequence[Sequence[float]]) -> tuple[list[float], list[float]]:
        import torch

        if not features:
            return [], []
        # One point per batch (n x 1 x d): n marginal posteriors, never an n x n joint covariance.
        X = torch.tensor(features, dtype=torch.double).unsqueeze(-2)
        with torch.no_grad():
            posterior = self.model.posterior(X)
            mean = posterior.mean.reshape(-1)
            std = posterior.variance.clamp_min(1e-12).sqrt().reshape(-1)
        return mean.tolist(), std.tolist()

    def expected_improvement(self, features: Sequence[Sequence[float]]) -> list[float]:
        mean, std = self.predict(features)
        return [_ei(m, s, self.best_mean) for m, s in zip(mean, std, strict=True)]

    def believing(self, features: Sequence[Sequence[float]]) -> Surrogate:
        """The model as if the pending points had been observed at their predicted means (kriging
        believer): variance shrinks around them, so a batch spreads out; hyperparameters are kept."""
        if not features:
            return self
        import torch
        from botorch.models import SingleTaskGP
        from botorch.models.transforms import Standardize

        mean, _ = self.predict(features)
        X = torch.cat([self.model.train_inputs[0], torch.tensor(features, dtype=torch.double)])
        raw_y = self.model.outcome_transform.untransform(self.model.train_targets.unsqueeze(-1))[0]
        Y = torch.cat([raw_y, torch.tensor(mean, dtype=torch.double).unsqueeze(-1)])
        model = SingleTaskGP(X, Y, outcome_transform=Standardize(m=1))
        _take_hyperparameters(model, self.model)
        model.eval()
        return Surrogate(model, self.best_mean)


def _ei(mean: float, std: float, best: float) -> float:
    if std <= 0:
        return max(mean - best, 0.0)
    z = (mean - best) / std
    return (mean - best) * 0.5 * math.erfc(-z / math.sqrt(2)) + std * math.exp(-0.5 * z * z) / math.sqrt(
        2 * math.pi
    )


def _take_hyperparameters(model: Any, source: Any) -> None:
    """Kernel and noise hyperparameters from `source` (the outcome scaling stays the new data's own)."""
    state = {k: v for k, v in source.state_dict().items() if not k.startswith("outcome_transform")}
    model.load_state_dict(state, strict=False)


def fit(
    features: Sequence[Sequence[float]], values: Sequence[float], warm: Surrogate | None = None
) -> Surrogate | None:
    """A GP fitted to observations (None under three points or with one value: nothing to learn yet).

    With `warm`, the hyperparameters of that earlier fit are kept instead of fitted again (a step
    then costs milliseconds; the caller refits now and then)."""
    if len(features) < 3 or len(set(values)) < 2:
        return None
    import torch
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.models.transforms import Standardize
    from gpytorch.mlls import ExactMarginalLogLikelihood

    from .bo import quiet_torch

    with quiet_torch():
        X = torch.tensor(features, dtype=torch.double)
        Y = torch.tensor(values, dtype=torch.double).unsqueeze(-1)
        model = SingleTaskGP(X, Y, outcome_transform=Standardize(m=1))
        if warm is not None:
            _take_hyperparameters(model, warm.model)
        else:
            try:
                fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
            except Exception:  # a fit that fails to converge keeps its starting hyperparameters
                pass
        model.eval()
        surrogate = Surrogate(model, 0.0)
        mean, _ = surrogate.predict(features)
    surrogate.best_mean = max(mean)
    return surrogate


def model_available() -> bool:
    """Whether BoTorch is installed (the [search] extra)."""
    try:
        import botorch  # noqa: F401
    except ImportError:
        return False
    return True
