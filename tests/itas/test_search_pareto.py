"""The quality-versus-cost Pareto front: non-dominated, cheapest first, re-scored on held-out rows."""

from __future__ import annotations

from hypothesis import given, strategies as st

from archon_dsl.itas.pareto import dominates, pareto_indices

points = st.lists(
    st.tuples(st.integers(0, 10).map(lambda k: k / 10), st.integers(1, 8).map(float)), max_size=40
)


@given(points)
def test_front_is_exactly_the_non_dominated_points(pts):
    front = pareto_indices(pts)
    for i in front:
        assert not any(dominates(p, pts[i]) for p in pts)
    for j in set(range(len(pts))) - set(front):
        # Left out: dominated, or equal to a point on the front (one of equal points is kept).
        assert any(dominates(pts[i], pts[j]) or pts[i] == pts[j] for i in front)
    assert [pts[i][1] for i in front] == sorted(pts[i][1] for i in front)
    assert len({pts[i] for i in front}) == len(front)


def test_front_of_a_known_set():
    pts = [(0.5, 3.0), (0.9, 5.0), (0.4, 1.0), (0.9, 4.0), (0.3, 2.0), (0.5, 3.0)]
    assert pareto_indices(pts) == [2, 0, 3]


def test_score_cost_search_reports_a_non_dominated_front(moo_run):
    # sim/ models have simulated prices by skill: the cost is in dollars
    assert moo_run.objective == "score,cost" and moo_run.cost_metric == "cost_usd"
    assert moo_run.front
    evaluated = [t for t in moo_run.trials if t.evaluated]
    for trial in moo_run.front:
        assert not any(dominates((t.score, t.cost), (trial.score, trial.cost)) for t in evaluated)
        assert trial.held_out is not None  # re-scored on the held-out split
        assert str(trial.index) in {str(k) for k in moo_run.held_out}
    assert [t.cost for t in moo_run.front] == sorted(t.cost for t in moo_run.front)
    assert moo_run.best in moo_run.front


def test_front_configurations_are_written(moo_run):
    written = sorted(p.name for p in (moo_run.out / "front").glob("*.arch"))
    assert written == sorted(f"trial-{t.index}.arch" for t in moo_run.front)
    assert (moo_run.out / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
