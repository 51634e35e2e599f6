"""Search efficiency: evaluations until each strategy first reaches the best configuration it finds.

The ITAS template of the examples (examples/itas.arch, 19,000 valid points) is searched on the
offline simulator over the arithmetic dataset (48 development rows, 12 held out) with bo, greedy
and random, over several seeds. For each run we count the evaluations (distinct architectures
run; points that share an evaluated architecture are free) until the run first reaches the best
development score it ends with, and until it first reaches the best score any run found.

The simulator gives every model of the template about the same skill (0.6-0.72), and with those
two thirds of the configurations answer all 48 questions right: the landscape is flat at 1.0
and every strategy "finds the best" in a handful of evaluations. So, as the paper's pools are
ordered best-first, each model's skill is set by its place in the generator pool: 0.50 for the
first, 0.04 less for each next one (0.14 for the tenth); then 40 random configurations score
from 0.58 to 0.90. That is the only change: the space, constraints and prompts are the
template's own. The simulator is
deterministic, so one configuration always scores the same; evaluations are memoised across
runs (a speed-up only: each run still counts its own).

    python benchmarks/bench_search_efficiency.py              # 10 seeds, 40 evaluations each
    python benchmarks/bench_search_efficiency.py --seeds 3 --trials 20 --strategies bo,random
    python benchmarks/bench_search_efficiency.py --json runs.json    # keep every run; --report runs.json

Besides each strategy's own best, it reports how many runs reach the best score any run found
(and one and two rows below it) and after how many evaluations: a run that settles early on a
poor configuration has a small "evaluations to its own best" and a low score.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from archon_dsl.itas import ExecutorEvaluator, load_rows, search
from archon_dsl.itas.driver import arch_key
from archon_dsl.loader import load

ROOT = Path(__file__).resolve().parent.parent


class LadderEvaluator:
    """The executor on the simulator, with skills set by pool rank, memoised per architecture and rows."""

    def __init__(self, skills: dict[str, float], cache_dir: Path):
        self.skills = skills
        self.inner = ExecutorEvaluator("numeric", sim=True, cache=cache_dir)
        self.scorer = self.inner.scorer
        self.memo: dict[tuple, object] = {}
        self.runs = 0

    def _laddered(self, arch):
        layers = [
            layer.model_copy(
                update={
                    "models": [
                        m.model_copy(update={"params": {**m.params, "skill": self.skills[m.name]}})
                        for m in layer.models
                    ]
                }
            )
            for layer in arch.layers
        ]
        return arch.model_copy(update={"layers": layers})

    def evaluate(self, arch, rows):
        key = (arch_key(arch), tuple(str(r["id"]) for r in rows))
        if key not in self.memo:
            self.runs += 1
            self.memo[key] = self.inner.evaluate(self._laddered(arch), rows)
        return self.memo[key]

    def close(self):
        self.inner.close()


def first_reaching(scores: list[float], target: float) -> int | None:
    """1-based number of the first evaluation scoring at least `target`, or None."""
    return next((i for i, s in enumerate(scores, 1) if s >= target - 1e-12), None)


def spread(values: list[float]) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:g}"
    q = statistics.quantiles(values, n=4, method="inclusive")
    return f"{statistics.median(values):g} [IQR {q[0]:g}-{q[2]:g}; {min(values):g}-{max(values):g}]"


def censored_median(values: list[int | None], budget: int) -> str:
    """Median with runs that never got there counted as beyond the budget."""
    ordered = sorted(v if v is not None else budget + 1 for v in values)
    median = statistics.median(ordered)
    return f">{budget}" if median > budget else f"{median:g}"


def summarize(runs: dict[str, list[dict]], budget: int, header: str) -> None:
    overall = max(r["best"] for rs in runs.values() for r in rs)
    step = 1 / 48  # one development row
    print(header)
    print(f"best development score found by any run: {overall:.4f}\n")
    medians = {}
    for strategy, rs in runs.items():
        own = [r["to_own_best"] for r in rs]
        medians[strategy] = statistics.median(own)
        print(f"{strategy:6s}  evaluations to its own best: {spread(own)}")
        print(
            f"        best dev score: {spread([round(r['best'], 4) for r in rs])}; "
            f"held-out: {spread([round(r['held_out'], 4) for r in rs])}"
        )
        for k in range(3):
            target = overall - k * step
            hits = [first_reaching(r["scores"], target) for r in rs]
            print(
                f"        reached >= {target:.4f}: {sum(h is not None for h in hits)}/{len(rs)} runs, "
                f"median evaluations {censored_median(hits, budget)}"
            )
    if "bo" in medians:
        for other in ("greedy", "random"):
            if other in medians and medians[other]:
                saving = 1 - medians["bo"] / medians[other]
                print(
                    f"bo vs {other}: {saving:+.1%} fewer evaluations to its own best (median; paper: "
                    f"{'80.4' if other == 'greedy' else '87.1'}% fewer)"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--trials", type=int, default=40, help="evaluations per run")
    parser.add_argument("--strategies", default="bo,greedy,random")
    parser.add_argument("--top", type=float, default=0.50, help="skill of the pool's first model")
    parser.add_argument("--step", type=float, default=0.04, help="skill lost per place in the pool")
    parser.add_argument("--cache", type=Path, default=ROOT / ".archon" / "bench-search-cache")
    parser.add_argument("--json", type=Path, help="write every run's figures here")
    parser.add_argument("--report", type=Path, help="only summarise the runs saved by an earlier --json")
    args = parser.parse_args()
    if args.report:
        saved = json.loads(args.report.read_text())
        summarize(saved["runs"], saved.get("trials", args.trials), f"runs read from {args.report}")
        return

    template = load(ROOT / "examples" / "itas.arch")
    pool = [m.name for m in template.scope(template.default_assignment())["generators"]]
    skills = {name: round(args.top - args.step * i, 4) for i, name in enumerate(pool)}
    rows = load_rows("arithmetic")
    evaluator = LadderEvaluator(skills, args.cache)
    strategies = args.strategies.split(",")
    runs: dict[str, list[dict]] = {s: [] for s in strategies}
    started = time.perf_counter()
    try:
        for seed in range(args.seeds):
            for strategy in strategies:
                t0 = time.perf_counter()
                result = search(
                    template,
                    rows,
                    "numeric",
                    strategy=strategy,
                    trials=args.trials,
                    seed=seed,
                    split=0.2,
                    sim=True,
                    evaluator=evaluator,
                )
                scores = [t.score for t in result.trials if t.evaluated]
                runs[strategy].append(
                    {
                        "seed": seed,
                        "scores": scores,
                        "best": max(scores),
                        "evaluations": len(scores),
                        "to_own_best": first_reaching(scores, max(scores)),
                        "held_out": result.best_score,
                        "best_params": result.best.params,
                        "stopped": result.stopped,
                        "seconds": time.perf_counter() - t0,
                        "overhead_median": statistics.median(t.overhead for t in result.trials),
                    }
                )
                print(
                    f"seed {seed} {strategy:6s} best {max(scores):.3f} after {runs[strategy][-1]['to_own_best']:>2} "
                    f"of {len(scores)} evaluations ({result.stopped}, {time.perf_counter() - t0:.0f} s)",
                    flush=True,
                )
    finally:
        evaluator.close()
    if args.json:
        args.json.write_text(json.dumps({"trials": args.trials, "skills": skills, "runs": runs}, indent=2))
    summarize(
        runs,
        args.trials,
        (
            f"\nITAS template, sim, arithmetic (48 dev rows), skills {args.top:g} down by {args.step:g} per pool place; "
            f"{args.seeds} seeds x {args.trials} evaluations; {evaluator.runs} distinct configurations run; "
            f"{time.perf_counter() - started:.0f} s"
        ),
    )


if __name__ == "__main__":
    main()
