"""CLI commands of the search: `archonc search` (ITAS over a template) and `archonc rank-models`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..diagnostics import ArchonError
from .common import (
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    add_cache_options,
    add_command,
    add_ray_option,
    check_or_exit,
    console,
    fail_usage,
    load_template_or_exit,
    positive_int,
    print_diagnostics,
)

if TYPE_CHECKING:
    from rich.text import JustifyMethod


def _report(error: ArchonError) -> None:
    """Diagnostics tied to a file print with their location; the rest as plain usage errors."""
    located = [d for d in error.diagnostics if d.path]
    if located:
        print_diagnostics(ArchonError(located))
    for diag in error.diagnostics:
        if not diag.path:
            sys.stderr.write(f"archonc: error: {diag.message}\n")
            if diag.hint:
                sys.stderr.write(f"  help: {diag.hint}\n")


def _cache(no_cache: bool, cache_dir: Path | None):
    if no_cache and cache_dir is not None:
        fail_usage("--no-cache and --cache-dir contradict each other", "give one of them")
    return False if no_cache else (cache_dir if cache_dir is not None else True)


def _scorer_options(judge_model: str | None, baseline: Path | None) -> dict:
    options = {}
    if judge_model:
        options["model"] = judge_model
    if baseline is not None:
        if not baseline.is_file():
            fail_usage(
                f"--baseline {baseline}: no such file",
                "give an .arch file whose answers the judge compares against",
            )
        options["baseline"] = str(baseline)
    return options


def _suite_or_data(args: argparse.Namespace):
    """(rows, scorer): --suite's questions and its scoring (what `archonc eval` reports), else --data and --scorer."""
    if args.suite is None:
        if args.data is None or args.scorer is None:
            fail_usage("give --data and --scorer, or --suite NAME", "e.g. --data arithmetic --scorer numeric")
        return args.data, args.scorer
    if args.scorer is not None:
        fail_usage("--suite scores as its benchmark does; leave out --scorer")
    from ..suites import get_suite

    suite = get_suite(args.suite, baseline=args.baseline)
    if suite.multi_turn:
        fail_usage(
            f"search --suite {suite.name} is not supported: the search scores final answers only",
            f"compare architectures on it with archonc eval --suite {suite.name}",
        )
    try:
        rows = suite.load(args.data)
    except ArchonError as e:
        _report(e)
        raise SystemExit(EXIT_USAGE) from None
    return rows, suite.scorer(args.judge_model)


def search(args: argparse.Namespace) -> int:
    """Search a template's parameters for the best architecture on a dataset (ITAS)."""
    from ..api import search as run_search
    from ..itas import STRATEGIES

    strategy, objective, trials, split, out, resume = (
        args.strategy,
        args.objective,
        args.trials,
        args.split,
        args.out,
        args.resume,
    )
    if strategy not in STRATEGIES:
        fail_usage(f"unknown strategy '{strategy}'", f"choose one of {', '.join(STRATEGIES)}")
    if objective.replace(" ", "") not in ("score", "score,cost"):
        fail_usage(f"unknown objective '{objective}'", "use --objective score or --objective score,cost")
    if trials < 1:
        fail_usage("--trials must be 1 or more")
    if not 0 <= split < 1:
        fail_usage(
            f"--split must be in [0, 1), got {split}", "e.g. --split 0.2 holds out a fifth of the rows"
        )
    if resume and out is None:
        fail_usage("--resume needs --out DIR", "the directory of the search to continue")
    data, scorer = _suite_or_data(args)  # before the whole-space check: a usage error is said at once
    cache = _cache(args.no_cache, args.cache_dir)
    if out is not None and out.exists() and not out.is_dir():
        fail_usage(f"--out {out} is a file", "search writes several files: give a directory")
    loaded = load_template_or_exit(args.template, declarations=args.no_check)
    if not args.no_check:
        check_or_exit(loaded, None, whole_space=True)
    options = {} if args.suite else _scorer_options(args.judge_model, args.baseline)
    extra: dict = {"unsafe_exec": True} if args.unsafe_exec else {}
    if args.budget_rows is not None:
        extra["budget_rows"] = args.budget_rows
    if args.budget_usd is not None:
        extra["budget_usd"] = args.budget_usd
    if args.patience is not None:
        extra["patience"] = args.patience
    if args.workers != 1:
        extra["workers"] = args.workers
    if args.ray is not None:
        extra["ray"] = args.ray or True  # --ray alone: a local Ray instance (docs/scale.md)
    err = console(stderr=True)
    bar = _Progress(err, strategy, trials) if args.progress and not args.json else None
    try:
        with bar or _nothing():
            result = run_search(
                loaded,
                data,
                scorer,
                check=False,
                strategy=strategy,
                trials=trials,
                seed=args.seed,
                split=split,
                objective=objective,
                sim=args.sim,
                sim_seed=args.sim_seed,
                draws=args.draws,
                surrogate=args.surrogate,
                out=out,
                resume=resume,
                cache=cache,
                concurrency=args.concurrency,
                scorer_options=options,
                on_trial=bar.update if bar else None,
                **extra,
            )
    except ArchonError as e:
        _report(e)
        return EXIT_USAGE
    except KeyboardInterrupt:
        hint = f" (continue with --resume --out {out})" if out else ""
        err.print(f"[yellow]interrupted[/]{hint}")
        return EXIT_INTERRUPTED
    if args.json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, default=str) + "\n")
    else:
        _print_result(console(), result, loaded)
    return EXIT_OK if result.best is not None else EXIT_FINDINGS


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _Progress:
    """A Rich progress bar over evaluations, with the best score so far."""

    def __init__(self, console, strategy: str, total: int):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn(f"search [bold]{strategy}[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("best {task.fields[best]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("search", total=total, best="-")
        self.best: float | None = None

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)

    def update(self, trial, evaluations: int, budget: int) -> None:
        self.best = trial.score if self.best is None else max(self.best, trial.score)
        self.progress.update(
            self.task, total=budget, completed=min(evaluations, budget), best=f"{self.best:.3f}"
        )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _print_result(console, result, template) -> None:
    from rich.table import Table

    best = result.best
    if best is None:
        console.print(
            "[red]no configuration was evaluated[/]: no point of the space is feasible "
            "(constraints, budgets, rules)"
        )
        return
    cost_unit = "$/query" if result.cost_metric == "cost_usd" else "calls/query"
    console.print(
        f"[bold]{result.strategy}[/] search of [bold]{template.name}[/]: {_plural(result.evaluations, 'evaluation')} "
        f"({result.rows_used} row evaluations = {result.full_equivalents:.1f} full), "
        f"{_plural(len(result.trials), 'trial')}, {_plural(result.skipped, 'infeasible point')} skipped "
        f"(stopped: {result.stopped})"
    )
    held = (
        f"{best.held_out:.4f} (held-out, {result.rows_held_out} rows)" if best.held_out is not None else "n/a"
    )
    console.print(f"best: trial {best.index}  " + ", ".join(f"{k}={v}" for k, v in best.params.items()))
    console.print(
        f"  score {held}; development {best.score:.4f} ({result.rows_dev} rows); "
        f"cost {best.cost:.4g} {cost_unit}"
    )
    _print_finalists(console, result)
    if best.errors:
        console.print(
            f"[yellow]warning[/]: {best.errors} of {result.rows_dev} development rows failed for the best "
            "configuration (they score 0); `archonc run FILE --data ...` shows the errors"
        )
    if result.front:
        table = Table(title="Pareto front (score vs cost)", show_edge=False)
        table.add_column("trial", justify="right")
        table.add_column("params")
        table.add_column("dev score", justify="right")
        table.add_column("held-out", justify="right")
        table.add_column(cost_unit, justify="right")
        for trial in result.front:
            table.add_row(
                str(trial.index),
                ", ".join(f"{k}={v}" for k, v in trial.params.items()),
                f"{trial.score:.4f}",
                "" if trial.held_out is None else f"{trial.held_out:.4f}",
                f"{trial.cost:.4g}",
            )
        console.print(table)
    for note in result.notes:
        console.print(f"[cyan]info[/]: {note}")
    if not result.rules_checked:
        console.print(
            "[yellow]warning[/]: the linter was not available; points were checked against "
            "constraints and budgets only"
        )
    if result.out is not None:
        console.print(
            f"wrote {result.out}/: best.arch, trials.jsonl, trials.csv, result.json, "
            "best_so_far.png, pareto.png, state.json"
        )
    else:
        console.print("[dim]pass --out DIR to keep the trials, plots and best.arch[/]")


def _print_finalists(console, result) -> None:
    """The finalists with 95% intervals, the rule that chose, and whether the held-out rows separate them."""
    choice = result.choice or {}
    finalists = choice.get("finalists") or []
    if len(finalists) < 2:
        return

    def interval(figures) -> str:
        if not figures:
            return ""
        if "low" not in figures:
            return f"{figures['score']:.3f}"
        return f"{figures['score']:.3f} [{figures['low']:.3f}, {figures['high']:.3f}]"

    console.print(f"  chosen by: {choice.get('rule')}")
    for finalist in finalists:
        estimate = finalist.get("estimate")
        console.print(
            f"  finalist trial {finalist['trial']}: development {interval(finalist)} ({finalist['rows']} rows)"
            + (f", estimate {estimate:.3f}" if estimate is not None else "")
            + (f"; held-out {interval(finalist['held_out'])}" if finalist.get("held_out") else "")
        )
    if choice.get("note"):
        console.print(f"[yellow]note[/]: {choice['note']}")


def rank_models(args: argparse.Namespace) -> int:
    """Score each model of a pool alone and write the pool back best-first (in the file that declares it)."""
    from ..itas.ranking import rank_models as run_ranking
    from ..itas.scorers import get_scorer

    file, pool, split, dry_run = args.file, args.pool, args.split, args.dry_run
    if not 0 <= split < 1:
        fail_usage(f"--split must be in [0, 1), got {split}")
    cache = _cache(args.no_cache, args.cache_dir)
    template = load_template_or_exit(file, declarations=args.no_check)
    if not args.no_check:
        check_or_exit(template, None, whole_space=True)
    options = _scorer_options(args.judge_model, args.baseline)
    try:
        ranking = run_ranking(
            file,
            pool,
            args.data,
            get_scorer(args.scorer, **options),
            sim=args.sim,
            sim_seed=args.sim_seed,
            split=split,
            cache=cache,
            concurrency=args.concurrency,
            write=not dry_run,
        )
    except ArchonError as e:
        _report(e)
        return EXIT_USAGE
    if args.json:
        sys.stdout.write(
            json.dumps(
                {
                    "pool": ranking.pool,
                    "order": ranking.order,
                    "changed": ranking.changed,
                    "written": str(ranking.written) if ranking.written else None,
                    "models": [
                        {
                            "name": m.name,
                            "id": m.id,
                            "score": m.score,
                            "calls": m.evaluation.calls,
                            "cost_usd": m.evaluation.cost_usd,
                            "was": m.position,
                        }
                        for m in ranking.ranked
                    ],
                },
                indent=2,
            )
            + "\n"
        )
        return EXIT_OK
    from rich.table import Table

    out = console()
    table = Table(title=f"pool {pool}, best first", show_edge=False)
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("#", "right"),
        ("model", "left"),
        ("id", "left"),
        ("score", "right"),
        ("was", "right"),
    )
    for column, justify in columns:
        table.add_column(column, justify=justify)
    for rank, m in enumerate(ranking.ranked, 1):
        table.add_row(str(rank), m.name, m.id, f"{m.score:.4f}", str(m.position + 1))
    out.print(table)
    if dry_run:
        out.print("dry run: no file changed")
    elif not ranking.changed:
        out.print(f"the order of '{pool}' is unchanged")
    else:
        out.print(f"wrote the new order of '{pool}' to {ranking.written}")
    return EXIT_OK


def add_commands(sub) -> None:
    """Add `search` and `rank-models` to `archonc`'s parser."""
    p = add_command(sub, "search", search)
    p.add_argument(
        "template", type=Path, metavar="TEMPLATE", help="the .arch template; its params are the space"
    )
    p.add_argument(
        "--data",
        metavar="DATA",
        help="a JSONL dataset or a built-in name (arithmetic, ...); with --suite, its file",
    )
    p.add_argument(
        "--scorer",
        metavar="SCORER",
        help="exact, numeric, mc, regex[:PATTERN], code, judge or module:function",
    )
    p.add_argument(
        "--suite", metavar="NAME", help="search on a benchmark suite's questions and scoring (docs/eval.md)"
    )
    p.add_argument(
        "--strategy",
        default="bo",
        metavar="NAME",
        help="bo (BoTorch), random, greedy, grid, sh, hyperband, bohb or ax (default: bo); docs/search.md",
    )
    p.add_argument(
        "--trials",
        "-n",
        type=positive_int("--trials"),
        default=20,
        metavar="N",
        help="full evaluations to spend, every development row each (default: 20)",
    )
    p.add_argument(
        "--budget-rows",
        type=positive_int("--budget-rows"),
        metavar="N",
        help="budget in row evaluations instead of --trials (multi-fidelity strategies spend it on few rows first)",
    )
    p.add_argument("--budget-usd", type=float, metavar="X", help="stop once the search has spent X dollars")
    p.add_argument(
        "--patience",
        type=positive_int("--patience"),
        metavar="K",
        help="stop after K evaluations without the best improving by more than its standard error",
    )
    p.add_argument(
        "--workers",
        type=positive_int("--workers"),
        default=1,
        metavar="N",
        help="configurations evaluated at once (default: 1)",
    )
    p.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the strategy (default: 0)")
    _shared_options(p, split_help="fraction of rows held out to re-score the best (default: 0.2)")
    p.add_argument(
        "--objective",
        default="score",
        metavar="OBJECTIVE",
        help="score, or score,cost for a Pareto front (default: score)",
    )
    p.add_argument(
        "--out", "-o", type=Path, metavar="DIR", help="directory for trials, plots, best.arch, state"
    )
    p.add_argument("--resume", action="store_true", help="continue the search recorded in --out")
    p.add_argument(
        "--surrogate",
        choices=("additive", "gp"),
        default="additive",
        help="bo's model: additive (each parameter's value adds its effect; Thompson draws) or gp "
        "(a BoTorch GP, expected improvement) (default: additive)",
    )
    p.add_argument(
        "--draws",
        choices=("shared", "architecture"),
        default="shared",
        help="shared: architectures that make the same call share its reply (cheapest); architecture: "
        "each draws its own samples (own cache entries, own sim seed), so evaluations are independent "
        "and the choice holds better on fresh samples (docs/search.md, Draws)",
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON (no table)")
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="show a progress bar (default: on)",
    )
    p.add_argument(
        "--unsafe-exec",
        action="store_true",
        help="let unit-test evaluators run generated code without an isolation backend",
    )
    add_ray_option(p, "each trial's rows")

    p = add_command(sub, "rank-models", rank_models)
    p.add_argument("file", type=Path, metavar="FILE", help="the .arch file whose pool to order")
    p.add_argument("--pool", required=True, metavar="NAME", help="the pool to rank")
    p.add_argument("--data", required=True, metavar="DATA", help="a JSONL dataset or a built-in name")
    p.add_argument(
        "--scorer",
        required=True,
        metavar="SCORER",
        help="exact, numeric, mc, regex[:PATTERN], code, judge or module:function",
    )
    _shared_options(p, split_help="held-out fraction left unused, as in search (default: 0.2)")
    p.add_argument("--dry-run", action="store_true", help="print the ranking; change no file")
    p.add_argument("--json", action="store_true", help="print the ranking as JSON")


def _shared_options(p, split_help: str) -> None:
    p.add_argument("--split", type=float, default=0.2, metavar="X", help=split_help)
    p.add_argument("--sim", action="store_true", help="run offline: every model goes to the simulator")
    p.add_argument(
        "--sim-seed",
        type=int,
        metavar="N",
        help="the simulator's seed (default: env ARCHON_SIM_SEED, else 0)",
    )
    p.add_argument(
        "--concurrency",
        "-j",
        type=positive_int("--concurrency", 0),
        metavar="N",
        help="calls in flight at most (0: no bound)",
    )
    p.add_argument("--judge-model", metavar="MODEL", help="judge scorer: the judging model")
    p.add_argument(
        "--baseline", type=Path, metavar="FILE", help="judge scorer: an .arch whose answers are the baseline"
    )
    add_cache_options(p)
    p.add_argument("--no-check", action="store_true", help="do not check the file first (validate's rules)")
