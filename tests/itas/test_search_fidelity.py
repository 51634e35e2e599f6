"""Rows as the fidelity (paired prefixes, promotions paying only new rows), budgets, --patience,
--workers, resume of a multi-fidelity search, and the noise-aware final choice."""

from __future__ import annotations

import json
import random
import threading
import time

import pytest

from archon_dsl.itas import Evaluation, FunctionEvaluator, search
from archon_dsl.loader import load_text

SPACE = """\
archon "fidelity"
model a = "sim/a"
param n: int = 1 in 1..6
param k: int = 1 in 1..4
param deep: bool = false
param width: int = 2 in {2, 4, 6} when deep
layer generator { models = [a]; samples = n }
if deep { layer fuser { models = [a, a, a, a, a, a][:width] } }
layer ranker { model = a; top_k = k }
"""

ROWS = [{"id": str(i), "question": f"q{i}", "answer": "a"} for i in range(60)]  # 48 development rows


def _quality(params) -> float:
    return (
        0.3
        + 0.08 * params["n"]
        + 0.03 * params["k"]
        + (0.05 * params.get("width", 0) if params["deep"] else 0)
    )


class RowScorer:
    """Per-row 0/1 scores, a fixed draw per (architecture, row); logs which rows each call ran."""

    def __init__(self, delay: float = 0.0):
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        self.delay = delay
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()

    def __call__(self, arch, rows) -> Evaluation:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
            key = json.dumps(arch.assignment, sort_keys=True)
            p = min(_quality(arch.assignment), 0.97)
            scores = [1.0 if random.Random(key + row["id"]).random() < p else 0.0 for row in rows]
            with self.lock:
                self.calls.append((key, tuple(row["id"] for row in rows)))
            return Evaluation(
                sum(scores) / len(scores), 0.01 * len(rows), len(rows), rows=len(rows), scores=scores
            )
        finally:
            with self.lock:
                self.in_flight -= 1


def _search(scorer: RowScorer, **options):
    options.setdefault("split", 0.2)
    return search(load_text(SPACE, "fidelity.arch"), ROWS, evaluator=FunctionEvaluator(scorer), **options)


@pytest.mark.parametrize("strategy", ["sh", "hyperband", "bohb"])
def test_multi_fidelity_rungs_are_paired_and_promotions_pay_only_new_rows(strategy):
    scorer = RowScorer()
    result = _search(scorer, strategy=strategy, budget_rows=600, seed=3)
    assert result.rows_used <= 600 and result.budget_rows == 600
    dev_calls = scorer.calls[: result.evaluations]  # the held-out evaluations come after the search
    # No configuration ever ran a row twice; every trial's rows are a prefix of one row order.
    seen: set[tuple[str, str]] = set()
    for key, row_ids in dev_calls:
        for row_id in row_ids:
            assert (key, row_id) not in seen
            seen.add((key, row_id))
    assert result.rows_used == sum(len(ids) for _, ids in dev_calls)
    fidelities = {t.rows for t in result.trials}
    assert min(fidelities) < 48 and max(fidelities) == 48  # screened on few rows, finalists on all
    evaluated = [t for t in result.trials if t.evaluated]
    for trial in evaluated:
        assert len(trial.row_scores) == trial.rows and trial.score == pytest.approx(
            sum(trial.row_scores) / trial.rows
        )
    by_params: dict[str, list] = {}
    for trial in evaluated:
        by_params.setdefault(json.dumps(trial.params, sort_keys=True), []).append(trial)
    promoted = [ts for ts in by_params.values() if len(ts) > 1]
    assert promoted
    for trials in promoted:  # a promotion extends the scores it had: the same first rows
        for low, high in zip(trials, trials[1:], strict=False):
            assert high.rows > low.rows and high.row_scores[: low.rows] == low.row_scores
    assert result.best.rows == 48


def test_no_strategy_evaluates_one_architecture_twice():
    for strategy in ("random", "bo", "grid", "hyperband"):
        scorer = RowScorer()
        result = _search(scorer, strategy=strategy, trials=10, seed=1, split=0)
        shapes = [json.dumps(t.params, sort_keys=True) for t in result.trials if t.evaluated and t.rows == 48]
        assert len(shapes) == len(set(shapes)), strategy
        # width does not exist without deep: no two evaluated points differ only there
        canon = [
            (
                t.params["n"],
                t.params["k"],
                t.params["deep"],
                t.params.get("width") if t.params["deep"] else None,
            )
            for t in result.trials
            if t.evaluated and t.rows == 48
        ]
        assert len(canon) == len(set(canon)), strategy


def test_workers_run_evaluations_at_once_and_spend_the_same_budget():
    serial, parallel = RowScorer(delay=0.02), RowScorer(delay=0.02)
    one = _search(serial, strategy="random", trials=8, seed=4, split=0)
    four = _search(parallel, strategy="random", trials=8, seed=4, split=0, workers=4)
    assert serial.most_in_flight == 1 and parallel.most_in_flight > 1
    assert one.evaluations == four.evaluations == 8 and four.workers == 4
    assert sorted(json.dumps(t.params, sort_keys=True) for t in one.trials) == sorted(
        json.dumps(t.params, sort_keys=True) for t in four.trials
    )


@pytest.mark.parametrize("surrogate, source", [("additive", "additive"), ("gp", "botorch")])
def test_bo_with_workers_proposes_distinct_points_while_others_run(surrogate, source):
    scorer = RowScorer(delay=0.01)
    result = _search(scorer, strategy="bo", trials=10, seed=2, split=0, workers=3, surrogate=surrogate)
    assert result.evaluations == 10 and scorer.most_in_flight > 1
    points = [json.dumps(t.params, sort_keys=True) for t in result.trials]
    assert len(points) == len(set(points))
    assert {t.source for t in result.trials} >= {"random", source}


def test_patience_stops_when_the_incumbent_stops_improving():
    flat = FunctionEvaluator(lambda arch, rows: 0.5)
    result = search(
        load_text(SPACE, "fidelity.arch"), ROWS, evaluator=flat, strategy="random", trials=30, patience=3
    )
    assert result.stopped == "patience" and result.evaluations == 4


def test_a_dollar_budget_stops_the_search():
    scorer = RowScorer()  # $0.01 a row: 48 rows are $0.48
    result = _search(scorer, strategy="random", trials=30, budget_usd=2.0)
    assert result.stopped == "dollars" and result.evaluations == 5 and result.usd_used >= 2.0


def test_final_choice_reports_finalists_with_intervals():
    result = _search(RowScorer(), strategy="bo", trials=12, seed=5)
    choice = result.choice
    assert choice["chosen"] == result.best.index and len(choice["finalists"]) == 3
    for finalist in choice["finalists"]:
        assert finalist["rows"] == 48 and finalist["low"] <= finalist["score"] <= finalist["high"]
        assert finalist["held_out"]["low"] <= finalist["held_out"]["score"] <= finalist["held_out"]["high"]
    assert "posterior mean" in choice["rule"]
    if not choice["held_out_separates"]:
        assert "cannot separate the finalists" in choice["note"]


def test_an_interrupted_hyperband_resumes_and_pays_nothing_twice(tmp_path):
    out = tmp_path / "run"

    class Stopping(RowScorer):
        def __call__(self, arch, rows):
            if len(self.calls) >= 7:
                raise KeyboardInterrupt
            return super().__call__(arch, rows)

    first = Stopping()
    with pytest.raises(KeyboardInterrupt):
        _search(first, strategy="hyperband", budget_rows=500, seed=6, out=out, split=0)
    second = RowScorer()
    resumed = _search(second, strategy="hyperband", budget_rows=500, seed=6, out=out, split=0, resume=True)
    whole_scorer = RowScorer()
    whole = _search(whole_scorer, strategy="hyperband", budget_rows=500, seed=6, split=0)
    paid = {(key, row) for key, ids in first.calls + second.calls for row in ids}
    assert len(paid) == sum(len(ids) for _, ids in first.calls + second.calls)  # no row paid twice
    assert resumed.rows_used == whole.rows_used
    assert [(t.params, t.rows) for t in resumed.trials] == [(t.params, t.rows) for t in whole.trials]
