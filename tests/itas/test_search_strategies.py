"""Each strategy finds the known optimum of a small space on the sim backend, and never evaluates an
infeasible point (constraint, budget or error-level rule)."""

from __future__ import annotations

import pytest

from archon_dsl.itas import SearchSpace
from archon_dsl.loader import load
from archon_dsl.template import evaluate


def _violations(known_path, result) -> list[str]:
    """Evaluated points that break a constraint, a budget or an error-level rule."""
    from archon_dsl.checker import check_architecture
    from archon_dsl.planner import plan

    template = load(known_path)
    space = SearchSpace(template)
    found = []
    for trial in result.trials:
        point = space.from_json(trial.params)
        scope = template.scope(point)
        if not all(evaluate(c.expr, scope) is True for c in template.constraints):
            found.append(f"constraint: {trial.params}")
        arch = template.instantiate(point)
        calls = plan(arch).to_dict()["calls"]["max"]
        if not all(b.allows(calls) for b in arch.budgets if b.metric == "calls"):
            found.append(f"budget: {trial.params} makes {calls} calls")
        if any(d.is_error for d in check_architecture(arch)):
            found.append(f"rule: {trial.params}")
    return found


def test_grid_evaluates_every_feasible_point_once(known_path, grid_run):
    space = SearchSpace(load(known_path))
    feasible = [p for p in space.points() if space.feasible(p)]
    assert grid_run.stopped == "exhausted"
    assert len(grid_run.trials) == len(feasible) == 44
    assert len({tuple(sorted(t.params.items())) for t in grid_run.trials}) == 44
    assert grid_run.skipped == space.grid_size() - 44
    assert grid_run.best.score == max(t.score for t in grid_run.trials) == 1.0


@pytest.mark.parametrize("strategy, trials", [("random", 44), ("greedy", 30)])
def test_strategy_finds_the_known_optimum(
    strategy, trials, known_path, rows, cache_dir, grid_run, sim_search
):
    result = sim_search(known_path, rows, cache_dir, strategy=strategy, trials=trials, seed=3)
    optimum = grid_run.best
    assert result.best.score == optimum.score
    # Both break ties on cost: the cheapest configuration with the best score they evaluated...
    assert result.best.cost == min(t.cost for t in result.trials if t.score == optimum.score)
    if trials >= len(grid_run.trials):  # ...which, when they saw every point, is the grid's.
        assert result.best.cost == optimum.cost
    assert _violations(known_path, result) == []


def test_greedy_starts_from_the_defaults_and_changes_one_parameter_at_a_time(
    known_path, rows, cache_dir, sim_search
):
    result = sim_search(known_path, rows, cache_dir, strategy="greedy", trials=30)
    template = load(known_path)
    assert result.trials[0].source == "base"
    assert result.trials[0].params == {k: v for k, v in template.default_assignment().items()}
    for trial in result.trials[1:]:
        # Each point differs from some earlier point in exactly one parameter.
        assert any(
            sum(trial.params[k] != earlier.params[k] for k in trial.params) == 1
            for earlier in result.trials[: trial.index]
        )
    assert result.stopped == "exhausted"  # converged: a full pass improved nothing


def test_random_is_reproducible_with_its_seed(known_path, rows, cache_dir, sim_search):
    first = sim_search(known_path, rows, cache_dir, strategy="random", trials=6, seed=11)
    again = sim_search(known_path, rows, cache_dir, strategy="random", trials=6, seed=11)
    other = sim_search(known_path, rows, cache_dir, strategy="random", trials=6, seed=12)
    assert [t.params for t in first.trials] == [t.params for t in again.trials]
    assert [t.params for t in first.trials] != [t.params for t in other.trials]


def test_bo_finds_the_known_optimum(bo_run, grid_run, known_path):
    assert bo_run.evaluations == 10
    assert bo_run.best.score == grid_run.best.score
    assert {t.source for t in bo_run.trials} >= {"random", "additive"}
    assert _violations(known_path, bo_run) == []


def test_no_strategy_evaluates_an_infeasible_point(known_path, grid_run, moo_run):
    assert _violations(known_path, grid_run) == []
    assert _violations(known_path, moo_run) == []


def test_bo_never_proposes_a_point_twice(bo_run):
    points = [tuple(sorted(t.params.items())) for t in bo_run.trials]
    assert len(points) == len(set(points))


def test_a_space_with_no_feasible_point_evaluates_nothing(tmp_path, rows, cache_dir, sim_search):
    path = tmp_path / "none.arch"
    path.write_text(
        'archon "none"\nmodel a = "sim/a"\nparam n: int = 1 in 1..3\nconstraint n > 5\n'
        "layer generator { model = a; samples = n }\nlayer ranker { model = a; top_k = 1 }\n",
        encoding="utf-8",
    )
    for strategy in ("random", "greedy", "grid", "bo"):
        result = sim_search(path, rows, cache_dir, strategy=strategy, trials=3)
        assert result.trials == [] and result.best is None and result.stopped == "exhausted"
