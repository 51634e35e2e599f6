"""CLI commands that plan and run architectures: `archonc plan` and `archonc run`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .common import (
    EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, console, fail_usage, instantiate_or_exit, load_template_or_exit,
    print_diagnostics,
)

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_TERMINATED = 143  # 128 + SIGTERM


def plan(
    file: Path = typer.Argument(..., help="The .arch file."),
    params: Optional[List[str]] = typer.Option(None, "--param", "-p", help="Fix a parameter: -p n_gen=3 (repeatable)."),
    format: str = typer.Option("text", "--format", "-f", help="text or json."),
) -> None:
    """Show the execution plan: calls per query, depth, critical path and cost estimate."""
    from ..planner import plan as plan_architecture

    if format not in ("text", "json"):
        fail_usage(f"unknown format '{format}'", "choose text or json")
    arch = instantiate_or_exit(load_template_or_exit(file), params)
    result = plan_architecture(arch)
    if format == "json":
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(result.text().rstrip("\n") + "\n")
    raise typer.Exit(EXIT_OK)


def run(
    file: Path = typer.Argument(..., help="The .arch file."),
    question: Optional[str] = typer.Argument(None, help="The question (or give --data)."),
    params: Optional[List[str]] = typer.Option(None, "--param", "-p", help="Fix a parameter: -p n_gen=3 (repeatable)."),
    sim: bool = typer.Option(False, "--sim", help="Run offline: every model goes to the simulator."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the response cache."),
    cache_dir: Optional[Path] = typer.Option(
        None, "--cache-dir", help="Keep the cache in DIR/cache.sqlite (default: .archon/ here)."),
    trace: Optional[Path] = typer.Option(None, "--trace", help="Append a JSONL record of every call here."),
    trace_messages: bool = typer.Option(False, "--trace-messages", help="Put prompts and replies in the trace."),
    json_output: bool = typer.Option(False, "--json", help="Print the result as JSON (no table)."),
    data: Optional[str] = typer.Option(None, "--data", help="A JSONL dataset (or a built-in name) to run."),
    out: Optional[Path] = typer.Option(None, "--out", help="With --data: append results here; reruns resume."),
    concurrency: Optional[int] = typer.Option(
        None, "--concurrency", "-j", help="Calls in flight at most (0: no bound)."),
    limit: Optional[int] = typer.Option(None, "--limit", help="With --data: only the first N rows."),
    env_file: Optional[Path] = typer.Option(
        None, "--env-file", help="Read API keys from this file (default: .env, if present)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="With --data: show a progress bar."),
) -> None:
    """Answer a question with an architecture, or run a dataset (resumable with --out)."""
    if (question is None) == (data is None):
        fail_usage("give a question or --data, not both" if question else "give a question or --data FILE",
                   'archonc run FILE "question"  or  archonc run FILE --data in.jsonl --out out.jsonl')
    if data is not None and out is None:
        fail_usage("--data needs --out FILE", "results go to a JSONL file, which also lets an interrupted run resume")
    if question is not None and out is not None:
        fail_usage("--out goes with --data", "for one question use --json to get a machine-readable result")
    if concurrency is not None and concurrency < 0:
        fail_usage("--concurrency must be 0 (no bound) or more")
    if limit is not None and limit < 1:
        fail_usage("--limit must be 1 or more")
    if no_cache and cache_dir is not None:
        fail_usage("--no-cache and --cache-dir contradict each other", "give one of them")
    if env_file is not None and not env_file.is_file():
        fail_usage(f"--env-file {env_file}: no such file")
    arch = instantiate_or_exit(load_template_or_exit(file), params)
    cache = False if no_cache else (cache_dir if cache_dir is not None else True)
    options = dict(sim=sim, cache=cache, trace=trace, include_messages=trace_messages, concurrency=concurrency,
                   env_file=env_file if env_file is not None else ".env")
    if question is not None:
        _run_question(arch, question, options, json_output)
    else:
        _run_data(arch, data, out, limit, options, json_output, progress)


def _print_table(table):
    """Print a summary table to stderr whole: wider than the terminal rather than with numbers cut."""
    from rich.measure import Measurement

    out = console(stderr=True)
    natural = Measurement.get(out, out.options.update_width(1000), table).maximum
    if natural > out.width:
        out = console(stderr=True, width=natural)
    out.print(table)
    return out


def _run_question(arch, question: str, options: dict, json_output: bool) -> None:
    import anyio

    from ..api import arun
    from ..diagnostics import ArchonError
    from ..runtime.trace import RunSummary

    try:
        result = anyio.run(lambda: arun(arch, question, **options))
    except ArchonError as e:
        print_diagnostics(e)
        raise typer.Exit(EXIT_USAGE)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise typer.Exit(EXIT_INTERRUPTED)
    if json_output:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
    else:
        if result.answer is not None:
            from ..runtime.keys import redact

            sys.stdout.write(redact(result.answer).rstrip("\n") + "\n")  # a key the model repeats is not shown
        shown = _print_table(RunSummary.of([result], result.latency_s).table(title=f"{arch.name}: 1 query"))
        for degradation in result.degradations:
            shown.print(f"[yellow]degraded[/] layer {degradation['layer']} {degradation['call']}: "
                          f"{degradation['reason']}; {degradation['action']}", markup=True, highlight=False)
        if result.error is not None:
            shown.print(f"[red]error:[/] {result.error}", highlight=False)
    raise typer.Exit(EXIT_OK if result.error is None else EXIT_FINDINGS)


def _run_data(arch, data: str, out: Path, limit: int | None, options: dict, json_output: bool, progress: bool) -> None:
    import time

    import anyio

    from ..api import arun_dataset, dataset_rows
    from ..diagnostics import ArchonError
    from ..runtime.trace import RunSummary

    try:
        rows = dataset_rows(data)
    except ArchonError as e:
        print_diagnostics(e)
        raise typer.Exit(EXIT_USAGE)
    if limit is not None:
        rows = rows[:limit]
    bar = _ProgressBar(enabled=progress and not json_output)

    def interrupted(code: int) -> None:
        sys.stderr.write(
            f"interrupted: {bar.done} of {bar.total} queries are in {out}; rerun the same command to resume\n"
        )
        raise typer.Exit(code)

    try:
        with bar:
            results = anyio.run(_until_terminated, lambda: arun_dataset(
                arch, rows, out=out, on_start=bar.start, on_result=bar.advance, **options,
            ))
    except ArchonError as e:
        print_diagnostics(e)
        raise typer.Exit(EXIT_USAGE)
    except KeyboardInterrupt:
        interrupted(EXIT_INTERRUPTED)
    if results is None:
        interrupted(EXIT_TERMINATED)
    fresh = [r for r in results if r.id in bar.fresh_ids]
    summary = RunSummary.of(fresh, time.perf_counter() - bar.started)
    failed = sum(r.error is not None for r in results)
    if json_output:
        sys.stdout.write(json.dumps({"out": str(out), "queries": len(results), "resumed": bar.resumed,
                                     "failed": failed, "summary": summary.to_dict()}) + "\n")
    else:
        shown = _print_table(summary.table(title=f"{arch.name}: {len(fresh)} queries run, {bar.resumed} resumed"))
        shown.print(f"{len(results)} results in {out}" + (f"; [red]{failed} failed[/]" if failed else ""),
                      highlight=False)
    raise typer.Exit(EXIT_FINDINGS if failed else EXIT_OK)


async def _until_terminated(work):
    """`await work()`, or None if SIGTERM arrives first: the run is cancelled cleanly, so the
    output file holds whole lines and the cache commits what it was given (as on Ctrl-C)."""
    import signal

    import anyio

    outcome = None
    async with anyio.create_task_group() as group:
        async def watch() -> None:
            with anyio.open_signal_receiver(signal.SIGTERM) as signals:
                async for _ in signals:
                    group.cancel_scope.cancel()
                    return

        async def run() -> None:
            nonlocal outcome
            outcome = await work()
            group.cancel_scope.cancel()

        group.start_soon(watch)
        group.start_soon(run)
    return outcome


class _ProgressBar:
    """A Rich progress bar over queries, with calls and dollars so far, and the ETA."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.total = 0
        self.done = 0
        self.resumed = 0
        self.calls = 0
        self.cost: float | None = 0.0
        self.fresh_ids: set[str] = set()
        self.started = 0.0
        self._progress = None
        self._task = None

    def __enter__(self) -> _ProgressBar:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]queries"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[calls]} calls"), TextColumn("{task.fields[cost]}"),
                TimeElapsedColumn(), TextColumn("ETA {task.fields[eta]}"),
                console=console(stderr=True), transient=False,
            )
            self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def start(self, total: int, already_done: int) -> None:
        import time

        self.started = time.perf_counter()
        self.total, self.done, self.resumed = total, already_done, already_done
        if self._progress is not None:
            self._task = self._progress.add_task("run", total=total, completed=already_done, calls=0, cost="$0",
                                                 eta="-")

    def advance(self, result) -> None:
        import time

        from ..runtime.trace import add_costs, format_cost

        self.done += 1
        self.calls += result.calls
        self.cost = add_costs([self.cost, result.cost_usd])
        self.fresh_ids.add(result.id)
        if self._progress is not None and self._task is not None:
            # The mean pace of this run so far: finished queries come in bursts, so a
            # recent-speed estimate swings wildly.
            elapsed = time.perf_counter() - self.started
            left = (self.total - self.done) * elapsed / len(self.fresh_ids)
            eta = f"{int(left // 3600)}:{int(left % 3600 // 60):02d}:{int(left % 60):02d}"
            cost = "cost unknown" if self.cost is None else format_cost(self.cost)
            self._progress.update(self._task, advance=1, calls=self.calls, cost=cost, eta=eta)


def register(app: typer.Typer) -> None:
    """Add `plan` and `run` to the Typer app."""
    app.command("plan")(plan)
    app.command("run")(run)
