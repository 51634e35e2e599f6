"""A trial's cost is the architecture's, whatever the cache held; pareto.png draws the front result.json reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archon_dsl.architecture import ModelSpec
from archon_dsl.itas import search
from archon_dsl.itas.driver import cost_metric_for
from archon_dsl.itas.evaluate import architecture_cost
from archon_dsl.itas.outputs import plotted_front
from archon_dsl.loader import load, load_text
from archon_dsl.runtime.cache import Cache
from archon_dsl.runtime.trace import CallRecord, QueryResult

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# Dearer models are better, so cost and score pull apart and the front has several points.
PRICED = """\
archon "priced-ladder"
model m1 = "sim/m1" { skill = 0.1; cost_in = 0.1; cost_out = 0.2 }
model m2 = "sim/m2" { skill = 0.4; cost_in = 0.5; cost_out = 1.0 }
model m3 = "sim/m3" { skill = 0.7; cost_in = 2; cost_out = 4 }
model m4 = "sim/m4" { skill = 0.95; cost_in = 10; cost_out = 20 }
pool ladder = [m1, m2, m3, m4]
param level: int = 0 in 0..3
param n: int = 1 in 1..3
layer generator { models = [ladder[level]]; samples = n }
layer fuser { model = ladder[level] }
"""


def _record(
    model: str, cached: bool, cost: float | None, tokens: tuple[int, int] = (1000, 100)
) -> CallRecord:
    return CallRecord(
        query_id="q",
        layer=1,
        kind="generator",
        tag="",
        model=model,
        sample=0,
        cached=cached,
        input_tokens=tokens[0],
        output_tokens=tokens[1],
        cost_usd=cost,
    )


def test_a_cache_hit_costs_what_the_call_costs():
    spec = ModelSpec(name="m", id="sim/m", cost_in=2.0, cost_out=4.0)
    fresh = QueryResult(id="a", question="?", records=[_record("sim/m", False, 0.0024)])
    hit = QueryResult(id="b", question="?", records=[_record("sim/m", True, 0.0)])
    assert architecture_cost([fresh], {"sim/m": spec}) == pytest.approx(0.0024)
    assert architecture_cost([hit], {"sim/m": spec}) == pytest.approx(1000 * 2e-6 + 100 * 4e-6)
    assert architecture_cost([fresh, hit], {"sim/m": spec}) == pytest.approx(0.0048)


def test_an_unknown_price_is_unknown_not_free():
    unpriced = QueryResult(id="a", question="?", records=[_record("acme/unlisted-model", True, 0.0)])
    assert architecture_cost([unpriced], {}) is None
    failed_price = QueryResult(id="b", question="?", records=[_record("acme/unlisted-model", False, None)])
    assert architecture_cost([failed_price], {}) is None


def test_the_main_job_weighs_dollars_on_the_simulator():
    # examples/itas_sim.arch: sim/ models priced by skill; itas.arch with --sim: real models simulated.
    assert cost_metric_for(load(EXAMPLES / "itas_sim.arch"), sim=False) == "cost_usd"
    assert cost_metric_for(load(EXAMPLES / "itas.arch"), sim=True) == "cost_usd"


def test_free_models_are_compared_by_calls():
    free = load_text(
        'archon "free"\nmodel a = "sim/a" { cost_in = 0; cost_out = 0 }\nlayer generator { model = a }\n'
    )
    assert cost_metric_for(free, sim=False) == "calls"  # dollars would put every point at $0


@pytest.fixture(scope="module")
def priced_runs(tmp_path_factory, rows):
    """The same score,cost search twice: on an empty cache, then on the cache it filled."""
    root = tmp_path_factory.mktemp("priced")
    template = root / "priced.arch"
    template.write_text(PRICED, encoding="utf-8")
    options = dict(strategy="random", trials=6, seed=3, objective="score,cost", sim=True)
    cold = search(template, rows, "numeric", cache=root / "cache", out=root / "cold", **options)
    with Cache(root / "cache" / "cache.sqlite") as warm_cache:
        warm = search(template, rows, "numeric", cache=warm_cache, out=root / "warm", **options)
        stats = warm_cache.stats()
    return cold, warm, stats


def test_simulated_prices_make_dollars_the_cost(priced_runs):
    cold, _, _ = priced_runs
    assert cold.cost_metric == "cost_usd"
    costs = {t.cost for t in cold.trials if t.evaluated}
    assert len(costs) > 1 and min(costs) > 0  # a real trade-off, not every point at $0


def test_a_warm_cache_reports_the_same_trial_costs(priced_runs):
    cold, warm, stats = priced_runs
    assert stats["misses"] == 0 and stats["hits"] > 0  # the second search made no call
    assert [t.params for t in warm.trials] == [t.params for t in cold.trials]
    assert [(t.cost, t.cost_usd, t.calls) for t in warm.trials] == [
        (t.cost, t.cost_usd, t.calls) for t in cold.trials
    ]


def test_pareto_png_draws_the_front_of_result_json(priced_runs):
    for run in priced_runs[:2]:
        reported = json.loads((run.out / "result.json").read_text())["front"]
        assert reported, "a score,cost search over priced models has a front"
        assert plotted_front(run.out / "pareto.png") == [
            {"index": t["index"], "cost": t["cost"], "score": t["score"]} for t in reported
        ]


def test_a_single_objective_plot_draws_no_front(bo_run):
    assert json.loads((bo_run.out / "result.json").read_text())["front"] == []
    assert plotted_front(bo_run.out / "pareto.png") == []
