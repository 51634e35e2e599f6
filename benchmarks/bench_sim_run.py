"""Benchmark: a one-question `--sim` run against `archonc validate`, and one ITAS-sim evaluation, cold.

    python benchmarks/bench_sim_run.py [--runs 5] [--file examples/general_purpose.arch] [--root DIR]

Every figure is the median of `--runs` fresh processes (process start to exit), as a user sees it:

* `archonc validate FILE` and `archonc run FILE "What is 17 * 23?" --sim` (the bar: the run at
  most 3x the validate);
* one evaluation of examples/itas_sim.arch at its defaults on 48 arithmetic rows through the
  ITAS evaluation path (archon_dsl/itas/evaluate.py, ExecutorEvaluator, cache off), timed
  around `evaluate` in a fresh process, so first-use costs (imports) count as they do for a user.

`--root` runs another checkout of the project (e.g. a `git worktree` of an older commit) with
this interpreter, to compare before and after a change.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "What is 17 * 23?"
ROWS = 48

EVALUATE = """
import sys, time
from archon_dsl.loader import load
from archon_dsl.datasets import load_dataset
from archon_dsl.itas.evaluate import ExecutorEvaluator
arch = load("examples/itas_sim.arch").instantiate({})
rows = load_dataset("arithmetic")[:ROWS]
with ExecutorEvaluator("numeric", cache=False) as evaluator:
    start = time.perf_counter()
    result = evaluator.evaluate(arch, rows)
    took = time.perf_counter() - start
assert result.rows == ROWS and result.errors == 0, result
print(f"{took:.4f} {result.score:.4f} {result.calls} {result.cost_usd}")
"""
EVALUATE = f"ROWS = {ROWS}\n" + EVALUATE


def env(root: Path) -> dict[str, str]:
    environ = dict(os.environ, PYTHONPATH=str(root))
    environ.pop("ARCHON_DEBUG", None)
    return environ


def archonc(*args: str) -> list[str]:
    return [sys.executable, "-c", "import sys; from archon_dsl.cli import main; sys.exit(main())", *args]


def timed(command: list[str], root: Path, ok: tuple[int, ...] = (0,)) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=root, env=env(root), capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode not in ok:
        raise SystemExit(
            f"{' '.join(command[3:]) or command} exited {done.returncode}:\n{done.stderr[-2000:]}"
        )
    return took, done.stdout


def median_of(
    runs: int, command: list[str], root: Path, ok: tuple[int, ...] = (0,)
) -> tuple[float, list[float]]:
    times = [timed(command, root, ok)[0] for _ in range(runs)]
    return statistics.median(times), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--file", default="examples/general_purpose.arch")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to run (default: this one)")
    parser.add_argument("--skip-itas", action="store_true")
    args = parser.parse_args()
    root = args.root.resolve()
    print(f"checkout {root}; median of {args.runs} cold processes")
    timed(archonc("validate", args.file), root, ok=(0, 1))  # warm the OS file cache and ~/.cache tables
    validate, vt = median_of(args.runs, archonc("validate", args.file), root, ok=(0, 1))
    run, rt = median_of(args.runs, archonc("run", args.file, QUESTION, "--sim", "--no-cache"), root)
    print(f"  archonc validate {args.file}: {validate:6.3f} s  (runs {', '.join(f'{t:.2f}' for t in vt)})")
    print(
        f"  archonc run {args.file} '{QUESTION}' --sim: {run:6.3f} s  (runs {', '.join(f'{t:.2f}' for t in rt)})"
    )
    print(f"  sim run / validate: {run / validate:.2f}x (bar: at most 3x)")
    if args.skip_itas:
        return
    inner, outer = [], []
    for _ in range(args.runs):
        took, out = timed([sys.executable, "-c", EVALUATE], root)
        seconds, score, calls, cost = out.split()
        inner.append(float(seconds))
        outer.append(took)
    print(
        f"  one ITAS-sim evaluation, examples/itas_sim.arch on {ROWS} rows ({calls} calls, score {score}, "
        f"cost ${cost}): evaluate {statistics.median(inner):6.3f} s, process {statistics.median(outer):6.3f} s "
        f"(evaluate runs {', '.join(f'{t:.2f}' for t in inner)})"
    )


if __name__ == "__main__":
    main()
