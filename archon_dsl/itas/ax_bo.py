"""Strategy `ax`: Bayesian optimisation through Ax 1.x (`ax.Client`), Sobol then BoTorch; infeasible points repaired."""

from __future__ import annotations

import logging
import random
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .space import Dimension
from .strategy import Proposal, Proposals, Strategy
from .trials import Trial

# The outcome Ax learns feasibility from: 1 for points evaluated, 0 for points refused.
FEASIBLE = "feasible"
# Ax proposals in a row that are free (an architecture already evaluated) before the next one is repaired.
MAX_FREE_IN_A_ROW = 2


class AxEncoding:
    """Template dimensions as Ax parameters, and back.

    Constraints are never given to Ax: even one linear constraint makes a BoTorch step about 8x
    slower, non-linear ones (n_gen * samples <= 24) are not accepted at all, and choice lists
    that Ax reads as log-scale refuse constraints. Feasibility is checked here instead. Integer
    sets, bools and two-way choices become integer index ranges (sorted, so nearer is nearer);
    only choices among three or more strings or models stay categorical, which BoTorch handles
    far more slowly.
    """

    def __init__(self, dimensions: list[Dimension]):
        self.dimensions = dimensions
        self.kind: dict[str, str] = {}  # range | index | categorical | float
        self.ordered: dict[str, list[Any]] = {}
        self.labels: dict[str, list[str]] = {}
        for dim in dimensions:
            values = dim.values or ()  # None for a float dimension only
            if not dim.finite:
                self.kind[dim.name] = "float"
            elif dim.categorical:
                self.kind[dim.name] = "categorical"
                labels = [str(dim.to_json(v)) for v in values]
                if len(set(labels)) < len(labels):
                    labels = [f"{i}:{label}" for i, label in enumerate(labels)]
                self.labels[dim.name] = labels
            elif dim.type == "int" and list(values) == list(range(min(values), max(values) + 1)):
                self.kind[dim.name] = "range"
            else:
                self.kind[dim.name] = "index"
                numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
                self.ordered[dim.name] = sorted(values) if numeric else list(values)

    def parameters(self) -> list[Any]:
        from ax import ChoiceParameterConfig, RangeParameterConfig

        configs: list[Any] = []
        for dim in self.dimensions:
            kind = self.kind[dim.name]
            values = dim.values or ()  # None for a float dimension only
            if kind == "float":
                assert dim.low is not None and dim.high is not None  # a float dimension's bounds
                configs.append(
                    RangeParameterConfig(name=dim.name, bounds=(dim.low, dim.high), parameter_type="float")
                )
            elif kind == "range":
                configs.append(
                    RangeParameterConfig(
                        name=dim.name,
                        bounds=(min(values), max(values)),
                        parameter_type="int",
                    )
                )
            elif kind == "index":
                configs.append(
                    RangeParameterConfig(
                        name=dim.name,
                        bounds=(0, len(values) - 1),
                        parameter_type="int",
                    )
                )
            else:
                configs.append(
                    ChoiceParameterConfig(
                        name=dim.name,
                        values=list(self.labels[dim.name]),
                        parameter_type="str",
                        is_ordered=False,
                    )
                )
        return configs

    def to_ax(self, point: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for dim in self.dimensions:
            value, kind = point[dim.name], self.kind[dim.name]
            if kind == "float":
                out[dim.name] = float(value)
            elif kind == "range":
                out[dim.name] = int(value)
            elif kind == "index":
                out[dim.name] = next(i for i, v in enumerate(self.ordered[dim.name]) if _same(v, value))
            else:
                out[dim.name] = self.labels[dim.name][dim.index(value)]
        return out

    def from_ax(self, params: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
        point = dict(base)
        for dim in self.dimensions:
            value, kind = params[dim.name], self.kind[dim.name]
            if kind == "float":
                point[dim.name] = float(value)
            elif kind == "range":
                point[dim.name] = int(value)
            elif kind == "index":
                point[dim.name] = self.ordered[dim.name][int(value)]
            else:
                point[dim.name] = (dim.values or ())[self.labels[dim.name].index(value)]
        return point


def _same(a: Any, b: Any) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool)


@contextmanager
def quiet_ax() -> Iterator[None]:
    """Ax quiet and on one thread while it works.

    Ax logs every trial at INFO and BoTorch warns about numerics: the terminal is kept for the
    progress bar. The GP of a search has a few dozen points: torch's thread pool only adds
    contention there (a step took 3x longer with it on a busy two-core machine).
    """
    import torch
    from ax.utils.common.logger import ROOT_STREAM_HANDLER

    level = ROOT_STREAM_HANDLER.level
    threads = torch.get_num_threads()
    ROOT_STREAM_HANDLER.setLevel(logging.ERROR)
    torch.set_num_threads(1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        ROOT_STREAM_HANDLER.setLevel(level)
        torch.set_num_threads(threads)


def _without_kernel_compilation() -> None:
    """Keep BoTorch's log-NEHVI on its PyTorch code instead of JIT-compiling its fused C++ kernel.

    On first use in each process BoTorch builds that kernel with g++ and ninja (30 s of CPU,
    minutes on a busy machine, again whenever two environments share the build directory)
    under a file lock that a killed search leaves behind, making every later one wait forever.
    A search's GP has a few dozen points: the kernel's speed-up is worth none of that.
    """
    try:
        from botorch.acquisition.multi_objective import logei
    except ImportError:
        return
    if getattr(logei, "_C", None) is None and hasattr(logei, "_load_attempted"):
        logei._load_attempted = True  # BoTorch's own "already tried" flag: it then uses the PyTorch path


class AxOptimization(Strategy):
    """Ax's "fast" generation strategy: a center point and Sobol, then BoTorch (GP + log-EI, or log-NEHVI
    for score and cost).

    An Ax proposal that fails a constraint, a budget or a rule is completed with feasible = 0
    (Ax learns where points are feasible); one already evaluated is marked abandoned (pending for
    Ax, which then looks elsewhere). Either is replaced by the nearest point that is feasible and
    new, attached as a trial of its own: no evaluation is spent on a refused point, and every
    generation step yields one evaluation.
    """

    name = "ax"

    def __init__(self, *args: Any, init_trials: int | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.init_trials = (
            init_trials if init_trials is not None else max(2, min(8, round(self.budget * 0.2)))
        )
        self.client: Any = None  # Ax's Client, once configured
        self.encoding = AxEncoding(self.space.dimensions)
        self._threshold: float | None = None
        self._configured: tuple = ()
        self._refused_any = False

    def _data(self, trial: Trial) -> dict[str, float]:
        data = {"score": float(trial.score), FEASIBLE: 1.0}
        if self.multi_objective:
            data["cost"] = float(trial.cost)
        return data

    def _setup(self) -> None:
        from ax import Client

        if self.multi_objective:
            _without_kernel_compilation()
        client = Client(random_seed=self.seed)
        client.configure_experiment(parameters=self.encoding.parameters(), name="archon-itas")
        client.configure_optimization(objective="score, -cost" if self.multi_objective else "score")
        self._configured = ()
        client.configure_generation_strategy(
            method="fast",
            initialization_budget=self.init_trials,
            initialization_random_seed=self.seed,
        )
        self.client = client
        # A resumed search: what the interrupted run learnt is given back to Ax as finished trials.
        for trial in self.history.trials:
            self._attach(self.space.from_json(trial.params), trial)

    def _attach(self, point: dict[str, Any], trial: Trial) -> None:
        index = self.client.attach_trial(self.encoding.to_ax(point))
        self.client.complete_trial(index, raw_data=self._data(trial))

    def _configure(self) -> None:
        """The objective, with a feasibility constraint once a point was refused, and for score and cost
        the objective thresholds: score >= its floor, cost <= 10% above the dearest seen.

        Refused points are completed with feasible = 0 (and no score), so Ax models the chance a
        point is feasible and steers away from what the constraints, budgets and rules exclude,
        without an evaluation being spent on them. Ax's hypervolume needs a reference point on
        every objective (without one its Pareto frontier comes back empty); the cost bound moves
        up as dearer points are seen.
        """
        constraints = [f"{FEASIBLE} >= 0.5"] if self._refused_any else []
        bound = None
        if self.multi_objective and self.history.trials:
            worst = max(t.cost for t in self.history.trials)
            bound = worst * 1.1 if worst > 0 else 1.0
            if self._threshold is not None and bound <= self._threshold:
                bound = self._threshold
            floor = min(0.0, min(t.score for t in self.history.trials))
            constraints += [f"score >= {floor:.6g}", f"cost <= {bound:.6g}"]
        key = tuple(constraints)
        if key == self._configured:
            return
        self.client.configure_optimization(
            objective="score, -cost" if self.multi_objective else "score",
            outcome_constraints=constraints or None,
        )
        self._configured, self._threshold = key, bound

    def _source(self, index: int) -> str:
        """Which of Ax's generation nodes proposed trial `index`, in this project's words.

        Ax's Client has no public getter for its experiment or a trial's generator runs; its public
        summary of the trial names the node (the same field, read by Ax itself).
        """
        with quiet_ax():
            summary = self.client.summarize(trial_indices=[index])
        value = summary["generation_node"].iloc[0] if "generation_node" in summary and len(summary) else ""
        node = value if isinstance(value, str) else ""
        return {"CenterOfSearchSpace": "center", "Sobol": "sobol", "MBM": "botorch"}.get(
            node, node.lower() or "ax"
        )

    def _next(self) -> tuple[int, dict[str, Any]] | None:
        from ax.exceptions.core import AxError

        self._configure()
        try:
            trials = self.client.get_next_trials(max_trials=1)
        except (AxError, ValueError, RuntimeError):
            # Ax gives up when its generator cannot find a new arm (a small, mostly seen space).
            return None
        if not trials:
            return None
        index, params = next(iter(trials.items()))
        return index, self.encoding.from_ax(params, self.space.default())

    def _repair(self, near: dict[str, Any] | None) -> dict[str, Any] | None:
        """The nearest feasible point with an architecture not yet evaluated; else any, in seeded random order."""
        if near is not None:
            found = self.space.nearest(near, self.fresh_architecture)
            if found is not None:
                return found
        rng = random.Random(self.seed * 7919 + len(self.history.trials))
        for point in self.random_points(rng):
            if self.fresh_architecture(point):
                return point
        for point in self.random_points(rng):
            if self.new_and_feasible(point):
                return point
        return None

    def proposals(self) -> Proposals:
        if not self.space.dimensions:
            point = self.space.default()
            if self.new_and_feasible(point):
                yield Proposal(point, "base")
            return
        with quiet_ax():
            self._setup()
        free_in_a_row = 0
        while True:
            with quiet_ax():
                proposed = self._next()
            if proposed is not None:
                index, point = proposed
                acceptable = self.new_and_feasible(point) and (
                    free_in_a_row < MAX_FREE_IN_A_ROW or self.fresh_architecture(point)
                )
                if acceptable:
                    trial = yield Proposal(point, self._source(index))
                    with quiet_ax():
                        self.client.complete_trial(index, raw_data=self._data(trial))
                    free_in_a_row = free_in_a_row + 1 if not trial.evaluated else 0
                    continue
                with quiet_ax():
                    if not self.space.feasible(point):
                        self._refused_any = True
                        self.client.complete_trial(index, raw_data={FEASIBLE: 0.0})
                    else:  # seen already: pending for Ax, so it looks elsewhere
                        self.client.mark_trial_abandoned(index)
            repaired = self._repair(proposed[1] if proposed else None)
            if repaired is None:
                return  # every feasible point has been evaluated
            trial = yield Proposal(repaired, "repair")
            free_in_a_row = free_in_a_row + 1 if not trial.evaluated else 0
            with quiet_ax():
                self._attach(repaired, trial)

    def close(self) -> None:
        self.client = None
