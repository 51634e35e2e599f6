"""Strategy `bo`: Bayesian optimisation over distinct architectures (Thompson draws from the additive model, or a BoTorch GP's expected improvement)."""

from __future__ import annotations

import random
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .model import DRAWN, Encoding, Surrogate, canonical, distinct_listing, fit, random_distinct
from .strategy import WAIT, Proposal, Strategy, Wait
from .trials import Trial

# Augmentation of the Chebyshev scalarisation (ParEGO) for score and cost.
RHO = 0.05
# Above this many observations, the GP's hyperparameters are refitted only every REFIT_EVERY-th one.
WARM_AFTER = 12
REFIT_EVERY = 4
# The last quarter of the budget proposes the model's best (its posterior mean), not a draw: the
# search returns one of the architectures it evaluated, so its last steps go where the model's
# choice is.
EXPLOIT_SHARE = 0.25


@contextmanager
def quiet_torch() -> Iterator[None]:
    """BoTorch's numerical warnings silenced and torch on one thread while a model is fitted.

    A search's GP has a few dozen points: torch's thread pool only adds contention there (a step
    took 3x longer with it on a busy two-core machine).
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        torch.set_num_threads(threads)


SURROGATES = ("additive", "gp")


class BayesianOptimization(Strategy):
    """Random distinct architectures first, then the best candidate by the model.

    The model (`surrogate`): "additive" (default; additive.py), each parameter's level adding its
    own effect, fitted to every evaluation with its noise, and the candidate that is best under one
    posterior draw is proposed (Thompson sampling: a batch spreads where the model is unsure); or
    "gp", a BoTorch GP over the encoded points and the candidate with the highest expected
    improvement. On examples/itas_sim.arch the additive model ranks the space far better from a
    few dozen noisy evaluations (docs/search.md, "The model").

    The candidates are every distinct architecture of the space when the template can list them
    (its points passing the constraints), else a few thousand draws plus the neighbours of the best
    points so far; each is encoded with its hierarchy (a parameter the architecture does not use is
    absent, not a value), so the model never sees two versions of one architecture and no
    architecture is proposed twice. Only the winning candidate is checked in full (rules, budgets);
    a refused one is dropped and the next best taken, so no evaluation and no model step is spent on
    a refused point. Evaluations under way (`--workers`) are believed at their predicted score, so a
    batch spreads out. For score and cost, each step scalarises both with random weights (ParEGO).
    """

    name = "bo"
    parallel = True

    def __init__(
        self, *args: Any, init_trials: int | None = None, surrogate: str = "additive", **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        if surrogate not in SURROGATES:
            raise ValueError(f"surrogate must be one of {', '.join(SURROGATES)}, got {surrogate!r}")
        from .additive import available

        self.surrogate = surrogate if surrogate == "gp" or available() else "gp"
        self._features: Any = None  # additive.Features, made on first use
        self.init_trials = (
            init_trials if init_trials is not None else max(3, min(8, round(self.budget * 0.2)))
        )
        self.encoding = Encoding(self.space)
        self.rng = random.Random(self.seed)
        self._draws = random_distinct(self.space, random.Random(self.seed))
        self._fitted: tuple[int, Surrogate | None] | None = None
        self._listing: list[dict[str, Any]] | None = None
        self._pending: dict[str, list[float]] = {}  # point key -> features, proposed and not told yet
        self._pending_points: list[dict[str, Any]] = []
        self._listing_keys: list[str] = []
        self._listing_features: list[list[float]] = []
        self.model_steps = 0

    def ask(self) -> Proposal | Wait | None:
        if not self.space.dimensions:
            point = self.space.default()
            return Proposal(point, "base") if self.new_and_feasible(point) else None
        observed = self.history.latest()
        if len(observed) + len(self._pending) < self.init_trials:
            return self._remember(self._random())
        if not observed:
            return WAIT if self._pending else self._remember(self._random())
        proposal = self._modelled(observed)
        return self._remember(proposal if proposal is not None else self._random())

    def tell(self, proposal: Proposal, trial: Trial) -> None:
        self._pending.pop(self.space.key(proposal.point), None)
        self._pending_points = [p for p in self._pending_points if p is not proposal.point]

    def _remember(self, proposal: Proposal | None) -> Proposal | None:
        if proposal is not None:
            self._pending[self.space.key(proposal.point)] = self.encoding.encode(proposal.point)
            self._pending_points.append(proposal.point)
        return proposal

    def _random(self) -> Proposal | None:
        for point in self._draws:
            if self.fresh_architecture(point):
                return Proposal(point, "random")
        return None

    def _surrogate(self, observed: list[Trial]) -> Surrogate | None:
        """The GP on every architecture evaluated so far (refitted when a result came in)."""
        if (
            self._fitted is not None
            and self._fitted[0] == len(self.history.trials)
            and not self.multi_objective
        ):
            return self._fitted[1]
        points = [self.space.from_json(t.params) for t in observed]
        features = [self.encoding.encode(p) for p in points]
        values = self._objective(observed)
        previous = self._fitted[1] if self._fitted is not None else None
        # Hyperparameters are fitted afresh while data is scarce and every few points after that.
        warm = (
            previous
            if previous is not None and len(observed) > WARM_AFTER and len(observed) % REFIT_EVERY
            else None
        )
        surrogate = fit(features, values, warm=warm)
        self._fitted = (len(self.history.trials), surrogate)
        return surrogate

    def _objective(self, observed: list[Trial]) -> list[float]:
        scores = [t.score for t in observed]
        if not self.multi_objective:
            return scores
        costs = [t.cost for t in observed]
        weight = self.rng.random()
        return [
            min(weight * s, (1 - weight) * c) + RHO * (weight * s + (1 - weight) * c)
            for s, c in zip(_scaled(scores), [1 - x for x in _scaled(costs)], strict=True)
        ]

    def _candidates(self, observed: list[Trial]) -> tuple[list[dict[str, Any]], list[list[float]]]:
        """Points that are new architectures as far as their canonical form tells (and pass the
        constraints), with their features."""
        taken = {self._canonical_key(self.space.from_json(t.params)) for t in observed}
        taken.update(
            self._canonical_key(self.space.from_json(self.space.to_json(p))) for p in self._pending_points
        )
        listing = self._listed()
        if listing is not None:
            chosen = [i for i, key in enumerate(self._listing_keys) if key not in taken]
            return [listing[i] for i in chosen], [self._listing_features[i] for i in chosen]
        pool = [self.space.random_point(self.rng) for _ in range(DRAWN)]
        for trial in sorted(observed, key=lambda t: -t.score)[:3]:
            point = self.space.from_json(trial.params)
            for dim in self.space.dimensions:
                pool.extend(self.space.neighbours(point, dim.name))
        points: list[dict[str, Any]] = []
        for point in pool:
            key = self._canonical_key(point)
            if key in taken or not _constraints_hold(self.space, point):
                continue
            taken.add(key)
            points.append(point)
        return points, [self.encoding.encode(p) for p in points]

    def _canonical_key(self, point: dict[str, Any]) -> str:
        return self.space.key(canonical(self.space, point))

    def _listed(self) -> list[dict[str, Any]] | None:
        """The distinct architectures passing the constraints, listed and encoded once."""
        if self._listing is None:
            listing = distinct_listing(self.space)
            if listing is None:
                return None
            self._listing = [p for p in listing if _constraints_hold(self.space, p)]
            self._listing_keys = [self._canonical_key(p) for p in self._listing]
            self._listing_features = [self.encoding.encode(p) for p in self._listing]
        return self._listing

    def _modelled(self, observed: list[Trial]) -> Proposal | None:
        """The fresh, feasible candidate the model rates best (a posterior draw's, or by expected improvement)."""
        if self.surrogate == "additive":
            return self._drawn(observed)
        from .bo import quiet_torch

        with quiet_torch():
            surrogate = self._surrogate(observed)
            if surrogate is None:
                return None
            surrogate = surrogate.believing(list(self._pending.values()))
            candidates, features = self._candidates(observed)
            if not candidates:
                return None
            gains = surrogate.expected_improvement(features)
        self.model_steps += 1
        order = sorted(range(len(candidates)), key=lambda i: -gains[i])
        for index in order[:200]:
            point = candidates[index]
            if self.fresh_architecture(point):
                return Proposal(point, "botorch")
        return None

    def _drawn(self, observed: list[Trial]) -> Proposal | None:
        """The fresh, feasible candidate that is best under one draw from the additive model's posterior (in
        the budget's last quarter: by its posterior mean)."""
        from .additive import Features, fit_additive, fit_evidence

        if self._features is None:
            self._features = Features(self.space)
        if self.multi_objective:
            points = [self.space.from_json(t.params) for t in observed]
            model = fit_additive(self._features, points, self._objective(observed))
        else:
            model = fit_evidence(self._features, self.space, observed)
        if model is None:
            return None
        candidates, _ = self._candidates(observed)
        if not candidates:
            return None
        exploit = len(observed) + len(self._pending) >= self.budget * (1 - EXPLOIT_SHARE)
        if exploit:
            values, _ = model.predict(candidates)
        else:
            values = model.draw(self._features.matrix(candidates), self.rng)
        self.model_steps += 1
        order = sorted(range(len(candidates)), key=lambda i: -values[i])
        for index in order[:200]:
            if self.fresh_architecture(candidates[index]):
                return Proposal(candidates[index], "additive:best" if exploit else "additive")
        return None


def _constraints_hold(space: Any, point: dict[str, Any]) -> bool:
    try:
        return bool(space.template.constraints_hold({**space.default(), **point}))
    except Exception:
        return False


def _scaled(values: list[float]) -> list[float]:
    low, high = min(values), max(values)
    return [(v - low) / (high - low) if high > low else 0.5 for v in values]
