"""Ax encoding of template dimensions (strategy ax), BO kept quiet, and its handling of refused points."""

from __future__ import annotations

from archon_dsl.itas import FunctionEvaluator, SearchSpace, search
from archon_dsl.itas.ax_bo import AxEncoding
from archon_dsl.loader import load_text

TEMPLATE = """\
archon "enc"
model a = "sim/a"
model b = "sim/b"
model c = "sim/c"
param n: int = 2 in 1..4
param width: int = 4 in {8, 1, 2, 4}
param judge: choice = a in {a, b, c}
param pair: choice = "x" in {"x", "y"}
param t: float = 0.5 in 0.0..1.0
param rank: bool = true
constraint n * width <= 8
layer generator { models = [a, b, c, a, b, c, a, b][:width]; samples = n; temperature = t }
if rank { layer ranker { model = judge; top_k = 1 } } else { layer fuser { model = judge } }
"""


def test_every_point_round_trips_through_the_ax_encoding():
    space = SearchSpace(load_text(TEMPLATE, "enc.arch"))
    encoding = AxEncoding(space.dimensions)
    assert encoding.kind == {
        "n": "range",
        "width": "index",
        "judge": "categorical",
        "pair": "index",
        "t": "float",
        "rank": "index",
    }
    for point in space.points():
        params = encoding.to_ax(point)
        assert encoding.from_ax(params, space.default()) == point
    # The index of a numeric set follows the values, not the order they were written in.
    assert [encoding.to_ax({**space.default(), "width": w})["width"] for w in (1, 2, 4, 8)] == [0, 1, 2, 3]
    configs = {c.name: c for c in encoding.parameters()}
    assert configs["n"].bounds == (1, 4) and configs["width"].bounds == (0, 3)
    assert configs["judge"].values == ["a", "b", "c"] and configs["judge"].is_ordered is False


INTEGERS = """\
archon "ints"
model a = "sim/a"
model b = "sim/b"
param n: int = 2 in 1..4
param width: int = 4 in {8, 1, 2, 4}
param rank: bool = true
constraint n * width <= 8
layer generator { models = [a, b, a, b, a, b, a, b][:width]; samples = n }
if rank { layer ranker { model = a; top_k = 1 } } else { layer fuser { model = b } }
"""


def _objective(params) -> float:
    return params["n"] * params["width"] / 8 + (0.2 if params["rank"] else 0.0)


def test_bo_is_quiet_and_never_evaluates_a_refused_point(capfd):
    seen = []

    def objective(arch, rows):
        seen.append(dict(arch.assignment))
        return _objective(arch.assignment)

    # Integers only: a float or a categorical parameter makes each BoTorch step several times slower.
    result = search(
        load_text(INTEGERS, "ints.arch"),
        [{"question": "q", "answer": "a"}],
        strategy="bo",
        trials=8,
        seed=1,
        split=0,
        evaluator=FunctionEvaluator(objective),
    )
    captured = capfd.readouterr()
    assert "[INFO" not in captured.err and "[INFO" not in captured.out
    assert len(seen) == 8 == result.evaluations
    assert all(p["n"] * p["width"] <= 8 for p in seen)
    assert result.best.score == max(_objective(t.params) for t in result.trials)


def test_bo_with_a_single_point_space_evaluates_it_once():
    template = load_text('archon "one"\nmodel a = "sim/a"\nlayer generator { model = a }\n', "one.arch")
    result = search(
        template,
        [{"question": "q", "answer": "a"}],
        strategy="bo",
        trials=5,
        split=0,
        evaluator=FunctionEvaluator(lambda arch, rows: 0.5),
    )
    assert result.evaluations == 1 and result.stopped == "exhausted"


def test_bo_is_reproducible_with_its_seed():
    template = load_text(INTEGERS, "ints.arch")

    def run(seed):
        result = search(
            template,
            [{"question": "q", "answer": "a"}],
            strategy="bo",
            trials=6,
            seed=seed,
            split=0,
            evaluator=FunctionEvaluator(lambda arch, rows: _objective(arch.assignment)),
        )
        return [t.params for t in result.trials]

    assert run(7) == run(7)
