"""CLI commands of the search: `archonc search` (ITAS over a template) and `archonc rank-models`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from ..diagnostics import ArchonError
from .common import (
    EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, console, fail_usage, load_template_or_exit, print_diagnostics,
)

EXIT_INTERRUPTED = 130


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


def _cache(no_cache: bool, cache_dir: Optional[Path]):
    return False if no_cache else (cache_dir if cache_dir is not None else True)


def _scorer_options(judge_model: Optional[str], baseline: Optional[Path]) -> dict:
    options = {}
    if judge_model:
        options["model"] = judge_model
    if baseline is not None:
        if not baseline.is_file():
            fail_usage(f"--baseline {baseline}: no such file", "give an .arch file whose answers the judge compares against")
        options["baseline"] = str(baseline)
    return options


def search(
    template: Path = typer.Argument(..., help="The .arch template; its params are the search space."),
    data: str = typer.Option(..., "--data", help="A JSONL dataset or a built-in name (arithmetic, ...)."),
    scorer: str = typer.Option(..., "--scorer", help="exact, numeric, mc, regex[:PATTERN], code, judge or module:function."),
    strategy: str = typer.Option("bo", "--strategy", help="bo (Ax/BoTorch), random, greedy or grid."),
    trials: int = typer.Option(20, "--trials", "-n", help="Evaluations to spend."),
    seed: int = typer.Option(0, "--seed", help="Seed of the strategy (random, greedy, grid: reproducible)."),
    split: float = typer.Option(0.2, "--split", help="Fraction of rows held out to re-score the best."),
    objective: str = typer.Option("score", "--objective", help="score, or score,cost for a Pareto front."),
    sim: bool = typer.Option(False, "--sim", help="Run offline: every model goes to the simulator."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Directory for trials, plots, best.arch, state."),
    resume: bool = typer.Option(False, "--resume", help="Continue the search recorded in --out."),
    concurrency: Optional[int] = typer.Option(None, "--concurrency", "-j", help="Calls in flight at most."),
    judge_model: Optional[str] = typer.Option(None, "--judge-model", help="judge scorer: the judging model."),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="judge scorer: an .arch whose answers are the baseline."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the response cache."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Cache directory (default .archon/cache)."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON (no table)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Search a template's parameters for the best architecture on a dataset (ITAS)."""
    from ..itas import STRATEGIES
    from ..itas.driver import search as run_search

    if strategy not in STRATEGIES:
        fail_usage(f"unknown strategy '{strategy}'", f"choose one of {', '.join(STRATEGIES)}")
    if objective.replace(" ", "") not in ("score", "score,cost"):
        fail_usage(f"unknown objective '{objective}'", "use --objective score or --objective score,cost")
    if trials < 1:
        fail_usage("--trials must be 1 or more")
    if not 0 <= split < 1:
        fail_usage(f"--split must be in [0, 1), got {split}", "e.g. --split 0.2 holds out a fifth of the rows")
    if resume and out is None:
        fail_usage("--resume needs --out DIR", "the directory of the search to continue")
    loaded = load_template_or_exit(template)
    options = _scorer_options(judge_model, baseline)
    err = console(stderr=True)
    bar = _Progress(err, strategy, trials) if progress and not json_output else None
    try:
        with bar or _nothing():
            result = run_search(
                loaded, data, scorer, strategy=strategy, trials=trials, seed=seed, split=split,
                objective=objective, sim=sim, out=out, resume=resume, cache=_cache(no_cache, cache_dir),
                concurrency=concurrency, scorer_options=options, on_trial=bar.update if bar else None,
            )
    except ArchonError as e:
        _report(e)
        raise typer.Exit(EXIT_USAGE)
    except KeyboardInterrupt:
        hint = f" (continue with --resume --out {out})" if out else ""
        err.print(f"[yellow]interrupted[/]{hint}")
        raise typer.Exit(EXIT_INTERRUPTED)
    if json_output:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2, default=str) + "\n")
    else:
        _print_result(console(), result, loaded)
    raise typer.Exit(EXIT_OK if result.best is not None else EXIT_FINDINGS)


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
            TextColumn(f"search [bold]{strategy}[/]"), BarColumn(), MofNCompleteColumn(),
            TextColumn("best {task.fields[best]}"), TimeElapsedColumn(), console=console, transient=True,
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
        self.progress.update(self.task, completed=evaluations, best=f"{self.best:.3f}")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _print_result(console, result, template) -> None:
    from rich.table import Table

    best = result.best
    if best is None:
        console.print("[red]no configuration was evaluated[/]: no point of the space is feasible "
                      "(constraints, budgets, rules)")
        return
    cost_unit = "$/query" if result.cost_metric == "cost_usd" else "calls/query"
    console.print(
        f"[bold]{result.strategy}[/] search of [bold]{template.name}[/]: {_plural(result.evaluations, 'evaluation')}, "
        f"{_plural(len(result.trials), 'trial')}, {_plural(result.skipped, 'infeasible point')} skipped "
        f"(stopped: {result.stopped})"
    )
    held = f"{best.held_out:.4f} (held-out, {result.rows_held_out} rows)" if best.held_out is not None else "n/a"
    console.print(f"best: trial {best.index}  " + ", ".join(f"{k}={v}" for k, v in best.params.items()))
    console.print(f"  score {held}; development {best.score:.4f} ({result.rows_dev} rows); "
                  f"cost {best.cost:.4g} {cost_unit}")
    if best.errors:
        console.print(f"[yellow]warning[/]: {best.errors} of {result.rows_dev} development rows failed for the best "
                      "configuration (they score 0); `archonc run FILE --data ...` shows the errors")
    if result.front:
        table = Table(title="Pareto front (score vs cost)", show_edge=False)
        table.add_column("trial", justify="right")
        table.add_column("params")
        table.add_column("dev score", justify="right")
        table.add_column("held-out", justify="right")
        table.add_column(cost_unit, justify="right")
        for trial in result.front:
            table.add_row(
                str(trial.index), ", ".join(f"{k}={v}" for k, v in trial.params.items()), f"{trial.score:.4f}",
                "" if trial.held_out is None else f"{trial.held_out:.4f}", f"{trial.cost:.4g}",
            )
        console.print(table)
    for note in result.notes:
        console.print(f"[yellow]note[/]: {note}")
    if not result.rules_checked:
        console.print("[yellow]note[/]: the linter was not available; points were checked against "
                      "constraints and budgets only")
    if result.out is not None:
        console.print(f"wrote {result.out}/: best.arch, trials.jsonl, trials.csv, result.json, "
                      "best_so_far.png, pareto.png, state.json")
    else:
        console.print("[dim]pass --out DIR to keep the trials, plots and best.arch[/]")


def rank_models(
    file: Path = typer.Argument(..., help="The .arch file whose pool to order."),
    pool: str = typer.Option(..., "--pool", help="The pool to rank."),
    data: str = typer.Option(..., "--data", help="A JSONL dataset or a built-in name."),
    scorer: str = typer.Option(..., "--scorer", help="exact, numeric, mc, regex[:PATTERN], code, judge or module:function."),
    sim: bool = typer.Option(False, "--sim", help="Run offline: every model goes to the simulator."),
    split: float = typer.Option(0.2, "--split", help="Held-out fraction left unused (as in search)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the ranking; change no file."),
    concurrency: Optional[int] = typer.Option(None, "--concurrency", "-j", help="Calls in flight at most."),
    judge_model: Optional[str] = typer.Option(None, "--judge-model", help="judge scorer: the judging model."),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="judge scorer: an .arch whose answers are the baseline."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the response cache."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Cache directory (default .archon/cache)."),
    json_output: bool = typer.Option(False, "--json", help="Print the ranking as JSON."),
) -> None:
    """Score each model of a pool alone and write the pool back best-first (in the file that declares it)."""
    from ..itas.ranking import rank_models as run_ranking
    from ..itas.scorers import get_scorer

    if not 0 <= split < 1:
        fail_usage(f"--split must be in [0, 1), got {split}")
    load_template_or_exit(file)
    options = _scorer_options(judge_model, baseline)
    try:
        ranking = run_ranking(
            file, pool, data, get_scorer(scorer, **options), sim=sim, split=split,
            cache=_cache(no_cache, cache_dir), concurrency=concurrency, write=not dry_run,
        )
    except ArchonError as e:
        _report(e)
        raise typer.Exit(EXIT_USAGE)
    if json_output:
        sys.stdout.write(json.dumps({
            "pool": ranking.pool, "order": ranking.order, "changed": ranking.changed,
            "written": str(ranking.written) if ranking.written else None,
            "models": [{"name": m.name, "id": m.id, "score": m.score, "calls": m.evaluation.calls,
                        "cost_usd": m.evaluation.cost_usd, "was": m.position} for m in ranking.ranked],
        }, indent=2) + "\n")
        raise typer.Exit(EXIT_OK)
    from rich.table import Table

    out = console()
    table = Table(title=f"pool {pool}, best first", show_edge=False)
    for column, justify in (("#", "right"), ("model", "left"), ("id", "left"), ("score", "right"), ("was", "right")):
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
    raise typer.Exit(EXIT_OK)


def register(app) -> None:
    """Add this family's commands to the Typer app."""
    app.command("search")(search)
    app.command("rank-models")(rank_models)
