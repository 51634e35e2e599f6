"""The final choice's model: row ease taken out of scores on different rows (evidence.py), and the additive
surrogate that learns each parameter's effect from noisy evaluations (additive.py)."""

from __future__ import annotations

import math
import random

import pytest

from archon_dsl.itas.space import SearchSpace
from archon_dsl.itas.trials import Trial
from archon_dsl.loader import load_text

pytest.importorskip("numpy")

from archon_dsl.itas.additive import Features, fit_additive, fit_evidence
from archon_dsl.itas.evidence import row_adjusted

SPACE = """\
archon "additive"
model a = "sim/a"
pool gens = [a, a, a, a, a, a]
param n: int = 1 in 1..6
param style: choice = "plain" in {"plain", "terse", "verbose"}
param deep: bool = false
param width: int = 2 in {2, 4, 6} when deep
layer generator { models = gens[:n] }
if deep { layer fuser { models = gens[:width] } }
layer fuser { model = a }
"""


def _trial(index: int, params: dict, row_scores: list[float]) -> Trial:
    return Trial(
        index=index,
        params=params,
        score=sum(row_scores) / len(row_scores),
        cost=0.0,
        cost_usd=0.0,
        calls=0,
        rows=len(row_scores),
        row_scores=row_scores,
    )


def test_row_ease_is_taken_out_of_scores_on_fewer_rows():
    ease = [0.3, 0.2, -0.1, -0.2, 0.0, -0.2]  # the first two rows are easy
    a = _trial(0, {"n": 1}, [0.5 + e for e in ease])  # every row
    b = _trial(1, {"n": 2}, [0.45 + e for e in ease[:2]])  # a screen on the easy rows only
    c = _trial(2, {"n": 3}, [0.6 + e for e in ease])
    assert b.score > a.score  # the plain means rank the screen first
    evidence = row_adjusted([a, b, c])
    assert evidence is not None
    assert evidence[0].merit - evidence[1].merit == pytest.approx(0.05, abs=1e-6)
    assert evidence[2].merit - evidence[0].merit == pytest.approx(0.1, abs=1e-6)
    # Fewer rows, less certain: each variance is the pooled one over the trial's rows.
    assert evidence[1].variance == pytest.approx(evidence[0].variance * 6 / 2)


def test_trials_without_per_row_scores_have_no_row_evidence():
    plain = Trial(index=0, params={}, score=0.5, cost=0.0, cost_usd=0.0, calls=0, rows=48)
    assert row_adjusted([plain]) is None


def _truth(point: dict) -> float:
    """An additive truth: more generators help up to four, style matters, a wide fusion layer helps."""
    n_effect = {1: 0.0, 2: 0.04, 3: 0.07, 4: 0.08, 5: 0.06, 6: 0.03}[point["n"]]
    style = {"plain": 0.0, "terse": -0.05, "verbose": 0.03}[point["style"]]
    fusion = {2: 0.02, 4: 0.05, 6: 0.06}[point["width"]] if point["deep"] else 0.0
    return 0.5 + n_effect + style + fusion


def test_the_additive_model_learns_effects_from_noisy_evaluations():
    template = load_text(SPACE)
    space = SearchSpace(template, rules=False)
    points = [{**space.default(), **p} for p in template.distinct_points()]
    assert len(points) == 6 * 3 * 4  # width exists only when deep
    rng = random.Random(0)
    seen = rng.sample(points, 30)
    values = [_truth(p) + rng.gauss(0.0, 0.02) for p in seen]
    features = Features(space)
    model = fit_additive(features, seen, values, [0.02**2] * len(seen))
    assert model is not None
    means, sds = model.predict(points)
    best = max(range(len(points)), key=lambda i: means[i])
    assert _truth(points[best]) >= max(_truth(p) for p in points) - 0.02
    truths = [_truth(p) for p in points]
    pairs = [(i, j) for i in range(len(points)) for j in range(i) if abs(truths[i] - truths[j]) > 0.05]
    agree = sum((means[i] > means[j]) == (truths[i] > truths[j]) for i, j in pairs)
    assert agree / len(pairs) > 0.95  # clear differences are ordered right
    unseen = [i for i, p in enumerate(points) if p not in seen]
    assert min(sds[i] for i in unseen) > 0.0
    # Bare scores (no per-row noise known): the noise is chosen with the prior scale, and the answer holds.
    blind = fit_additive(features, seen, values)
    assert blind is not None
    guesses, _ = blind.predict(points)
    pick = max(range(len(points)), key=lambda i: guesses[i])
    assert _truth(points[pick]) >= max(_truth(p) for p in points) - 0.02


def test_posterior_draws_vary_where_the_model_is_unsure():
    template = load_text(SPACE)
    space = SearchSpace(template, rules=False)
    points = [{**space.default(), **p} for p in template.distinct_points()]
    seen = [p for p in points if not p["deep"]][:6]
    features = Features(space)
    model = fit_additive(features, seen, [_truth(p) for p in seen], [0.01**2] * len(seen))
    assert model is not None
    matrix = features.matrix(points)
    rng = random.Random(1)
    draws = [model.draw(matrix, rng) for _ in range(20)]
    deep = [i for i, p in enumerate(points) if p["deep"]]
    spread = [max(d[i] for d in draws) - min(d[i] for d in draws) for i in deep]
    assert min(spread) > 0.0  # never seen deep: every draw says something else


def test_evidence_from_a_multi_fidelity_history_feeds_the_model():
    template = load_text(SPACE)
    space = SearchSpace(template, rules=False)
    points = [{**space.default(), **p} for p in template.distinct_points()]
    rng = random.Random(2)
    ease = [rng.gauss(0.0, 0.2) for _ in range(48)]
    trials = []
    for index, point in enumerate(rng.sample(points, 40)):
        rows = 48 if index % 4 == 0 else 6
        trials.append(_trial(index, space.to_json(point), [_truth(point) + ease[j] for j in range(rows)]))
    model = fit_evidence(Features(space), space, trials)
    assert model is not None
    means, _ = model.predict(points)
    best = max(range(len(points)), key=lambda i: means[i])
    assert _truth(points[best]) >= max(_truth(p) for p in points) - 0.02


def test_the_choice_says_how_many_rows_would_separate_its_top_two():
    from archon_dsl.itas.final import Choice

    # 48 rows: the first finalist is right on 40, the second on 39 (one row apart, plus two that swap).
    first = [1.0] * 40 + [0.0] * 8
    second = [1.0] * 38 + [0.0, 1.0] + [0.0] * 7 + [1.0]
    second[39] = 0.0
    assert sum(first) - sum(second) == 1
    choice = Choice("rule", None, [_trial(1, {}, first), _trial(2, {}, second)])
    choice.compare_development()
    differences = [a - b for a, b in zip(first, second, strict=True)]
    gap = sum(differences) / 48
    variance = sum((d - gap) ** 2 for d in differences) / 47
    assert choice.rows_to_separate == math.ceil(1.96**2 * variance / gap**2)
    assert "cannot separate the top two finalists" in choice.development_note
    assert f"about {choice.rows_to_separate:,} rows" in choice.to_dict()["note"]

    clear = Choice("rule", None, [_trial(1, {}, [1.0] * 48), _trial(2, {}, [0.0] * 48)])
    clear.compare_development()
    assert clear.rows_to_separate is None and clear.to_dict()["note"] == ""
