"""Search overhead: time per trial spent in the search machinery, evaluation excluded, for bo and random.

The ITAS template (examples/itas.arch) is searched with an evaluator that returns at once (a
fixed function of the parameters), so what is timed is the machinery alone: the strategy's
proposal (Ax's model fit and acquisition for bo), the feasibility checks of proposed and refused
points (constraints, the linter's rules, the plan against budgets), bookkeeping and the trial
records. The driver measures it per trial as wall time minus evaluation time.

    python benchmarks/bench_search_overhead.py                 # 3 seeds x 30 trials each
    python benchmarks/bench_search_overhead.py --seeds 5 --trials 50
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from archon_dsl.itas import FunctionEvaluator, search
from archon_dsl.loader import load

ROOT = Path(__file__).resolve().parent.parent


def objective(arch, rows) -> float:
    """A smooth stand-in for a score: more candidates and layers help, with diminishing returns."""
    p = arch.assignment
    return 1 - 1 / (1 + 0.2 * p["n_gen"] * p["samples"]) - 0.05 * abs(p["layers"] - 3)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--strategies", default="bo,random")
    args = parser.parse_args()

    template = load(ROOT / "examples" / "itas.arch")
    rows = [{"id": str(i), "question": "q", "answer": "a"} for i in range(10)]
    import ax  # noqa: F401  (imported once, before timing: its ~3 s import is not a per-trial cost)

    print(
        f"ITAS template, {args.seeds} seeds x {args.trials} evaluations, an instant evaluator; "
        "seconds per trial, evaluation excluded"
    )
    for strategy in args.strategies.split(","):
        overheads: list[float] = []
        by_source: dict[str, list[float]] = {}
        started = time.perf_counter()
        for seed in range(args.seeds):
            with tempfile.TemporaryDirectory() as out:
                result = search(
                    template,
                    rows,
                    strategy=strategy,
                    trials=args.trials,
                    seed=seed,
                    split=0,
                    evaluator=FunctionEvaluator(objective),
                    out=out,
                )
            for trial in result.trials:
                overheads.append(trial.overhead)
                by_source.setdefault(trial.source, []).append(trial.overhead)
        total = time.perf_counter() - started
        print(
            f"{strategy:6s} median {statistics.median(overheads) * 1000:8.1f} ms   p90 "
            f"{quantile(overheads, 0.9) * 1000:8.1f} ms   max {max(overheads) * 1000:8.1f} ms   "
            f"({len(overheads)} trials, {total:.1f} s in all)"
        )
        for source, values in sorted(by_source.items()):
            print(
                f"         {source:8s} median {statistics.median(values) * 1000:8.1f} ms over {len(values)} trials"
            )


if __name__ == "__main__":
    main()
