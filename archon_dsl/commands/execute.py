"""CLI commands that plan and run architectures: `archonc plan` and `archonc run`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .common import (
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    add_cache_options,
    add_command,
    add_params_option,
    add_ray_option,
    check_or_exit,
    choice,
    console,
    fail_usage,
    instantiate_or_exit,
    load_template_or_exit,
    positive_int,
)

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID


def _architecture(args: argparse.Namespace):
    """The architecture a command runs: loaded, checked as validate checks it (unless --no-check), instantiated."""
    template = load_template_or_exit(args.file, declarations=args.no_check)
    if not args.no_check:
        check_or_exit(template, args.params)
    return instantiate_or_exit(template, args.params)


def plan(args: argparse.Namespace) -> int:
    """Show the execution plan: calls per query, depth, critical path and cost estimate."""
    from ..planner import plan as plan_architecture

    result = plan_architecture(_architecture(args))
    if args.format == "json":
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
    else:
        sys.stdout.write(result.text().rstrip("\n") + "\n")
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    """Answer a question with an architecture, or run a dataset (resumable with --out).

    The file is checked first, as `archonc validate` checks it: an error-level finding is printed
    and nothing runs (exit 1); --no-check skips that.
    """
    question, data, out = args.question, args.data, args.out
    given = [
        name
        for name, value in (("a question", question), ("--messages", args.messages), ("--data", data))
        if value is not None
    ]
    if len(given) != 1:
        fail_usage(
            f"give a question or --data or --messages, not both ({' and '.join(given)} given)"
            if given
            else "give a question or --data FILE, or --messages FILE for a conversation",
            'archonc run FILE "question"  or  archonc run FILE --messages chat.json  or  '
            "archonc run FILE --data in.jsonl --out out.jsonl",
        )
    if args.messages is not None:
        question = _read_messages(args.messages)  # checked here: a bad file is said before anything loads
    if data is not None and out is None:
        fail_usage(
            "--data needs --out FILE", "results go to a JSONL file, which also lets an interrupted run resume"
        )
    if data is None and out is not None:
        fail_usage("--out goes with --data", "for one question use --json to get a machine-readable result")
    if data is None and args.keep_failed:
        fail_usage(
            "--keep-failed goes with --data",
            "it keeps the failed rows of --out instead of running them again",
        )
    if args.no_cache and args.cache_dir is not None:
        fail_usage("--no-cache and --cache-dir contradict each other", "give one of them")
    if args.env_file is not None and not args.env_file.is_file():
        fail_usage(f"--env-file {args.env_file}: no such file")
    for flag, path in (("--out", out), ("--trace", args.trace)):
        if path is not None and path.is_dir():
            fail_usage(f"{flag} {path} is a directory", f"give a file, e.g. {flag} {path / 'results.jsonl'}")
    if args.cache_dir is not None and args.cache_dir.exists() and not args.cache_dir.is_dir():
        fail_usage(
            f"--cache-dir {args.cache_dir} is not a directory", "give a directory (it holds cache.sqlite)"
        )
    if isinstance(question, str) and not _is_text(question):
        fail_usage(
            "the question is not valid text (it holds bytes that are not UTF-8)",
            "pass the question as UTF-8 text",
        )
    arch = _architecture(args)
    cache = False if args.no_cache else (args.cache_dir if args.cache_dir is not None else True)
    options = dict(
        sim=args.sim,
        sim_seed=args.sim_seed,
        cache=cache,
        trace=args.trace,
        include_messages=args.trace_messages,
        concurrency=args.concurrency,
        env_file=args.env_file if args.env_file is not None else ".env",
        check=False,
    )  # checked above, and printed as validate prints it
    if args.unsafe_exec:
        options["unsafe_exec"] = True
    if question is not None and args.ray is not None:
        fail_usage("--ray goes with --data", "one question runs here; a dataset's rows run on a cluster")
    if question is not None:
        return _run_question(arch, question, options, args.json)
    if args.keep_failed:
        options["keep_failed"] = True
    if args.ray is not None:
        options["ray"] = args.ray or True  # --ray alone: a local Ray instance (docs/scale.md)
    return _run_data(arch, data, out, args.limit, options, args.json, args.progress)


# A conversation file is read whole; a bigger one is not a chat.
MAX_MESSAGES_BYTES = 16 * 1024 * 1024
_MESSAGES_HINT = (
    'a JSON list of messages, e.g. [{"role": "system", "content": "Be brief."}, '
    '{"role": "user", "content": "..."}], or an object with such a "messages" list; '
    "the last message is the user's"
)


def _read_messages(source: str):
    """The checked messages in a JSON file (`-`: standard input), or a usage error that says where."""
    from ..conversation import MessagesError, check_messages

    shown = "standard input" if source == "-" else source
    try:
        if source == "-":
            raw = sys.stdin.buffer.read(MAX_MESSAGES_BYTES + 1)
        else:
            path = Path(source)
            if not path.is_file():
                fail_usage(f"--messages {source}: no such file", _MESSAGES_HINT)
            with path.open("rb") as f:
                raw = f.read(MAX_MESSAGES_BYTES + 1)
    except OSError as e:
        fail_usage(f"--messages {shown}: cannot read it: {e.strerror or e}")
    if len(raw) > MAX_MESSAGES_BYTES:
        fail_usage(
            f"--messages {shown}: larger than {MAX_MESSAGES_BYTES // (1024 * 1024)} MiB", _MESSAGES_HINT
        )
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        fail_usage(f"--messages {shown}: not UTF-8 text", _MESSAGES_HINT)
    except (ValueError, RecursionError) as e:
        where = f" (line {e.lineno}, column {e.colno})" if isinstance(e, json.JSONDecodeError) else ""
        reason = e.msg if isinstance(e, json.JSONDecodeError) else "not usable JSON"
        fail_usage(f"--messages {shown}: not valid JSON: {reason}{where}", _MESSAGES_HINT)
    if isinstance(value, dict) and "messages" in value:
        value = value["messages"]
    try:
        return list(check_messages(value))
    except MessagesError as e:
        fail_usage(f"--messages {shown}: {e}", _MESSAGES_HINT)


def _is_text(value: str) -> bool:
    """False for a string holding lone surrogates (bytes of an argument that were not UTF-8)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def add_commands(sub) -> None:
    """Add `plan` and `run` to `archonc`'s parser."""
    p = add_command(sub, "plan", plan)
    p.add_argument("file", type=Path, metavar="FILE", help="the .arch file")
    add_params_option(p)
    p.add_argument(
        "--format",
        "-f",
        default="text",
        type=choice("text", "json"),
        metavar="FORMAT",
        help="text or json (default: text)",
    )
    p.add_argument("--no-check", action="store_true", help="do not check the file first (validate's rules)")

    p = add_command(sub, "run", run)
    p.add_argument("file", type=Path, metavar="FILE", help="the .arch file")
    p.add_argument(
        "question", nargs="?", metavar="QUESTION", help="the question (or give --messages or --data)"
    )
    p.add_argument(
        "--messages",
        metavar="FILE",
        help="answer a conversation: a JSON list of chat messages ending with the user's (-: stdin)",
    )
    add_params_option(p)
    p.add_argument("--sim", action="store_true", help="run offline: every model goes to the simulator")
    p.add_argument(
        "--sim-seed",
        type=int,
        metavar="N",
        help="the simulator's seed (default: env ARCHON_SIM_SEED, else 0)",
    )
    p.add_argument(
        "--data",
        metavar="DATA",
        help="a JSONL dataset (or a built-in name) to run; needs --out; rows may carry messages or turns",
    )
    p.add_argument("--out", type=Path, metavar="FILE", help="with --data: append results here; reruns resume")
    p.add_argument(
        "--keep-failed",
        action="store_true",
        help="with --data: keep the failed rows already in --out (default: run them again)",
    )
    p.add_argument(
        "--limit", type=positive_int("--limit"), metavar="N", help="with --data: only the first N rows"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON (no table)")
    p.add_argument(
        "--concurrency",
        "-j",
        type=positive_int("--concurrency", 0),
        metavar="N",
        help="calls in flight at most (0: no bound)",
    )
    add_cache_options(p)
    p.add_argument("--trace", type=Path, metavar="FILE", help="append a JSONL record of every call here")
    p.add_argument("--trace-messages", action="store_true", help="put prompts and replies in the trace")
    p.add_argument(
        "--env-file",
        type=Path,
        metavar="FILE",
        help="read API keys from this file (default: .env, if present)",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="with --data: show a progress bar (default: on)",
    )
    p.add_argument("--no-check", action="store_true", help="do not check the file first (validate's rules)")
    p.add_argument(
        "--unsafe-exec",
        action="store_true",
        help="let unit-test evaluators run generated code without an isolation backend",
    )
    add_ray_option(p, "the rows of --data")


def _print_table(table):
    """Print a summary table to stderr whole: wider than the terminal rather than with numbers cut."""
    from rich.measure import Measurement

    out = console(stderr=True)
    natural = Measurement.get(out, out.options.update_width(1000), table).maximum
    if natural > out.width:
        out = console(stderr=True, width=natural)
    out.print(table)
    return out


def _run_question(arch, question, options: dict, json_output: bool) -> int:
    import anyio

    from ..api import arun
    from ..runtime.trace import RunSummary

    result = anyio.run(lambda: arun(arch, question, **options))
    if json_output:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
    else:
        if result.answer is not None:
            from ..runtime.keys import redact

            sys.stdout.write(
                redact(result.answer).rstrip("\n") + "\n"
            )  # a key the model repeats is not shown
        shown = _print_table(RunSummary.of([result], result.latency_s).table(title=f"{arch.name}: 1 query"))
        for degradation in result.degradations:
            shown.print(
                f"[yellow]degraded[/] layer {degradation['layer']} {degradation['call']}: "
                f"{degradation['reason']}; {degradation['action']}",
                markup=True,
                highlight=False,
            )
        if result.error is not None:
            shown.print(f"[red]error:[/] {result.error}", highlight=False)
    return EXIT_OK if result.error is None else EXIT_FINDINGS


def _run_data(
    arch, data: str, out: Path, limit: int | None, options: dict, json_output: bool, progress: bool
) -> int:
    import time

    import anyio

    from ..api import arun_dataset, dataset_rows
    from ..errors import first_error
    from ..runtime.batch import failure_summary
    from ..runtime.trace import RunSummary

    rows = dataset_rows(data)
    if limit is not None:
        rows = rows[:limit]
    bar = _ProgressBar(enabled=progress and not json_output)

    def interrupted(code: int) -> int:
        sys.stderr.write(
            f"interrupted: {bar.done} of {bar.total} queries are in {out}; rerun the same command to resume\n"
        )
        return code

    try:
        with bar:
            results = anyio.run(
                _until_terminated,
                lambda: arun_dataset(
                    arch,
                    rows,
                    out=out,
                    on_start=bar.start,
                    on_result=bar.advance,
                    **options,
                ),
            )
    except BaseException as e:  # noqa: BLE001 - a task group wraps the real error; the CLI reports it
        if isinstance(first_error(e), KeyboardInterrupt):
            return interrupted(EXIT_INTERRUPTED)
        raise
    if results is None:
        return interrupted(EXIT_TERMINATED)
    fresh = [r for r in results if r.id in bar.fresh_ids]
    summary = RunSummary.of(fresh, time.perf_counter() - bar.started)
    failed = sum(r.error is not None for r in results)
    if json_output:
        sys.stdout.write(
            json.dumps(
                {
                    "out": str(out),
                    "queries": len(results),
                    "resumed": bar.resumed,
                    "failed": failed,
                    "summary": summary.to_dict(),
                }
            )
            + "\n"
        )
    else:
        shown = _print_table(
            summary.table(title=f"{arch.name}: {len(fresh)} queries run, {bar.resumed} resumed")
        )
        shown.print(f"{len(results)} results in {out}", highlight=False)
        failures = failure_summary(results)  # "3 rows failed: RateLimitError x3 (first: row 12: ...)"
        if failures:
            shown.print(failures, style="red", markup=False, highlight=False)  # errors may hold [brackets]
            shown.print(
                "rerun the same command to run the failed rows again (--keep-failed keeps them)",
                highlight=False,
            )
    return EXIT_FINDINGS if failed else EXIT_OK


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
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> _ProgressBar:
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]queries"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[calls]} calls"),
                TextColumn("{task.fields[cost]}"),
                TimeElapsedColumn(),
                TextColumn("ETA {task.fields[eta]}"),
                console=console(stderr=True),
                transient=False,
            )
            self._progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()  # what Progress.__exit__ does

    def start(self, total: int, already_done: int) -> None:
        import time

        self.started = time.perf_counter()
        self.total, self.done, self.resumed = total, already_done, already_done
        if self._progress is not None:
            self._task = self._progress.add_task(
                "run", total=total, completed=already_done, calls=0, cost="$0", eta="-"
            )

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
