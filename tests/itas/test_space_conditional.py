"""The search's view of a conditional space: distinct points, active parameters, the hierarchy, uniform draws."""

from __future__ import annotations

import random
from collections import Counter

from archon_dsl.itas.space import SearchSpace
from archon_dsl.loader import load, load_text


def test_the_itas_space_is_a_tree_under_layers():
    space = SearchSpace(load("examples/itas_sim.arch"))
    assert space.hierarchy() == {"layers": {1: [], 2: ["f1"], 3: ["f1", "f2"], 4: ["f1", "f2", "f3"]}}
    assert [(d.name, d.when, d.parents) for d in space.dimensions][3:] == [
        ("f1", "layers >= 2", ("layers",)),
        ("f2", "layers >= 3", ("layers",)),
        ("f3", "layers >= 4", ("layers",)),
    ]
    assert space.grid_size() == 25_000 and space.distinct_size() == 7_800
    points = list(space.points())
    assert len(points) == 7_800 and len({space.key(space.canonical(p)) for p in points}) == 7_800
    assert space.active({"layers": 2}) == {"n_gen", "samples", "layers", "f1"}
    assert space.canonical({"layers": 1, "f3": 10}) == {"n_gen": 5, "samples": 1, "layers": 1}


def test_random_points_are_uniform_over_architectures():
    space = SearchSpace(load("examples/itas_sim.arch"))
    rng = random.Random(0)
    layers = Counter(space.random_point(rng)["layers"] for _ in range(2000))
    # 50, 250, 1,250 and 6,250 of 7,800 architectures: about 13, 64, 321 and 1,603 of 2,000 draws.
    assert layers[1] < 40 and layers[4] > 1500


def test_a_condition_over_two_parameters_is_no_tree():
    template = load_text(
        'model a = "sim/a"\npool p = [a, a]\nparam n: int = 1 in 1..2\nparam k: int = 1 in 1..2\n'
        "param f: int = 1 in 1..2 when n + k > 3\n"
        "layer generator { models = p[:n]; samples = k }\nif n + k > 3 { layer fuser { models = p[:f] } }\n"
    )
    space = SearchSpace(template)
    assert space.hierarchy() is None
    assert space.distinct_size() == 5 and len(list(space.points())) == 5
