"""CLI command `archonc eval`: architectures side by side on a benchmark suite, with a report."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path
from typing import Any

from .common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    add_cache_options,
    add_command,
    add_ray_option,
    check_or_exit,
    fail_usage,
    positive_int,
)


def evaluate(args: argparse.Namespace) -> int:
    """Run architectures on a benchmark suite's questions and report their scores side by side.

    Every architecture answers the same questions; each one's answers go to DIR/results/NAME.jsonl,
    so an interrupted run resumes where it stopped (rerun the same command) and calls already made
    come from the cache. The report (a table with each score's 95% interval, calls, tokens, dollars
    and latency per query; paired comparisons on the same questions) is printed and written to
    DIR/report.json, DIR/report.md and DIR/score_vs_cost.png. Suites and their scoring: docs/eval.md.
    """
    import anyio

    from ..errors import first_error
    from ..suites import get_suite

    suite = get_suite(args.suite, baseline=args.baseline)
    if args.baseline is not None and suite.name != "arena_hard":
        fail_usage("--baseline goes with --suite arena_hard", "it names the baseline's model_answer file")
    if args.data is not None and not args.data.is_file():
        fail_usage(f"--data {args.data}: no such file", f"give the published file: {suite.data_format}")
    if args.out.exists() and not args.out.is_dir():
        fail_usage(f"--out {args.out} is not a directory", "give a directory for the results and the report")
    if args.no_cache and args.cache_dir is not None:
        fail_usage("--no-cache and --cache-dir contradict each other", "give one of them")
    if args.samples > 1 and not suite.needs_sandbox:
        fail_usage(
            f"--samples goes with the code suites (pass@k); {suite.name} scores one answer per question"
        )
    architectures = [_architecture(path) for path in args.files]
    rows = suite.load(args.data, args.limit)
    _claim(args.out, suite.name, args.data)
    if suite.needs_sandbox:
        from ..runtime.isolation import select

        select(args.unsafe_exec)  # no sandbox: said before any call is paid for
    judge_model = _judge(args.judge_model, architectures) if suite.judged else None
    from ..evaluation.runner import JudgeClient, labels_for, run_architecture

    labels = labels_for(args.files)
    cache = _cache(args)
    judge = (
        JudgeClient(judge_model, sim=args.sim, cache=cache, env_file=args.env_file)
        if judge_model is not None
        else None
    )
    if not args.sim:  # every missing key is said before the first call is paid for
        from ..runtime.keys import load_env_file, require_credentials

        load_env_file(args.env_file)
        for arch in architectures:
            if not any(m.provider == "sim" for layer in arch.layers for m in layer.models):
                require_credentials(arch)
        if judge is not None:
            judge.require_credentials()
    options: dict = {"env_file": args.env_file, "concurrency": args.concurrency}
    if args.unsafe_exec:
        options["unsafe_exec"] = True
    if args.ray is not None:
        options["ray"] = args.ray or True  # the questions run as Ray tasks (docs/scale.md)
    runs = []
    from .execute import _ProgressBar, _until_terminated

    out = args.out
    for label, arch in zip(labels, architectures, strict=True):
        bar = _ProgressBar(enabled=args.progress and not args.json)
        if bar.enabled:
            sys.stderr.write(f"{label}: {len(rows)} questions of {suite.title}\n")
        try:
            with bar:
                work = functools.partial(
                    run_architecture,
                    label,
                    arch,
                    suite,
                    rows,
                    out_dir=out,
                    judge=judge,
                    sim=args.sim,
                    cache=cache,
                    options=options,
                    on_start=bar.start,
                    on_result=bar.advance,
                    samples=args.samples,
                )
                run = anyio.run(_until_terminated, work)
        except BaseException as e:  # noqa: BLE001 - a task group wraps the real error; the CLI reports it
            if isinstance(first_error(e), KeyboardInterrupt):
                return _interrupted(label, bar, out, EXIT_INTERRUPTED)
            raise
        if run is None:
            return _interrupted(label, bar, out, EXIT_TERMINATED)
        runs.append(run)
    _close(cache)
    from ..evaluation.report import build_report, notes, rich_tables, write_report

    report = build_report(
        suite,
        runs,
        data=str(args.data) if args.data else None,
        sim=args.sim,
        judge_model=getattr(judge_model, "id", judge_model),
    )
    written = write_report(report, out, draw=not args.no_plot)
    if args.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False) + "\n")
    else:
        from .common import console

        shown = console()
        for table in rich_tables(report):
            shown.print(table)
        for line in notes(report):
            shown.print(line, markup=False, highlight=False)
        shown.print("report: " + ", ".join(str(p) for p in written.values()), highlight=False)
    return EXIT_OK


def _claim(out: Path, suite: str, data: Path | None) -> None:
    """Mark `out` as this suite's and data file's (DIR/eval.json), or stop if it holds another's: answers
    read back by question id must be answers to these questions."""
    manifest = out / "eval.json"
    wanted = {"suite": suite, "data": str(data.resolve()) if data is not None else None}
    if manifest.is_file():
        try:
            found = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            found = None
        if not isinstance(found, dict) or {k: found.get(k) for k in wanted} != wanted:
            shown = (
                f"{found.get('suite')} on {found.get('data') or 'its packaged data'}"
                if isinstance(found, dict)
                else "something else"
            )
            fail_usage(
                f"--out {out} holds the results of {shown}; its answers are not answers to these questions",
                "give another --out directory (or the one of that run to resume it)",
            )
        return
    out.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps(wanted) + "\n", encoding="utf-8")


def _interrupted(label: str, bar, out: Path, code: int) -> int:
    sys.stderr.write(
        f"interrupted: {bar.done} of {bar.total} answers of {label} are in {out / 'results'}; "
        "rerun the same command to resume\n"
    )
    return code


def _architecture(path: Path):
    from .common import instantiate_or_exit, load_template_or_exit

    template = load_template_or_exit(path, declarations=False)
    check_or_exit(template, None)
    return instantiate_or_exit(template, None)


def _judge(name: str | None, architectures) -> Any:
    """The judge: a model declared by that name in one of the architectures (its api_base and options
    kept), else a model id; temperature 0 either way."""
    from ..suites.judging import DEFAULT_JUDGE, judge_spec

    name = name or DEFAULT_JUDGE
    for arch in architectures:
        for layer in arch.layers:
            for model in layer.models:
                if model.name == name:
                    return model.model_copy(update={"temperature": 0.0})
    return judge_spec(name)


def _cache(args: argparse.Namespace):
    from ..api import open_cache

    if args.no_cache:
        return None
    return open_cache(args.cache_dir if args.cache_dir is not None else True)


def _close(cache) -> None:
    if cache is not None:
        cache.close()


def add_commands(sub) -> None:
    """Add `eval` to `archonc`'s parser."""
    from ..suites import SUITES

    p = add_command(sub, "eval", evaluate)
    p.add_argument("files", type=Path, nargs="+", metavar="ARCH", help="the .arch files to compare")
    p.add_argument("--suite", required=True, metavar="NAME", help=f"the suite: {', '.join(SUITES)}")
    p.add_argument(
        "--data", type=Path, metavar="FILE", help="the suite's published data file (humaneval has one)"
    )
    p.add_argument("--limit", type=positive_int("--limit"), metavar="N", help="only the first N questions")
    p.add_argument(
        "--samples",
        type=positive_int("--samples"),
        default=1,
        metavar="N",
        help="code suites: answer each problem N times and report pass@k for k up to N (default: 1)",
    )
    p.add_argument(
        "--sim", action="store_true", help="run offline: every model (the judge too) goes to the simulator"
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("eval"),
        metavar="DIR",
        help="results and report go here (default: eval/)",
    )
    p.add_argument(
        "--judge-model",
        metavar="MODEL",
        help="the judge of judged suites: a model id, or a model declared in an ARCH (default: openai/gpt-4o)",
    )
    p.add_argument(
        "--baseline", type=Path, metavar="FILE", help="arena_hard: the baseline's model_answer JSONL"
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON (no table)")
    p.add_argument(
        "--concurrency",
        "-j",
        type=positive_int("--concurrency", 0),
        metavar="N",
        help="calls in flight at most (0: no bound)",
    )
    add_cache_options(p)
    p.add_argument(
        "--env-file",
        type=Path,
        default=Path(".env"),
        metavar="FILE",
        help="read API keys from this file (default: .env, if present)",
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="show a progress bar (default: on)",
    )
    p.add_argument("--no-plot", action="store_true", help="do not draw score_vs_cost.png (needs matplotlib)")
    p.add_argument(
        "--unsafe-exec",
        action="store_true",
        help="code suites: run generated code without a sandbox when none is available",
    )
    add_ray_option(p, "the questions")
