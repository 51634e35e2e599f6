"""What N evaluations can tell: the additive model fitted to N random architectures, with shared draws and with each its own.

No strategy chooses better than what its evaluations tell. This fits the search's additive model
(itas/additive.py) to N distinct architectures of examples/itas_sim.arch drawn at random, each
evaluated on the 48 development rows of the arithmetic set, and prints the true regret of the
model's best architecture over the whole space and among the N evaluated (median over `--reps`
draws), in two ways of drawing:

- shared: every architecture at the draw's one simulator seed (`search --draws shared`: a model's
  mood on a question and its samples are the same in every architecture that uses it);
- own: each architecture at its own seed (`search --draws architecture`).

    python benchmarks/bench_search_ceiling.py                  # N = 40, 80; 20 draws each
    python benchmarks/bench_search_ceiling.py --sizes 40,160,320 --reps 10

Ground truth comes from bench_search_quality.py's cached table (computed on first use).
"""

from __future__ import annotations

import argparse
import random
import statistics

from bench_search_quality import TEMPLATE, truth_table

from archon_dsl.datasets import load_dataset
from archon_dsl.itas.additive import Features, fit_additive
from archon_dsl.itas.driver import arch_key, split_rows
from archon_dsl.itas.space import SearchSpace
from archon_dsl.loader import load
from archon_dsl.runtime import sim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="40,80", help="numbers of random evaluations")
    parser.add_argument("--reps", type=int, default=20, help="draws per size")
    args = parser.parse_args()

    template = load(TEMPLATE)
    rows = load_dataset("arithmetic")
    dev, _ = split_rows(rows, 0.2, 0)
    truth = truth_table(template, rows)
    space = SearchSpace(template, rules=False)
    points = [{**space.default(), **p} for p in template.distinct_points() if template.constraints_hold(p)]
    archs = [template.instantiate(p) for p in points]
    values = [truth[arch_key(a)] for a in archs]
    best = max(values)
    features = Features(space)
    for size in (int(n) for n in args.sizes.split(",")):
        for draws in ("shared", "own"):
            overall, evaluated = [], []
            for rep in range(args.reps):
                picks = random.Random(rep).sample(range(len(points)), size)
                scores = []
                for i in picks:
                    seed = rep if draws == "shared" else sim.architecture_seed(rep, archs[i])
                    scores.append(sim.SimEvaluator("numeric", seed=seed).evaluate(archs[i], dev))
                # One noise for all, pooled over the evaluations (as evidence.row_adjusted pools it).
                pooled = statistics.mean(statistics.pvariance(e.scores) for e in scores) / len(dev)
                model = fit_additive(
                    features, [points[i] for i in picks], [e.score for e in scores], [pooled] * size
                )
                assert model is not None
                means, _ = model.predict(points)
                overall.append(best - values[max(range(len(points)), key=lambda i: means[i])])
                evaluated.append(best - values[max(picks, key=lambda i: means[i])])
            print(
                f"N={size:4d} {draws:6s} draws: regret of the model's best over the space, median "
                f"{statistics.median(overall):.4f}; among the evaluated {statistics.median(evaluated):.4f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
