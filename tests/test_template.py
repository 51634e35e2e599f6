"""Templates: defaults, instantiate, repeat and if, choices, the space, -p values."""

from __future__ import annotations

import pytest

from archon_dsl.loader import load_text
from archon_dsl.template import InstantiateError, parse_assignment

TEMPLATE = """
archon "t"
defaults { temperature = 0.3; max_tokens = 512 }
model a = "openai/gpt-4o" { temperature = 0.1; top_p = 0.9 }
model b = "openai/gpt-4o-mini"
pool fusers = [a, b, a]
param n: int = 2 in 1..3
param depth: int = 2 in 1..3
param verify: bool = false
param fin: choice = a in {a, b}
param t: float = 0.5 in 0.0..1.0
constraint n * depth <= 6
layer generator { models = [a, b][:min(n, 2)]; samples = n; temperature = t }
repeat i in 0..depth - 2 { layer fuser { models = fusers[:[1, 2][i]] } }
if verify { layer verifier { model = a } } else { layer ranker { model = a; top_k = 1 } }
layer fuser { model = fin }
"""


@pytest.fixture(scope="module")
def template():
    return load_text(TEMPLATE, "t.arch")


def test_defaults_apply(template):
    arch = template.instantiate()
    assert arch.defaults.temperature == 0.3 and arch.defaults.max_tokens == 512
    assert arch.assignment["n"] == 2 and arch.assignment["fin"].name == "a"
    assert [layer.kind for layer in arch.layers] == ["generator", "fuser", "ranker", "fuser"]
    assert arch.layers[0].temperature == 0.5 and arch.layers[0].samples == 2
    assert arch.layers[0].models[0].params == {"top_p": 0.9}


def test_repeat_with_a_loop_variable_and_if_else(template):
    arch = template.instantiate({"depth": 3, "verify": True, "fin": template.params["fin"].values[1]})
    assert [(layer.kind, len(layer.models)) for layer in arch.layers] == [
        ("generator", 2),
        ("fuser", 1),
        ("fuser", 2),
        ("verifier", 1),
        ("fuser", 1),
    ]
    assert arch.layers[-1].models[0].name == "b"


def test_space_enumeration_and_sampling(template):
    assert template.raw_size() == 3 * 3 * 2 * 2 * 5
    points = list(template.points())
    assert len(points) == template.raw_size() and len({tuple(map(str, p.values())) for p in points}) == len(
        points
    )
    sample = template.sample(20, seed=1)
    assert len(sample) == 20 and sample == template.sample(20, seed=1)
    assert template.params["t"].grid() == [0.0, 0.25, 0.5, 0.75, 1.0]


def test_constraints_hold(template):
    assert template.constraints_hold({"n": 3, "depth": 2})
    assert not template.constraints_hold({"n": 3, "depth": 3})


def test_parse_assignment_types_values(template):
    values = parse_assignment(template, ["n=3", "verify=yes", "fin=b", "t=0.25"])
    assert values["n"] == 3 and values["verify"] is True and values["fin"].name == "b" and values["t"] == 0.25
    for bad in (["n=x"], ["nope=1"], ["verify=maybe"], ["fin=c"], ["n"]):
        with pytest.raises(InstantiateError):
            parse_assignment(template, bad)


def test_value_outside_domain_is_refused(template):
    with pytest.raises(InstantiateError) as error:
        template.instantiate({"n": 4})
    assert error.value.diagnostics[0].code == "S007"


def test_reads_track_the_parameters_used(template):
    reads = set()
    template.instantiate({"depth": 1}, reads=reads)
    assert reads == {"n", "t", "depth", "verify", "fin"}


def test_expand_round_trips(template):
    arch = template.instantiate({"depth": 3, "verify": True})
    again = load_text(arch.to_arch()).instantiate()
    assert arch.same_as(again)


def test_include_brings_declarations(tmp_path):
    (tmp_path / "models.arch").write_text('model a = "openai/gpt-4o"\npool p = [a, a]\n')
    (tmp_path / "main.arch").write_text(
        'include "models.arch"\nlayer generator { models = p }\nlayer fuser { model = a }\n'
    )
    from archon_dsl.loader import load

    arch = load(tmp_path / "main.arch").instantiate()
    assert [len(layer.models) for layer in arch.layers] == [2, 1]


def test_env_values_are_kept_for_run_time(monkeypatch):
    template = load_text(
        'model a = "openai/x" { api_base = env("ARCHON_TEST_BASE", "http://d") }\nlayer generator { model = a }'
    )
    model = template.instantiate().layers[0].models[0]
    assert model.api_base.resolve() == "http://d"
    monkeypatch.setenv("ARCHON_TEST_BASE", "http://e")
    assert model.api_base.resolve() == "http://e"
    assert 'env("ARCHON_TEST_BASE", "http://d")' in template.instantiate().to_arch()


def test_fallbacks_may_name_a_model_declared_later():
    template = load_text(
        'model a = "openai/gpt-4o" { fallbacks = [b] }\nmodel b = "openai/gpt-4o-mini"\nlayer generator { model = a }'
    )
    assert template.diagnostics == []
    assert template.instantiate().layers[0].models[0].fallbacks == ("openai/gpt-4o-mini",)


def test_executed_unit_tests_cost_no_calls():
    arch = load_text(
        'model m = "openai/gpt-4o"\nlayer generator { model = m; samples = 4 }\n'
        'layer unit_test_generator { model = m }\nlayer unit_test_evaluator { model = m; mode = "execute" }'
    ).instantiate()
    assert arch.calls_per_query() == 5


def test_wrongly_typed_defaults_and_provider_options_are_reported():
    from archon_dsl.checker import check_text

    text = 'defaults { temperature = "hot" }\nprovider "openai" { rpm = "many" }\nmodel m = "openai/gpt-4o"\nlayer generator { model = m }'
    found = {(d.code, d.span.line) for d in check_text(text).diagnostics}
    assert {("S012", 1), ("S012", 2)} <= found


def test_wrongly_typed_model_options_are_reported_at_the_value():
    from archon_dsl.checker import check_text

    text = 'model m = "openai/gpt-4o" { temperature = "hot"; seed = 3 }\nlayer generator { model = m }'
    [d] = [d for d in check_text(text).diagnostics if d.code == "S012"]
    assert (d.span.line, d.span.column) == (1, 43)
    assert d.message == "option `temperature` of model 'm' needs a number, got string"
    template = load_text(
        'model m = "openai/gpt-4o" { temperature = 1; max_tokens = 100; seed = 3 }\nlayer generator { model = m }'
    )
    model = template.instantiate().layers[0].models[0]
    assert (model.temperature, model.max_tokens, model.params) == (1.0, 100, {"seed": 3})
    assert model == model.model_validate(model.model_dump())  # constructed exactly as validation would


# ---------------------------------------------------------------------------
# Conditional parameters (`when`)
# ---------------------------------------------------------------------------

CONDITIONAL = """
model a = "sim/a"
model b = "sim/b"
pool fusers = [a, b, a, b]
param n: int = 2 in 1..3
param layers: int = 1 in 1..3
param f1: int = 1 in 1..4 when layers >= 2
param f2: int = 1 in 1..4 when layers >= 3
param wide: bool = false when layers >= 2
param w: int = 2 in {2, 3} when wide
layer generator { models = fusers[:n] }
repeat i in 0..layers - 2 { layer fuser { models = fusers[:[f1, f2][i]] } }
if layers >= 2 and wide { layer fuser { model = b; samples = w } }
layer fuser { model = a }
"""


@pytest.fixture(scope="module")
def conditional():
    return load_text(CONDITIONAL, "c.arch")


def test_a_parameter_exists_only_where_its_condition_holds(conditional):
    assert conditional.diagnostics == []
    assert conditional.active_params({"layers": 1}) == {"n", "layers"}
    assert conditional.active_params({"layers": 3, "wide": True}) == {"n", "layers", "f1", "f2", "wide", "w"}
    # Under an absent parameter, a condition is false: w's parent `wide` does not exist at layers=1.
    assert "w" not in conditional.active_params({"layers": 1, "wide": True})
    assert conditional.canonical({"layers": 2, "f2": 4, "w": 3}) == {
        "n": 2,
        "layers": 2,
        "f1": 1,
        "wide": False,
    }
    arch = conditional.instantiate({"layers": 2, "f1": 3, "f2": 4})
    assert arch.assignment == {"n": 2, "layers": 2, "f1": 3, "wide": False}


def test_canonical_points_are_equal_exactly_for_the_same_architecture(conditional):
    by_canonical: dict[str, str] = {}
    by_arch: dict[str, str] = {}
    for point in conditional.points():
        key = repr(conditional.canonical(point))
        text = conditional.instantiate(point).to_arch()
        assert by_canonical.setdefault(key, text) == text  # same canonical point: same architecture
        assert by_arch.setdefault(text, key) == key  # same architecture: same canonical point
    distinct = list(conditional.distinct_points())
    assert sorted(map(repr, distinct)) == sorted(by_canonical)
    assert conditional.distinct_size() == len(distinct) == 3 * (1 + 4 * 3 + 16 * 3) == 183
    assert conditional.raw_size() == 3 * 3 * 4 * 4 * 2 * 2


def test_sampling_is_uniform_over_distinct_architectures(conditional):
    drawn = conditional.sample(150, seed=3)
    assert len({repr(p) for p in drawn}) == 150
    assert all(conditional.canonical(p) == p for p in drawn)
    # 3 of 183 architectures have one layer, though 64 of 576 raw points do: a raw draw would take ~17 of 150.
    assert sum(p["layers"] == 1 for p in drawn) <= 6
    assert sorted(map(repr, conditional.sample(500))) == sorted(map(repr, conditional.distinct_points()))


def test_an_unconditional_space_samples_as_it_always_has(template):
    import random

    rng = random.Random(5)
    grids = [p.grid() for p in template.params.values()]
    chosen: dict[tuple, dict] = {}
    while len(chosen) < 20:
        combo = tuple(rng.randrange(len(g)) for g in grids)
        values = [g[i] for g, i in zip(grids, combo, strict=True)]
        chosen.setdefault(combo, dict(zip(template.params, values, strict=True)))
    assert template.sample(20, seed=5) == list(chosen.values())
    assert list(template.distinct_points()) == list(template.points())


def test_reading_an_inactive_parameter_says_where_it_exists():
    template = load_text(
        'model a = "sim/a"\nparam k: int = 1 in 1..2\nparam f: int = 1 in 1..2 when k == 2\n'
        "layer generator { model = a; samples = f }"
    )
    with pytest.raises(InstantiateError) as error:
        template.instantiate({"k": 1})
    [diagnostic] = error.value.diagnostics
    assert diagnostic.code == "S005" and diagnostic.span.line == 4
    assert diagnostic.message == "'f' does not exist here: it exists only when k == 2"


def test_a_value_for_an_inactive_parameter_is_refused(conditional):
    with pytest.raises(InstantiateError) as error:
        parse_assignment(conditional, ["layers=1", "f2=3"])
    [diagnostic] = error.value.diagnostics
    assert diagnostic.code == "E006"
    assert (
        diagnostic.message
        == "'f2' does not exist at this point: it exists only when layers >= 3, and here layers=1"
    )
    assert parse_assignment(conditional, ["layers=3", "f2=3"]) == {"layers": 3, "f2": 3}
