"""Runs a search: splits the data, asks a strategy for points, evaluates them, keeps the record, re-scores the best."""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Sequence
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
from .strategy import Strategy
from .trials import OBJECTIVES, History, Trial

STRATEGIES = ("bo", "random", "greedy", "grid")
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
    stopped: str  # budget | exhausted | repeats
    rows_dev: int
    rows_held_out: int
    held_out: dict[int, Evaluation] = field(default_factory=dict)  # trial index -> held-out evaluation
    out: Path | None = None
    rules_checked: bool = True
    notes: list[str] = field(default_factory=list)  # problems writing the outputs

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
    """Rows from a list (dicts or strings), a .jsonl path or a built-in dataset name; each gets an id."""
    if isinstance(data, (str, Path)):
        from ..datasets import load_dataset

        rows = load_dataset(str(data))
    else:
        rows = list(data)
    out = []
    for position, row in enumerate(rows):
        if isinstance(row, str):
            row = {"question": row}
        elif not isinstance(row, dict):
            raise _usage(f"row {position + 1} is a {type(row).__name__}, not an object")
        row = dict(row)
        row.setdefault("id", str(position))
        out.append(row)
    if not out:
        raise _usage("the dataset has no rows")
    return out


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
    if name == "bo":
        from .bo import BayesianOptimization as cls
    elif name == "random":
        from .random_ import RandomSearch as cls
    elif name == "greedy":
        from .greedy import GreedySearch as cls
    elif name == "grid":
        from .grid import GridSearch as cls
    else:
        raise ValueError(f"unknown strategy {name!r}; strategies: {', '.join(STRATEGIES)}")
    if name != "bo":
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
    out: str | Path | None = None,
    resume: bool = False,
    evaluator: Evaluator | None = None,
    cache: Any = True,
    concurrency: int | None = None,
    rules: bool = True,
    init_trials: int | None = None,
    scorer_options: dict[str, Any] | None = None,
    on_trial: Callable[[Trial, int, int], None] | None = None,
    unsafe_exec: bool = False,
) -> SearchResult:
    """Search a template's parameters for the best configuration on a dataset.

    template: a Template, or a path to (or the text of) an .arch template; its params are the space.
    data: rows (dicts with "question" and "answer"), a .jsonl path, or a built-in dataset name.
    scorer: exact | numeric | mc | regex | regex:PATTERN | code | judge | module:function | a callable
        f(answer, row) -> float | a Scorer.
    strategy: bo (Ax/BoTorch) | random | greedy | grid. trials: evaluations to spend (points that share
        an evaluated point's architecture are free and not counted).
    split: fraction of rows held out; the best (and, for score,cost, the Pareto) configurations are
        re-scored on them and that score is reported.
    objective: "score", or "score,cost" for a quality-versus-cost Pareto front (cost in dollars per
        query, or calls per query when some price is unknown).
    sim: run on the offline simulator. out: a directory for trials, plots, best.arch and state;
        resume: continue the search recorded there.
    evaluator: evaluate configurations another way (e.g. FunctionEvaluator); default: the executor.
    on_trial(trial, evaluations, budget): called after each trial (the CLI's progress bar).
    unsafe_exec: let execute mode and the code scorer run generated code without a sandbox when
        bubblewrap is not available (by default that raises IsolationUnavailable first).

    >>> result = search("examples/itas.arch", "arithmetic", "numeric", strategy="random", trials=10, sim=True)
    >>> result.best.params, result.best_score
    """
    objective = _checked_options(objective, trials, strategy)
    template = _as_template(template)
    space = SearchSpace(template, rules=rules)
    rows = load_rows(data)
    dev, held = split_rows(rows, split, split_seed)
    score_fn, scorer_name = _scorer(scorer, scorer_options, evaluator)

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
        "sim": sim,
    }
    previous, prior_metric = _open_directory(directory, state, resume)
    state["cost_metric"] = prior_metric or cost_metric_for(template, sim)

    owned = evaluator is None
    if evaluator is None:
        if sim:
            _register_sim_answers(rows)
        evaluator = ExecutorEvaluator(
            score_fn, sim=sim, cache=cache, concurrency=concurrency, unsafe_exec=unsafe_exec
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
        directory=directory,
        state=state,
        on_trial=on_trial,
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
    """One search under way: its pieces and its history; resume, loop over trials, finish."""

    template: Template
    space: SearchSpace
    dev: list[dict]
    held: list[dict]
    evaluator: Evaluator
    strategy: str
    seed: int
    budget: int
    objective: str
    state: dict[str, Any]  # what state.json records; carries the cost metric
    directory: SearchDirectory | None = None
    owns_evaluator: bool = False  # closed when the search ends
    init_trials: int | None = None
    on_trial: Callable[[Trial, int, int], None] | None = None
    history: History = field(default_factory=History)
    _arch_keys: dict[str, str] = field(default_factory=dict)  # point key -> architecture key

    @property
    def cost_metric(self) -> str:
        return self.state["cost_metric"]

    @property
    def multi(self) -> bool:
        return self.objective == "score,cost"

    def arch_key_of(self, point: dict[str, Any]) -> str | None:
        """The architecture key of a feasible point (memoised), None for an infeasible one."""
        feasibility = self.space.feasibility(point)
        if not feasibility.ok:
            return None
        pkey = self.space.key(point)
        if pkey not in self._arch_keys:
            self._arch_keys[pkey] = arch_key(feasibility.arch)
        return self._arch_keys[pkey]

    def resume(self, previous: list[Trial]) -> None:
        """Put trials recorded by an earlier run of this search back into the history."""
        for trial in previous:
            point = self.space.from_json(trial.params)
            self.history.add(trial, self.space.key(point), self.arch_key_of(point) or self.space.key(point))

    def run(self) -> SearchResult:
        """Spend the budget, re-score the best on the held-out rows, write the outputs."""
        self._write_state("running")
        chooser = make_strategy(
            self.strategy,
            self.space,
            self.history,
            seed=self.seed,
            budget=self.budget,
            multi_objective=self.multi,
            arch_key=self.arch_key_of,
            init_trials=self.init_trials,
        )
        stopped = "budget"
        try:
            stopped = self._loop(chooser)
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
                    "skipped": self.history.skipped,
                    **extra,
                }
            )

    def _loop(self, chooser: Strategy) -> str:
        """Propose, evaluate (or reuse a twin architecture's result), record; why it stopped."""
        proposals = chooser.proposals()
        reply: Trial | None = None
        free_in_a_row = 0
        try:
            while self.history.evaluations < self.budget:
                started = time.perf_counter()
                try:
                    proposal = next(proposals) if reply is None else proposals.send(reply)
                except StopIteration:
                    return "exhausted"
                reply = self._trial(chooser.name, proposal, started)
                free_in_a_row = free_in_a_row + 1 if reply.same_as is not None else 0
                if free_in_a_row >= MAX_FREE_IN_A_ROW:
                    return "repeats"
            return "budget"
        finally:
            proposals.close()

    def _trial(self, chooser_name: str, proposal: Any, started: float) -> Trial:
        """One proposed point evaluated on the development rows (or priced as its twin), recorded and reported."""
        space, history = self.space, self.history
        point = proposal.point
        feasibility = space.feasibility(point)
        if not feasibility.ok:  # a strategy's bug must never cost an evaluation
            raise RuntimeError(f"strategy {chooser_name} proposed an infeasible point: {feasibility.reason}")
        pkey = space.key(point)
        if pkey in history.by_point:
            raise RuntimeError(f"strategy {chooser_name} proposed a point twice: {space.describe(point)}")
        akey = self.arch_key_of(point)
        twin = history.by_arch.get(akey)
        evaluation_time = 0.0
        if twin is not None:
            trial = Trial(
                index=len(history.trials),
                params=space.to_json(point),
                score=twin.score,
                cost=twin.cost,
                cost_usd=twin.cost_usd,
                calls=twin.calls,
                tokens=twin.tokens,
                errors=twin.errors,
                source=proposal.source,
                same_as=twin.index if twin.same_as is None else twin.same_as,
            )
        else:
            evaluation = self.evaluator.evaluate(feasibility.arch, self.dev)
            evaluation_time = evaluation.duration
            trial = Trial(
                index=len(history.trials),
                params=space.to_json(point),
                score=evaluation.score,
                cost=_objective_cost(evaluation, self.cost_metric, feasibility),
                cost_usd=evaluation.cost_usd,
                calls=evaluation.calls,
                tokens=evaluation.tokens,
                errors=evaluation.errors,
                duration=round(evaluation.duration, 4),
                source=proposal.source,
            )
        trial.overhead = round(max(time.perf_counter() - started - evaluation_time, 0.0), 6)
        history.add(trial, pkey, akey)
        if self.directory:
            self.directory.append_trial(trial)
        if self.on_trial:
            self.on_trial(trial, history.evaluations, self.budget)
        return trial

    def _arch_of(self, trial: Trial) -> Architecture:
        return self.space.feasibility(self.space.from_json(trial.params)).arch

    def _finish(self, stopped: str) -> SearchResult:
        """The result: best, front, held-out scores; written to the directory when there is one."""
        trials = self.history.trials
        best = self.history.best()
        front = (
            pareto_front(trials) if self.multi else []
        )  # the one front: result.json, front/ and pareto.png show it
        for (
            trial
        ) in trials:  # a resumed search may have a new best: only the current ones keep a held-out score
            trial.held_out = None
        held_out: dict[int, Evaluation] = {}
        if best is not None and self.held:
            # The reported figures come from rows the search never saw.
            for trial in [best] + [t for t in front if t.index != best.index]:
                held_out[trial.index] = evaluation = self.evaluator.evaluate(self._arch_of(trial), self.held)
                trial.held_out = evaluation.score
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


def _objective_cost(evaluation: Evaluation, metric: str, feasibility) -> float:
    """Cost per query in the search's metric; a dollar figure missing for one run falls back to the plan's."""
    if metric == "cost_usd" and evaluation.cost_usd is None:
        estimate = feasibility.figures.get("cost")
        return float(estimate) if estimate is not None else 0.0
    return round(evaluation.cost(metric), 10)
