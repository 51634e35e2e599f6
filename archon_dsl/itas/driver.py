"""Runs a search: splits the data, asks a strategy for points, evaluates them (several at once), keeps the record, chooses."""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..architecture import Architecture, Layer
from ..diagnostics import ArchonError, Diagnostic, Severity
from ..template import Template
from .evaluate import Evaluation, Evaluator, ExecutorEvaluator
from .outputs import SearchDirectory
from .pareto import pareto_front
from .space import SearchSpace, plan_figures
from .strategy import WAIT, Proposal, Strategy
from .trials import OBJECTIVES, History, Trial, standard_error

STRATEGIES = ("bo", "random", "greedy", "grid", "sh", "hyperband", "bohb", "ax")
MULTI_FIDELITY = ("sh", "hyperband", "bohb")
# Free trials in a row (architectures already evaluated) after which a search stops.
MAX_FREE_IN_A_ROW = 200


def _usage(message: str, hint: str | None = None) -> ArchonError:
    return ArchonError([Diagnostic("R021", "search-usage", Severity.ERROR, message, None, None, hint)])


@dataclass
class SearchResult:
    """What a search found: every trial, the best configuration, the Pareto front, held-out scores."""

    trials: list[Trial]
    best: Trial | None
    best_arch: Architecture | None
    front: list[Trial]
    objective: str
    cost_metric: str
    strategy: str
    seed: int
    evaluations: int
    skipped: int  # points refused before evaluation (constraint, budget or rule)
    stopped: str  # budget | dollars | patience | exhausted | repeats
    rows_dev: int
    rows_held_out: int
    held_out: dict[int, Evaluation] = field(default_factory=dict)  # trial index -> held-out evaluation
    out: Path | None = None
    rules_checked: bool = True
    notes: list[str] = field(default_factory=list)  # problems writing the outputs
    rows_used: int = 0  # row evaluations spent on the development split
    budget_rows: int = 0
    usd_used: float = 0.0
    workers: int = 1
    choice: dict[str, Any] = field(default_factory=dict)  # the rule, the finalists and their intervals

    @property
    def full_equivalents(self) -> float:
        """Row evaluations spent, in evaluations of every development row."""
        return self.rows_used / max(self.rows_dev, 1)

    @property
    def best_score(self) -> float | None:
        """The reported score: held-out when there is a held-out split, else development."""
        if self.best is None:
            return None
        return self.best.held_out if self.best.held_out is not None else self.best.score

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "seed": self.seed,
            "objective": self.objective,
            "cost_metric": self.cost_metric,
            "evaluations": self.evaluations,
            "rows_used": self.rows_used,
            "budget_rows": self.budget_rows,
            "full_equivalents": round(self.full_equivalents, 3),
            "usd_used": self.usd_used,
            "workers": self.workers,
            "trials": len(self.trials),
            "skipped": self.skipped,
            "stopped": self.stopped,
            "rows_dev": self.rows_dev,
            "rows_held_out": self.rows_held_out,
            "rules_checked": self.rules_checked,
            "best": self.best.to_dict() if self.best else None,
            "best_score": self.best_score,
            "front": [t.to_dict() for t in self.front],
            "held_out": {str(k): _evaluation_dict(v) for k, v in self.held_out.items()},
            "choice": self.choice,
            "notes": self.notes,
        }


def _evaluation_dict(e: Evaluation) -> dict[str, Any]:
    return {
        "score": e.score,
        "cost_usd": e.cost_usd,
        "calls": e.calls,
        "tokens": e.tokens,
        "errors": e.errors,
        "rows": e.rows,
        "duration": round(e.duration, 4),
    }


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------


def load_rows(data: Any) -> list[dict[str, Any]]:
    """Rows from a list (dicts or strings), a .jsonl path or a built-in dataset name; each gets an id.

    The search's name for `api.dataset_rows(data, search=True)`, the one reader of rows."""
    from ..api import dataset_rows

    return dataset_rows(data, search=True)


def split_rows(rows: Sequence[dict], fraction: float, seed: int = 0) -> tuple[list[dict], list[dict]]:
    """(development, held-out): a seeded shuffle, `fraction` of the rows held out (at least one if any)."""
    if not 0 <= fraction < 1:
        raise _usage(
            f"--split must be in [0, 1), got {fraction}", "e.g. --split 0.2 holds out a fifth of the rows"
        )
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    n_test = round(len(rows) * fraction)
    if fraction > 0 and n_test == 0 and len(rows) >= 2:
        n_test = 1
    n_test = min(n_test, len(rows) - 1)
    test = sorted(order[:n_test])
    dev = sorted(order[n_test:])
    return [rows[i] for i in dev], [rows[i] for i in test]


def _sha256(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


# ---------------------------------------------------------------------------
# The search
# ---------------------------------------------------------------------------


def make_strategy(name: str, space: SearchSpace, history: History, **options: Any) -> Strategy:
    cls: type[Strategy]
    if name == "bo":
        from .bo import BayesianOptimization as cls
    elif name == "random":
        from .random_ import RandomSearch as cls
    elif name == "greedy":
        from .greedy import GreedySearch as cls
    elif name == "grid":
        from .grid import GridSearch as cls
    elif name == "sh":
        from .multifidelity import SuccessiveHalving as cls
    elif name == "hyperband":
        from .multifidelity import Hyperband as cls
    elif name == "bohb":
        from .multifidelity import BOHB as cls
    elif name == "ax":
        from .ax_bo import AxOptimization as cls
    else:
        raise ValueError(f"unknown strategy {name!r}; strategies: {', '.join(STRATEGIES)}")
    if name not in ("bo", "ax"):
        options.pop("init_trials", None)
    return cls(space, history, **options)


def cost_metric_for(template: Template, sim: bool) -> str:
    """Dollars when the plan prices every model the template can use and some price is not zero, else calls.

    On the simulator the models are priced as simulated (declared prices, or the simulator's).
    When every model is free, dollars would put every point at $0: calls tell them apart.
    """
    models = template.space_models()
    if not models:
        return "calls"
    every = Architecture(name="prices", layers=[Layer(kind="generator", models=models)])
    if sim:
        from ..runtime.sim import simulate

        every = simulate(every)
    cost = plan_figures(every).get("cost")
    return "cost_usd" if cost else "calls"


def arch_key(arch: Architecture) -> str:
    """Equal for configurations that run the same architecture (unused params, model aliases aside)."""
    return _sha256(arch.meaning())


def search(
    template: Template | str | Path,
    data: Any,
    scorer: Any = "exact",
    *,
    strategy: str = "bo",
    trials: int = 20,
    seed: int = 0,
    split: float = 0.2,
    split_seed: int = 0,
    objective: str = "score",
    sim: bool = False,
    sim_seed: int | None = None,
    draws: str = "shared",
    out: str | Path | None = None,
    resume: bool = False,
    evaluator: Evaluator | None = None,
    cache: Any = True,
    concurrency: int | None = None,
    rules: bool = True,
    init_trials: int | None = None,
    surrogate: str = "additive",
    scorer_options: dict[str, Any] | None = None,
    on_trial: Callable[[Trial, int, int], None] | None = None,
    unsafe_exec: bool = False,
    budget_rows: int | None = None,
    budget_usd: float | None = None,
    patience: int | None = None,
    workers: int = 1,
    evaluate: Callable[[Architecture, list[dict]], Awaitable[Evaluation]] | None = None,
    ray: str | bool | None = None,
) -> SearchResult:
    """Search a template's parameters for the best configuration on a dataset.

    template: a Template, or a path to (or the text of) an .arch template; its params are the space.
    data: rows (dicts with "question" and "answer"), a .jsonl path, or a built-in dataset name.
    scorer: exact | numeric | mc | regex | regex:PATTERN | code | judge | module:function | a callable
        f(answer, row) -> float | a Scorer.
    strategy: bo (Bayesian optimisation over distinct architectures; surrogate: "additive", Thompson
        draws from a model of each parameter's effect, or "gp", a BoTorch GP's expected improvement) | random | greedy | grid | sh | hyperband |
        bohb (multi-fidelity over rows) | ax (Ax's generation strategy). trials: full evaluations to
        spend (points that share an evaluated point's architecture are free and not counted).
    budget_rows: the budget in row evaluations instead (default trials x development rows);
        budget_usd: stop once this many dollars are spent. patience: stop after this many evaluations
        without the incumbent improving by more than its standard error.
    workers: evaluations at once. evaluate: an async `evaluate(arch, rows) -> Evaluation` to run
        evaluations elsewhere (a cluster); default: the evaluator in worker threads.
    ray: True (a local Ray instance) or a cluster's address: each trial's rows run as Ray tasks,
        `workers` trials at once, under one rate limit and one cache (archon_dsl.scale, docs/scale.md).
    split: fraction of rows held out; the best (and, for score,cost, the Pareto) configurations are
        re-scored on them and that score is reported.
    objective: "score", or "score,cost" for a quality-versus-cost Pareto front (cost in dollars per
        query, or calls per query when some price is unknown).
    sim: run on the offline simulator. sim_seed: the simulator's seed for every sim model the search
        runs, the judge's included (default: env ARCHON_SIM_SEED, else each model's own, else 0); it is
        recorded in state.json, and --resume at another seed is refused.
    draws: "shared" (architectures that make the same call share its reply: the cache's and the
        simulator's seed's) or "architecture" (each architecture draws its own samples: its own sim
        seed and its own cache entries), which makes evaluations independent; see docs/search.md.
    out: a directory for trials, plots, best.arch and state; resume: continue the search recorded there.
    evaluator: evaluate configurations another way (e.g. FunctionEvaluator); default: the executor.
    on_trial(trial, evaluations, budget): called after each trial (the CLI's progress bar).
    unsafe_exec: let execute mode and the code scorer run generated code without a sandbox when
        bubblewrap is not available (by default that raises IsolationUnavailable first).

    >>> result = search("examples/itas.arch", "arithmetic", "numeric", strategy="random", trials=10, sim=True)
    >>> result.best.params, result.best_score
    """
    objective = _checked_options(objective, trials, strategy)
    from .bo import SURROGATES

    if surrogate not in SURROGATES:
        raise _usage(f"unknown surrogate {surrogate!r}", f"use {' or '.join(SURROGATES)}")
    _check_limits(budget_rows, budget_usd, patience, workers)
    template = _as_template(template)
    space = SearchSpace(template, rules=rules)
    rows = load_rows(data)
    dev, held = split_rows(rows, split, split_seed)
    score_fn, scorer_name = _scorer(scorer, scorer_options, evaluator)
    sim_seed = _sim_seed(sim_seed, evaluator)
    _check_draws(draws, evaluator, ray)

    directory = SearchDirectory(out) if out is not None else None
    state = {
        "template": template.path,
        "template_sha256": _sha256(_template_text(template)),
        "data_sha256": _sha256(rows),
        "rows_dev": len(dev),
        "rows_held_out": len(held),
        "scorer": scorer_name,
        "strategy": strategy,
        "seed": seed,
        "split": split,
        "split_seed": split_seed,
        "objective": objective,
        "trials": trials,
        "budget_rows": budget_rows,
        "sim": sim,
        "sim_seed": sim_seed,
        "draws": draws,
    }
    previous, prior_metric = _open_directory(directory, state, resume)
    state["cost_metric"] = prior_metric or cost_metric_for(template, sim)

    owned = evaluator is None
    if evaluator is None:
        if sim:
            _register_sim_answers(rows)
        if ray is not None and ray is not False:  # trials on a Ray cluster
            from ..scale.search import RayEvaluator

            evaluator = RayEvaluator(
                score_fn,
                address=None if ray is True else ray,
                sim=sim,
                sim_seed=sim_seed,
                cache=cache,
                concurrency=concurrency,
                unsafe_exec=unsafe_exec,
            )
            evaluate = evaluate or evaluator.aevaluate
        else:
            evaluator = ExecutorEvaluator(
                score_fn,
                sim=sim,
                sim_seed=sim_seed,
                draws=draws,
                cache=cache,
                concurrency=concurrency,
                unsafe_exec=unsafe_exec,
            )

    run = SearchRun(
        template=template,
        space=space,
        dev=dev,
        held=held,
        evaluator=evaluator,
        owns_evaluator=owned,
        strategy=strategy,
        seed=seed,
        budget=trials,
        objective=objective,
        init_trials=init_trials,
        surrogate=surrogate,
        directory=directory,
        state=state,
        on_trial=on_trial,
        budget_rows=budget_rows,
        budget_usd=budget_usd,
        patience=patience,
        workers=workers,
        evaluate=evaluate,
    )
    run.resume(previous)
    return run.run()


def _checked_options(objective: str, trials: int, strategy: str) -> str:
    """The objective without spaces, after checking the objective, the budget and the strategy name."""
    objective = objective.replace(" ", "")
    if objective not in OBJECTIVES:
        raise _usage(f"unknown objective {objective!r}", "use --objective score or --objective score,cost")
    if trials < 1:
        raise _usage(f"--trials must be at least 1, got {trials}")
    if strategy not in STRATEGIES:
        from ..diagnostics import did_you_mean

        guess = did_you_mean(strategy, STRATEGIES)
        raise _usage(
            f"unknown strategy {strategy!r}",
            f"did you mean {guess!r}?" if guess else f"strategies: {', '.join(STRATEGIES)}",
        )
    return objective


def _check_limits(
    budget_rows: int | None, budget_usd: float | None, patience: int | None, workers: int
) -> None:
    if budget_rows is not None and budget_rows < 1:
        raise _usage(f"--budget-rows must be at least 1, got {budget_rows}")
    if budget_usd is not None and budget_usd <= 0:
        raise _usage(f"--budget-usd must be above 0, got {budget_usd}")
    if patience is not None and patience < 1:
        raise _usage(f"--patience must be at least 1, got {patience}")
    if workers < 1:
        raise _usage(f"--workers must be at least 1, got {workers}")


def _as_template(template: Template | str | Path) -> Template:
    if isinstance(template, Template):
        return template
    from ..loader import load

    return load(template)


def _scorer(scorer: Any, options: dict[str, Any] | None, evaluator: Evaluator | None) -> tuple[Any, str]:
    """(score function, scorer name): the function is built only when the search owns its evaluator."""
    if evaluator is not None:
        return None, getattr(getattr(evaluator, "scorer", None), "name", type(evaluator).__name__)
    from .scorers import get_scorer

    score_fn = get_scorer(scorer, **(options or {}))
    return score_fn, score_fn.name


def _check_draws(draws: str, evaluator: Evaluator | None, ray: str | bool | None) -> None:
    from ..runtime.sim.simulator import DRAWS

    if draws not in DRAWS:
        raise _usage(f"unknown draws {draws!r}", f"use {' or '.join(DRAWS)}")
    if draws == "shared":
        return
    if evaluator is not None:
        raise _usage(
            "draws applies to the search's own evaluator, not to one passed as evaluator=",
            "e.g. ExecutorEvaluator(scorer, draws='architecture') or sim.SimEvaluator(scorer, seed, 'architecture')",
        )
    if ray is not None and ray is not False:
        raise _usage(
            "--draws architecture does not run on Ray yet (the cluster's cache is shared by key)",
            "drop --ray, or search with --draws shared",
        )


def _sim_seed(sim_seed: int | None, evaluator: Evaluator | None) -> int | None:
    """The simulator's seed the search runs at: the keyword, else env ARCHON_SIM_SEED, else None (each
    sim model's own seed). Read once, so every trial (and a Ray worker) runs at the seed state.json records."""
    if sim_seed is not None:
        if evaluator is not None:
            raise _usage(
                "sim_seed applies to the search's own evaluator, not to one passed as evaluator=",
                "give the evaluator its seed, e.g. ExecutorEvaluator(scorer, sim=True, sim_seed=N)",
            )
        if isinstance(sim_seed, bool) or not isinstance(sim_seed, int):
            raise _usage(f"sim_seed must be an integer, got {sim_seed!r}")
        return sim_seed
    if evaluator is not None:
        return None  # the evaluator runs as it was built; the environment is not this search's to read
    from ..runtime.sim.simulator import SEED_ENV

    value = os.environ.get(SEED_ENV)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise _usage(
            f"env {SEED_ENV}={value!r} is not an integer", f"set {SEED_ENV} to an integer, or unset it"
        ) from None


def _open_directory(
    directory: SearchDirectory | None, state: dict, resume: bool
) -> tuple[list[Trial], str | None]:
    """(trials recorded there before, their cost metric): nothing without a directory or a resumed search."""
    if directory is None:
        return [], None
    previous = directory.prepare(state, resume)
    prior = (directory.read_state() or {}) if previous else {}
    return previous, prior.get("cost_metric")


def _template_text(template: Template) -> Any:
    """What identifies a template for --resume: its file's text, else its printed module."""
    if template.path and not template.path.startswith("<"):
        try:
            return Path(template.path).read_text(encoding="utf-8")
        except OSError:
            pass
    from ..language.printer import print_module

    return print_module(template.module)


def _register_sim_answers(rows: list[dict]) -> None:
    """The simulator answers from the dataset's answers (and distractors): tell it about these rows."""
    from ..runtime import sim as simulator

    register = getattr(simulator, "register_answers", None)
    if register is not None:
        register(rows)


@dataclass
class SearchRun:
    """One search under way: its pieces and its history; resume, loop over trials, finish.

    Configurations are evaluated through one async function, `evaluate(arch, rows) -> Evaluation`
    (by default the evaluator's, in a worker thread); up to `workers` run at once. Another backend
    (Ray) replaces `evaluate` and keeps everything else.

    In-process entry point for benchmarks: `search(template, rows, evaluator=..., strategy=...,
    budget_rows=..., seed=..., split=0)` returns a SearchResult without writing files (no `out`).
    """

    template: Template
    space: SearchSpace
    dev: list[dict]
    held: list[dict]
    evaluator: Evaluator
    strategy: str
    seed: int
    budget: int  # full-evaluation equivalents (--trials)
    objective: str
    state: dict[str, Any]  # what state.json records; carries the cost metric
    directory: SearchDirectory | None = None
    owns_evaluator: bool = False  # closed when the search ends
    init_trials: int | None = None
    surrogate: str = "additive"  # bo's model: additive (Thompson draws) or gp (expected improvement)
    on_trial: Callable[[Trial, int, int], None] | None = None
    budget_rows: int | None = None  # row evaluations; default: budget x development rows
    budget_usd: float | None = None  # dollars; the search stops once it has spent them
    patience: int | None = None  # evaluations without the incumbent improving beyond its standard error
    workers: int = 1  # evaluations at once
    evaluate: Callable[[Architecture, list[dict]], Awaitable[Evaluation]] | None = None
    history: History = field(default_factory=History)
    _arch_keys: dict[str, str] = field(default_factory=dict)  # point key -> architecture key
    _since_improved: int = 0
    _incumbent: Trial | None = None

    def __post_init__(self) -> None:
        # The rows in one seeded order: fidelity r is the first r of them, the same for every configuration.
        self.order = list(self.dev)
        random.Random(f"rows-{self.state.get('split_seed', 0)}").shuffle(self.order)
        if self.budget_rows is None:
            self.budget_rows = self.budget * len(self.dev)

    @property
    def cost_metric(self) -> str:
        return self.state["cost_metric"]

    @property
    def multi(self) -> bool:
        return self.objective == "score,cost"

    @property
    def full_equivalents(self) -> float:
        return self.history.rows_used / max(len(self.dev), 1)

    def arch_key_of(self, point: dict[str, Any]) -> str | None:
        """The architecture key of a feasible point (memoised), None for an infeasible one."""
        feasibility = self.space.feasibility(point)
        if not feasibility.ok:
            return None
        pkey = self.space.key(point)
        if pkey not in self._arch_keys:
            assert feasibility.arch is not None  # a feasible point has its architecture
            self._arch_keys[pkey] = arch_key(feasibility.arch)
        return self._arch_keys[pkey]

    def resume(self, previous: list[Trial]) -> None:
        """Put trials recorded by an earlier run of this search back into the history."""
        for trial in previous:
            if trial.evaluated and not trial.rows:  # recorded before fidelities: every development row
                trial.rows = len(self.dev)
            point = self.space.from_json(trial.params)
            akey = self.arch_key_of(point) or self.space.key(point)
            known = self.history.by_arch.get(akey)
            paid = trial.rows - (known.rows if known is not None and known.evaluated else 0)
            self.history.add(trial, self.space.key(point), akey, max(paid, 0) if trial.evaluated else 0)
            if trial.evaluated and trial.cost_usd is not None:
                self.history.usd_used += trial.cost_usd - (known.cost_usd or 0.0 if known else 0.0)
            self._track_incumbent(trial)

    def run(self) -> SearchResult:
        """Spend the budget, choose among the finalists, re-score them on the held-out rows, write the outputs."""
        import anyio

        self._write_state("running")
        options: dict[str, Any] = {}
        if self.strategy in ("sh", "hyperband", "bohb"):
            options["max_rows"] = len(self.dev)
        if self.strategy == "bo":
            options["surrogate"] = self.surrogate
        chooser = make_strategy(
            self.strategy,
            self.space,
            self.history,
            seed=self.seed,
            budget=self.budget,
            multi_objective=self.multi,
            arch_key=self.arch_key_of,
            init_trials=self.init_trials,
            **options,
        )
        stopped = "budget"
        try:
            stopped = anyio.run(self._loop, chooser)
            result = self._finish(stopped)
        finally:
            chooser.close()
            if self.owns_evaluator:
                self.evaluator.close()
        self._write_state("done", stopped=stopped)
        return result

    def _write_state(self, status: str, **extra: Any) -> None:
        if self.directory:
            self.directory.write_state(
                {
                    **self.state,
                    "status": status,
                    "evaluations": self.history.evaluations,
                    "rows_used": self.history.rows_used,
                    "skipped": self.history.skipped,
                    **extra,
                }
            )

    # -- the loop -------------------------------------------------------------
    async def _evaluate_locally(self, arch: Architecture, rows: list[dict]) -> Evaluation:
        """The default `evaluate`: the evaluator in a worker thread (its own event loop serves the calls)."""
        import anyio

        return await anyio.to_thread.run_sync(self.evaluator.evaluate, arch, rows, limiter=self._limiter)

    def _stop_reason(self, committed: int) -> str | None:
        if committed >= (self.budget_rows or 0):
            return "budget"
        if self.budget_usd is not None and self.history.usd_used >= self.budget_usd:
            return "dollars"
        if self.patience is not None and self._since_improved >= self.patience:
            return "patience"
        return None

    async def _loop(self, chooser: Strategy) -> str:
        """Ask, evaluate up to `workers` at once (or reuse a twin's result), record, tell; why it stopped."""
        import anyio

        self._limiter = anyio.CapacityLimiter(max(1, self.workers))
        evaluate = self.evaluate or self._evaluate_locally
        send, receive = anyio.create_memory_object_stream[tuple](max_buffer_size=max(1, self.workers))
        running: dict[int, int] = {}  # task number -> rows it is paying for
        free_in_a_row = 0
        stopped: str | None = None
        number = 0

        async def work(task: int, job: tuple) -> None:
            arch, rows = job[1], job[2]
            try:
                evaluation = await evaluate(arch, rows)
                await send.send((task, job, evaluation, None))
            except Exception as error:  # handed to the loop, which raises it
                await send.send((task, job, None, error))

        async def collect() -> None:
            nonlocal free_in_a_row
            task, job, evaluation, error = await receive.receive()
            running.pop(task, None)
            if error is not None:
                raise error
            trial = self._record(chooser.name, job, evaluation)
            free_in_a_row = 0
            chooser.tell(job[0], trial)

        async with anyio.create_task_group() as group:
            while True:
                committed = self.history.rows_used + sum(running.values())
                stopped = stopped or self._stop_reason(committed)
                if stopped is not None or len(running) >= max(1, self.workers):
                    if not running:
                        break
                    await collect()
                    continue
                started = time.perf_counter()
                proposal = chooser.ask()
                if proposal is WAIT or proposal is None:
                    if running:
                        await collect()
                        continue
                    if proposal is WAIT:
                        raise RuntimeError(f"strategy {chooser.name} waits with no evaluation under way")
                    stopped = "exhausted"
                    break
                assert isinstance(proposal, Proposal)
                job = self._prepare(chooser, proposal, started)
                if job is None:  # answered from the record (a twin, or a replay after --resume)
                    free_in_a_row += 1
                    if free_in_a_row >= MAX_FREE_IN_A_ROW:
                        stopped = "repeats"
                    continue
                rows_to_pay = len(job[2])
                if self.history.rows_used + sum(running.values()) + rows_to_pay > (self.budget_rows or 0):
                    self._release(job)
                    stopped = "budget"
                    continue
                number += 1
                running[number] = rows_to_pay
                group.start_soon(work, number, job)
        return stopped or "budget"

    def _wanted_rows(self, proposal: Proposal) -> int:
        rows = len(self.order) if proposal.rows is None else proposal.rows
        return max(1, min(rows, len(self.order)))

    def _prepare(self, chooser: Strategy, proposal: Proposal, started: float) -> tuple | None:
        """What to evaluate for a proposal: (proposal, arch, rows to run, started, point key, arch key,
        earlier trial, wanted rows); None when the record answers it (told to the strategy already)."""
        space, history = self.space, self.history
        point = proposal.point
        feasibility = space.feasibility(point)
        if not feasibility.ok:  # a strategy's bug must never cost an evaluation
            raise RuntimeError(f"strategy {chooser.name} proposed an infeasible point: {feasibility.reason}")
        pkey = space.key(point)
        akey = self.arch_key_of(point) or pkey
        if pkey in history.pending or akey in history.pending:
            raise RuntimeError(
                f"strategy {chooser.name} proposed a point under evaluation: {space.describe(point)}"
            )
        wanted = self._wanted_rows(proposal)
        earlier = history.by_arch.get(akey)
        if earlier is not None and earlier.evaluated and earlier.rows >= wanted:
            if pkey in history.by_point:  # asked again (a resumed run replaying its decisions)
                chooser.tell(proposal, _at_rows(earlier, wanted))
                return None
            trial = self._twin(earlier, point, proposal.source, started)
            chooser.tell(proposal, trial)
            return None
        if earlier is not None and not earlier.evaluated:
            earlier = None
        have = earlier.rows if earlier is not None else 0
        history.pending.update((pkey, akey))
        return (proposal, feasibility.arch, self.order[have:wanted], started, pkey, akey, earlier, wanted)

    def _release(self, job: tuple) -> None:
        self.history.pending.difference_update((job[4], job[5]))

    def _twin(self, twin: Trial, point: dict[str, Any], source: str, started: float) -> Trial:
        """A free trial: the point runs an architecture evaluated already; its figures are the twin's."""
        trial = Trial(
            index=len(self.history.trials),
            params=self.space.to_json(point),
            score=twin.score,
            cost=twin.cost,
            cost_usd=twin.cost_usd,
            calls=twin.calls,
            tokens=twin.tokens,
            errors=twin.errors,
            source=source,
            same_as=twin.index if twin.same_as is None else twin.same_as,
            rows=twin.rows,
            stderr=twin.stderr,
        )
        trial.overhead = round(max(time.perf_counter() - started, 0.0), 6)
        self._add(trial, self.space.key(point), self.arch_key_of(point) or self.space.key(point), 0, 0.0)
        return trial

    def _record(self, chooser_name: str, job: tuple, evaluation: Evaluation) -> Trial:
        """An evaluation (of the missing rows, for a promotion) merged with what was known, recorded and reported."""
        proposal, arch, rows, started, pkey, akey, earlier, wanted = job
        self._release(job)
        merged = _merged(earlier, evaluation, len(rows))
        feasibility = self.space.feasibility(proposal.point)
        trial = Trial(
            index=len(self.history.trials),
            params=self.space.to_json(proposal.point),
            score=merged.score,
            cost=_objective_cost(merged, self.cost_metric, feasibility),
            cost_usd=merged.cost_usd,
            calls=merged.calls,
            tokens=merged.tokens,
            errors=merged.errors,
            duration=round(evaluation.duration, 4),
            source=proposal.source,
            rows=merged.rows,
            stderr=_rounded(standard_error(merged.scores)) if len(merged.scores) == merged.rows else None,
            row_scores=list(merged.scores) if len(merged.scores) == merged.rows else [],
        )
        trial.overhead = round(max(time.perf_counter() - started - evaluation.duration, 0.0), 6)
        self._add(trial, pkey, akey, len(rows), evaluation.cost_usd or 0.0)
        self._track_incumbent(trial)
        return trial

    def _add(self, trial: Trial, pkey: str, akey: str, rows_paid: int, usd_paid: float) -> None:
        self.history.add(trial, pkey, akey, rows_paid, usd_paid)
        if self.directory:
            self.directory.append_trial(trial)
        if self.on_trial:  # progress in full-evaluation equivalents (a promotion pays only its new rows)
            full = max(len(self.dev), 1)
            self.on_trial(
                trial, int(self.history.rows_used / full), max(1, round((self.budget_rows or 0) / full))
            )

    def _track_incumbent(self, trial: Trial) -> None:
        """--patience: evaluations since the best on the top fidelity last improved by more than its standard error."""
        if not trial.evaluated:
            return
        top = self.history.full_rows()
        incumbent = self._incumbent
        if trial.rows >= top and (
            incumbent is None
            or incumbent.rows < top
            or trial.score > incumbent.score + (incumbent.stderr or 0.0)
        ):
            self._incumbent, self._since_improved = trial, 0
        else:
            self._since_improved += 1

    # -- the end ----------------------------------------------------------------
    def _arch_of(self, trial: Trial) -> Architecture:
        arch = self.space.feasibility(self.space.from_json(trial.params)).arch
        assert arch is not None  # a trial was run: its point instantiated
        return arch

    def _finish(self, stopped: str) -> SearchResult:
        """The result: the chosen configuration among the finalists, the front, held-out scores."""
        from .final import choose

        trials = self.history.trials
        for trial in trials:  # a resumed search may choose anew: only the current ones keep a held-out score
            trial.held_out = None
        front = (
            pareto_front(trials) if self.multi else []
        )  # the one front: result.json, front/ and pareto.png
        choice = choose(self.space, self.history, self.multi)
        best = choice.chosen
        held_out: dict[int, Evaluation] = {}
        if best is not None and self.held:
            # The reported figures come from rows the search never saw; finalists are scored on the same rows.
            for trial in choice.finalists + [t for t in front if t not in choice.finalists]:
                if trial.index in held_out:
                    continue
                held_out[trial.index] = evaluation = self.evaluator.evaluate(self._arch_of(trial), self.held)
                trial.held_out = evaluation.score
            choice.compare_held_out(held_out)
        result = SearchResult(
            trials=trials,
            best=best,
            best_arch=self._arch_of(best) if best is not None else None,
            front=front,
            objective=self.objective,
            cost_metric=self.cost_metric,
            strategy=self.strategy,
            seed=self.seed,
            evaluations=self.history.evaluations,
            skipped=self.history.skipped,
            stopped=stopped,
            rows_dev=len(self.dev),
            rows_held_out=len(self.held),
            held_out=held_out,
            out=self.directory.path if self.directory else None,
            rules_checked=self.space.rules_checked,
            rows_used=self.history.rows_used,
            budget_rows=self.budget_rows or 0,
            usd_used=round(self.history.usd_used, 6),
            workers=self.workers,
            choice=choice.to_dict(),
        )
        if self.directory:
            self._write_outputs(self.directory, result)
        return result

    def _write_outputs(self, directory: SearchDirectory, result: SearchResult) -> None:
        directory.rewrite_trials(result.trials)  # with held-out scores filled in
        directory.write_csv(result.trials, list(self.template.params))
        written = []
        if result.best_arch is not None:
            written.append((result.best_arch, directory.best_path))
        for trial in result.front:
            written.append((self._arch_of(trial), directory.front_dir / f"trial-{trial.index}.arch"))
        for arch, path in written:
            note = directory.write_arch(arch, path)
            if note:
                result.notes.append(note)
        directory.write_result(result.to_dict())
        title = f"{self.template.name}: {result.strategy}, seed {result.seed}"
        directory.plot_progress(result.trials, title)
        cost_label = "dollars per query" if result.cost_metric == "cost_usd" else "LLM calls per query"
        directory.plot_front(result.trials, result.front, cost_label, title)  # the front result.json reports


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _at_rows(trial: Trial, rows: int) -> Trial:
    """The trial as seen on its first `rows` rows (a rung's paired score), when its per-row scores are known."""
    if trial.rows <= rows or len(trial.row_scores) < rows:
        return trial
    from dataclasses import replace

    part = trial.row_scores[:rows]
    return replace(trial, score=sum(part) / rows, rows=rows, stderr=_rounded(standard_error(part)))


def _merged(earlier: Trial | None, evaluation: Evaluation, new_rows: int) -> Evaluation:
    """A promotion's figures: the earlier rows' and the new rows' together (totals over all rows)."""
    if earlier is None:
        return evaluation
    rows = earlier.rows + new_rows
    if len(earlier.row_scores) == earlier.rows and len(evaluation.scores) == new_rows:
        scores = list(earlier.row_scores) + list(evaluation.scores)
        score = sum(scores) / rows
    else:
        scores = []
        score = (earlier.score * earlier.rows + evaluation.score * new_rows) / rows
    cost_usd = (
        None
        if earlier.cost_usd is None or evaluation.cost_usd is None
        else earlier.cost_usd + evaluation.cost_usd
    )
    return Evaluation(
        score=score,
        cost_usd=cost_usd,
        calls=earlier.calls + evaluation.calls,
        tokens=earlier.tokens + evaluation.tokens,
        errors=earlier.errors + evaluation.errors,
        rows=rows,
        duration=evaluation.duration,
        scores=scores,
    )


def _objective_cost(evaluation: Evaluation, metric: str, feasibility) -> float:
    """Cost per query in the search's metric; a dollar figure missing for one run falls back to the plan's."""
    if metric == "cost_usd" and evaluation.cost_usd is None:
        estimate = feasibility.figures.get("cost")
        return float(estimate) if estimate is not None else 0.0
    return round(evaluation.cost(metric), 10)
