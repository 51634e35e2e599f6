import pytest

from archon_dsl.components import COMPONENTS, OutputError, State, answer
from archon_dsl.components.generator import SYSTEM

from .helpers import layer, model, state, system_prompt, user_prompt

GEN = COMPONENTS["generator"]


def test_models_times_samples_calls_with_sample_index():
    specs = GEN.calls(layer("generator", "a", "b", samples=3), State(query="Q?"), 0)
    assert [(s.model.name, s.sample) for s in specs] == [
        ("a", 0),
        ("a", 1),
        ("a", 2),
        ("b", 0),
        ("b", 1),
        ("b", 2),
    ]
    assert [s.tag for s in specs] == [f"generator[{k}]" for k in range(6)]
    assert user_prompt(specs[0]) == "Q?"
    assert system_prompt(specs[0]) == SYSTEM
    assert specs[0].response_format is None


def test_sampling_options_layer_then_model_then_none():
    from archon_dsl.architecture import Layer

    hot = model("hot", temperature=0.9, max_tokens=100)
    plain = model("plain")
    [from_model] = GEN.calls(Layer(kind="generator", models=[hot]), State(query="q"), 0)
    assert (from_model.temperature, from_model.max_tokens) == (0.9, 100)
    [from_layer] = GEN.calls(
        Layer(kind="generator", models=[hot], temperature=0.2, max_tokens=7), State(query="q"), 0
    )
    assert (from_layer.temperature, from_layer.max_tokens) == (0.2, 7)
    [unset] = GEN.calls(Layer(kind="generator", models=[plain]), State(query="q"), 0)
    assert (unset.temperature, unset.max_tokens) == (None, None)


def test_prompt_and_system_overrides_fill_placeholders():
    [spec] = GEN.calls(
        layer("generator", prompt="Solve: {query} ({{braces}} stay)", system="Be terse."),
        State(query="2+2"),
        0,
    )
    assert user_prompt(spec) == "Solve: 2+2 ({braces} stay)"
    assert system_prompt(spec) == "Be terse."


def test_empty_reply_is_unusable():
    [spec] = GEN.calls(layer("generator"), State(query="q"), 0)
    with pytest.raises(OutputError):
        spec.parse("   \n")
    assert spec.parse("  42 \n") == "42"


def test_combine_makes_candidates_with_sources_and_drops_failed_calls():
    lay = layer("generator", "a", "b", samples=2)
    new, degradations = GEN.combine(lay, State(query="q"), 0, ["a0", None, "b0", "b1"])
    assert [c.text for c in new.candidates] == ["a0", "b0", "b1"]
    assert [c.source for c in new.candidates] == ["L0:openai/a#0", "L0:openai/b#0", "L0:openai/b#1"]
    assert len(degradations) == 1
    assert degradations[0].call == "generator[1]" and degradations[0].kind == "generator"
    assert "left out" in degradations[0].action
    assert answer(new) == "a0"


def test_combine_rejects_a_result_count_that_does_not_match_the_calls():
    with pytest.raises(ValueError, match="2 results for 3 calls"):
        GEN.combine(layer("generator", samples=3), State(query="q"), 0, ["x", "y"])


def test_answer_of_an_empty_state_is_none():
    assert answer(state()) is None
    assert answer(state("first", "second")) == "first"


def test_a_model_listed_twice_continues_its_sample_numbering():
    from archon_dsl.architecture import Layer, ModelSpec
    from archon_dsl.components import COMPONENTS
    from archon_dsl.components.base import State

    a, b = ModelSpec(name="a", id="sim/a"), ModelSpec(name="b", id="sim/b")
    layer = Layer(kind="generator", models=[a, a, b], samples=2)
    calls = COMPONENTS["generator"].calls(layer, State("q"), 0)
    assert [(c.model.name, c.sample) for c in calls] == [
        ("a", 0),
        ("a", 1),
        ("a", 2),
        ("a", 3),
        ("b", 0),
        ("b", 1),
    ]
