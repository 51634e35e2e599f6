"""Search quality against the truth: how good is the configuration each strategy chooses, at equal budgets?

Ground truth is the exact expected score (over simulator seeds, runtime.sim.expected_score) of
every distinct architecture of examples/itas_sim.arch on the arithmetic dataset (all 60 rows),
numeric scorer. Each strategy then searches as `archonc search --sim-seed S` would, in-process
(runtime.sim.SimEvaluator: the executor's very answers at seed S, without its per-call cost),
for S = 0..seeds-1 (`--draws architecture`: each architecture at its own seed derived from S, as
`archonc search --draws architecture` runs), at a budget in row evaluations of 25%, 50% and 100% of `--budget`
full evaluations of the 48 development rows. It prints, per strategy:

- regret of the chosen configuration (truth of the best minus truth of the chosen) at each budget:
  median over seeds with a 95% bootstrap interval, and the mean; the regret had the search
  returned the highest mean score on the most rows instead (the plain maximum the final choice's
  model replaces); and each strategy's median regret as a ratio of random's, with a paired interval;
- full-evaluation equivalents spent until a configuration of the true top 1% / top 5% was first
  evaluated (median over seeds, a run that never got there counting as beyond the budget), and in
  how many seeds it never did;
- wall time per run, and the search machinery's time per trial (evaluation excluded).

    python benchmarks/bench_search_quality.py                       # 20 seeds, every strategy
    python benchmarks/bench_search_quality.py --seeds 3 --strategies random --fractions 1
    python benchmarks/bench_search_quality.py --truth-only          # the truth table and its spread

The truth table is cached in .archon/bench-search-quality-truth.json, keyed by the simulator's
and the template's sources, so later runs skip it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import statistics
import time
from pathlib import Path

from archon_dsl.datasets import load_dataset
from archon_dsl.itas import STRATEGIES, search
from archon_dsl.itas.driver import arch_key, split_rows
from archon_dsl.loader import load
from archon_dsl.runtime import sim
from archon_dsl.runtime.sim import expected

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "examples" / "itas_sim.arch"
CACHE = ROOT / ".archon" / "bench-search-quality-truth.json"
SIM_SOURCES = ("model.py", "simulator.py", "fast.py", "expected.py")


def truth_table(template, rows) -> dict[str, float]:
    """arch_key -> exact expected score, for every distinct architecture (cached on disk)."""
    sources = [(ROOT / "archon_dsl" / "runtime" / "sim" / name).read_text() for name in SIM_SOURCES]
    digest = hashlib.sha256(
        json.dumps([sources, TEMPLATE.read_text(), rows], default=str).encode()
    ).hexdigest()
    if CACHE.exists():
        saved = json.loads(CACHE.read_text())
        if saved.get("key") == digest:
            return saved["truth"]
    start = time.perf_counter()
    truth: dict[str, float] = {}
    for point in template.distinct_points():
        if not template.constraints_hold(point):
            continue
        arch = template.instantiate(point)
        key = arch_key(arch)
        if key not in truth:
            truth[key] = expected.expected_score(arch, rows, "numeric")
    print(f"truth: {len(truth)} distinct architectures in {time.perf_counter() - start:.0f} s")
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_text(json.dumps({"key": digest, "truth": truth}))
    return truth


BOOTSTRAP = 2000  # resamples of the seeds for each interval


def median_interval(values: list[float]) -> str:
    """The median with a 95% bootstrap interval over seeds, and the mean."""
    rng = random.Random(0)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(BOOTSTRAP))
    low, high = medians[int(0.025 * BOOTSTRAP)], medians[int(0.975 * BOOTSTRAP) - 1]
    return f"{statistics.median(values):.4f} [{low:.4f}, {high:.4f}] (mean {statistics.mean(values):.4f})"


def ratio_interval(mine: list[float], baseline: list[float]) -> str:
    """median(mine) / median(baseline) with a 95% bootstrap interval, the seeds resampled in pairs (a
    seed is the same simulator draw for both)."""
    rng = random.Random(0)
    n = len(mine)
    ratios = []
    for _ in range(BOOTSTRAP):
        picks = rng.choices(range(n), k=n)
        base = statistics.median(baseline[i] for i in picks)
        ratios.append(statistics.median(mine[i] for i in picks) / base if base > 0 else math.inf)
    ratios.sort()
    low, high = ratios[int(0.025 * BOOTSTRAP)], ratios[int(0.975 * BOOTSTRAP) - 1]
    base = statistics.median(baseline)
    point = statistics.median(mine) / base if base > 0 else math.inf
    return f"{point:.2f} [{low:.2f}, {high:.2f}]"


def censored(values: list[float | None], budget: float) -> str:
    ordered = sorted(v if v is not None else budget + 1 for v in values)
    median = statistics.median(ordered)
    return f">{budget:g}" if median > budget else f"{median:.1f}"


def one_run(
    template, rows, truth, strategy: str, seed: int, budget_rows: int, dev_rows: int, draws: str
) -> dict:
    """One search at one seed and budget: the chosen configuration's truth, and the trials' truths in order."""
    evaluator = sim.SimEvaluator("numeric", seed=seed, draws=draws)
    start = time.perf_counter()
    result = search(
        template,
        rows,
        strategy=strategy,
        seed=seed,
        trials=max(1, budget_rows // dev_rows),
        budget_rows=budget_rows,
        evaluator=evaluator,
        rules=False,
    )
    wall = time.perf_counter() - start
    spent, reached = 0, []
    for trial in result.trials:
        if trial.same_as is not None:
            continue
        spent += trial.rows or dev_rows
        reached.append((spent / dev_rows, truth[arch_key(template.instantiate(trial.params))]))
    chosen = truth[arch_key(result.best_arch)] if result.best_arch is not None else min(truth.values())
    evaluated = [t for t in result.trials if t.same_as is None]
    top = max((t.rows for t in evaluated), default=0)
    finalists = [t for t in evaluated if t.rows >= top]
    highest = max(finalists, key=lambda t: t.score) if finalists else None
    return {
        "chosen": chosen,
        "highest": truth[arch_key(template.instantiate(highest.params))] if highest else chosen,
        "reached": reached,
        "wall": wall,
        "overhead": statistics.median([t.overhead for t in evaluated]) if evaluated else 0.0,
        "trials": len(evaluated),
        "rows": evaluator.row_evaluations,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="seeds first-seed .. first-seed + seeds - 1: tune on one range, report on another",
    )
    parser.add_argument("--strategies", default=",".join(s for s in STRATEGIES if s not in ("grid", "ax")))
    parser.add_argument("--budget", type=float, default=40, help="full-evaluation equivalents at 100%%")
    parser.add_argument("--fractions", default="0.25,0.5,1", help="budgets to choose at, as fractions")
    parser.add_argument("--truth-only", action="store_true", help="print the truth table's spread and stop")
    parser.add_argument(
        "--draws",
        choices=sim.DRAWS,
        default="shared",
        help="as search --draws: one seed for every architecture, or each its own",
    )
    args = parser.parse_args()

    template = load(TEMPLATE)
    rows = load_dataset("arithmetic")
    dev, _ = split_rows(rows, 0.2, 0)
    truth = truth_table(template, rows)
    values = sorted(truth.values(), reverse=True)
    best = values[0]
    top1, top5 = values[max(0, len(values) // 100 - 1)], values[max(0, len(values) // 20 - 1)]
    print(
        f"{len(values)} distinct architectures; expected score best {best:.4f}, top-1% >= {top1:.4f}, "
        f"top-5% >= {top5:.4f}, median {statistics.median(values):.4f}, worst {values[-1]:.4f}"
    )
    if args.truth_only:
        return
    fractions = [float(f) for f in args.fractions.split(",")]
    finals: dict[str, list[float]] = {}
    for strategy in args.strategies.split(","):
        runs: dict[float, list[dict]] = {f: [] for f in fractions}
        for fraction in fractions:
            budget_rows = int(args.budget * fraction * len(dev))
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                runs[fraction].append(
                    one_run(template, rows, truth, strategy, seed, budget_rows, len(dev), args.draws)
                )
        full = runs[max(fractions)]
        finals[strategy] = [best - r["chosen"] for r in full]
        print(
            f"\n{strategy}  ({args.seeds} seeds, budget {args.budget:g} full evaluations = "
            f"{int(args.budget * len(dev))} rows, {args.draws} draws)"
        )
        print("  regret of the chosen configuration, median [95% interval] (mean):")
        for fraction in fractions:
            print(f"    @{fraction:.0%}: {median_interval([best - r['chosen'] for r in runs[fraction]])}")
        plain = median_interval([best - r["highest"] for r in full])
        print(f"  regret at 100% had it returned the highest mean on the most rows: {plain}")
        to1 = [next((s for s, v in r["reached"] if v >= top1), None) for r in full]
        to5 = [next((s for s, v in r["reached"] if v >= top5), None) for r in full]
        walls = [r["wall"] for r in full]
        print(
            f"  evaluations to the true top 1%: {censored(to1, args.budget)} "
            f"(never in {sum(v is None for v in to1)}/{len(to1)}); top 5%: {censored(to5, args.budget)} "
            f"(never in {sum(v is None for v in to5)}/{len(to5)})"
        )
        print(
            f"  wall time per run: median {statistics.median(walls):.1f} s; machinery per trial: "
            f"median {statistics.median(r['overhead'] for r in full) * 1000:.0f} ms; "
            f"trials per run: median {statistics.median(r['trials'] for r in full):g}"
        )
    if "random" in finals and len(finals) > 1:
        print("\nmedian regret at 100% against random's (paired by seed; 95% interval):")
        for strategy, regrets in finals.items():
            if strategy != "random":
                print(f"  {strategy}: {ratio_interval(regrets, finals['random'])}")


if __name__ == "__main__":
    main()
