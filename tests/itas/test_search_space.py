"""The search space of a template: dimensions, feasibility and its reasons, neighbours, nearest points."""

from __future__ import annotations

import random

import pytest

from archon_dsl.diagnostics import ArchonError
from archon_dsl.itas import SearchSpace
from archon_dsl.loader import load, load_text

MIXED = """\
archon "mixed"
model a = "sim/a"
model b = "sim/b"
model c = "sim/c"
pool gens = [a, b, c]
param n: int = 1 in 1..3
param fusers: int = 2 in {8, 2, 4}
param judge: choice = a in {a, b, c}
param t: float = 0.5 in 0.0..1.0
param solo: int = 1 in {1}
param rank: bool = true
constraint n * fusers <= 8
layer generator { models = gens[:n]; samples = solo; temperature = t }
layer critic { model = judge }
layer fuser { models = [a, b, c, a, b, c, a, b][:fusers] }
if rank { layer ranker { model = judge; top_k = 1 } } else { layer fuser { model = a } }
"""


@pytest.fixture
def space():
    return SearchSpace(load_text(MIXED, "mixed.arch"))


def test_dimensions_and_fixed_params(space):
    assert [d.name for d in space.dimensions] == ["n", "fusers", "judge", "t", "rank"]
    assert space.fixed == {"solo": 1}
    assert space.by_name["judge"].categorical and not space.by_name["n"].categorical
    assert not space.by_name["t"].finite
    assert space.size() is None  # a float range: continuous
    assert space.grid_size() == 3 * 3 * 3 * 5 * 2


def test_points_and_json_round_trip(space):
    points = list(space.points())
    assert len(points) == space.grid_size()
    assert len({space.key(p) for p in points}) == len(points)
    point = points[17]
    as_json = space.to_json(point)
    assert isinstance(as_json["judge"], str)  # models by name
    assert space.from_json(as_json) == point
    assert space.key(space.from_json(as_json)) == space.key(point)


def test_feasibility_names_the_reason(space):
    default = space.default()
    assert space.feasibility(default).ok
    over = {**default, "n": 3, "fusers": 4}
    assert space.feasibility(over).reason == "constraint n * fusers <= 8 fails"
    assert space.feasibility(over) is space.feasibility(dict(over))  # cached per point


def test_rule_errors_and_budgets_make_points_infeasible():
    template = load_text(
        'archon "r"\nmodel a = "sim/a"\nparam n: int = 1 in 1..6\nparam critic_last: bool = false\n'
        "budget calls <= 5\nlayer generator { model = a; samples = n }\nlayer ranker { model = a; top_k = 1 }\n"
        "if critic_last { layer critic { model = a } }\n",
        "r.arch",
    )
    space = SearchSpace(template)
    assert space.feasible({"n": 3, "critic_last": False})
    assert "A004" in space.feasibility({"n": 3, "critic_last": True}).reason
    assert "budget" in space.feasibility({"n": 5, "critic_last": False}).reason.lower()
    unchecked = SearchSpace(template, rules=False)
    assert unchecked.feasible({"n": 3, "critic_last": True})  # rules off: constraints and budgets only
    assert not unchecked.feasible({"n": 5, "critic_last": False})


def test_instantiation_errors_are_infeasible_points():
    space = SearchSpace(
        load_text(
            'archon "s"\nmodel a = "sim/a"\npool p = [a, a]\nparam k: int = 1 in 1..3\n'
            "layer generator { models = p[:k] }\nlayer ranker { model = a; top_k = 1 }\n",
            "s.arch",
        )
    )
    assert "overruns" in space.feasibility({"k": 3}).reason


def test_neighbours_nearest_value_first(space):
    point = {**space.default(), "fusers": 4}
    assert [p["fusers"] for p in space.neighbours(point, "fusers")] == [2, 8]  # declared {8, 2, 4}
    assert [p["n"] for p in space.neighbours({**point, "n": 2}, "n")] == [1, 3]
    assert all(p["t"] != point["t"] for p in space.neighbours(point, "t"))


def test_nearest_acceptable_point(space):
    start = {**space.default(), "n": 3, "fusers": 8}
    found = space.nearest(start, space.feasible)
    assert space.feasible(found)
    assert found["n"] * found["fusers"] <= 8

    def steps(p):
        return sum(
            abs(d.index(p[d.name]) - d.index(start[d.name]))
            if not d.categorical
            else int(p[d.name] != start[d.name])
            for d in space.dimensions
            if d.finite
        )

    feasible = [p for p in space.points() if p["t"] == start["t"] and space.feasible(p)]
    assert steps(found) == min(steps(p) for p in feasible) == 2  # n 3 -> 2 or fusers 8 -> 4 alone fails


def test_random_points_stay_in_the_domain(space):
    rng = random.Random(0)
    for _ in range(50):
        p = space.random_point(rng)
        assert 0.0 <= p["t"] <= 1.0 and p["fusers"] in (2, 4, 8) and p["solo"] == 1


def test_a_template_with_declaration_errors_is_refused():
    template = load_text(
        'archon "bad"\nmodel a = "sim/a"\nparam n: int = 9 in 1..3\nlayer generator { model = a }\n'
    )
    with pytest.raises(ArchonError, match="outside its domain"):
        SearchSpace(template)


def test_the_itas_example_space():
    space = SearchSpace(load("examples/itas.arch"))
    assert [d.name for d in space.dimensions] == ["n_gen", "samples", "layers", "f1", "f2", "f3"]
    assert space.grid_size() == 25_000
    assert not space.feasible({**space.default(), "n_gen": 10, "samples": 3})  # 30 candidates > 24
