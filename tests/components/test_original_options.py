"""The original Archon's settings as layer options: what each component does with them."""

from __future__ import annotations

import pytest

from archon_dsl.checker import check_text
from archon_dsl.components import COMPONENTS
from archon_dsl.components.fuser import LENGTH_CONTROL

from .helpers import layer, state, user_prompt


def test_length_control_adds_the_instruction_after_the_prompt_even_an_overridden_one():
    [plain] = COMPONENTS["fuser"].calls(layer("fuser"), state("a", "b"), 1)
    [short] = COMPONENTS["fuser"].calls(layer("fuser", length_control=True), state("a", "b"), 1)
    [custom] = COMPONENTS["fuser"].calls(
        layer("fuser", length_control=True, prompt="Fuse {candidates}"), state("a"), 1
    )
    assert LENGTH_CONTROL not in user_prompt(plain)
    assert user_prompt(short).endswith(LENGTH_CONTROL) and user_prompt(custom).endswith(LENGTH_CONTROL)


@pytest.mark.parametrize(
    "kind", ["generator", "critic", "ranker", "fuser", "verifier", "unit_test_evaluator"]
)
def test_no_system_sends_no_system_message_and_keeps_its_text_in_the_user_message(kind):
    before = state("a", "b", tests=("assert f(1) == 2",))
    [with_system, *_] = COMPONENTS[kind].calls(layer(kind), before, 1)
    [without, *_] = COMPONENTS[kind].calls(layer(kind, no_system=True), before, 1)
    assert with_system.messages[0]["role"] == "system"
    assert [m["role"] for m in without.messages] == ["user"]
    assert without.messages[0]["content"] == with_system.messages[0]["content"] + "\n\n" + user_prompt(
        with_system
    )


def test_evaluator_first_k_keeps_the_first_k_passing_every_test_in_input_order():
    evaluator = COMPONENTS["unit_test_evaluator"]
    before = state("a", "b", "c", "d", tests=("t1", "t2"))
    results = [(True, False), (True, True), (True, True), (True, True)]
    kept, _ = evaluator.combine(layer("unit_test_evaluator", first_k=2, top_k=1), before, 2, results)
    assert [c.text for c in kept.candidates] == ["b", "c"]
    # Fewer than k pass everything: the ranking and top_k, as without first_k.
    kept, _ = evaluator.combine(
        layer("unit_test_evaluator", first_k=2, top_k=1),
        before,
        2,
        [(True, False), (False, False), (True, True), (False, True)],
    )
    assert [c.text for c in kept.candidates] == ["c"]


ARCH = 'model a = "openai/gpt-4o"\nlayer generator {{ model = a; samples = 3 }}\n{}\n'


@pytest.mark.parametrize(
    "layer_text, message",
    [
        ("layer verifier { model = a; steps = 3 }", "`steps` is 1 or 2, got 3"),
        ("layer verifier { model = a; first_k = 0 }", "`first_k` must be at least 1"),
        ("layer fuser { model = a; length_control = 1 }", "`length_control` is true or false"),
        ('layer fuser { model = a; no_system = "yes" }', "`no_system` is true or false"),
        ("layer ranker { model = a; batch_size = 16 }", "`batch_size` applies to reward-model rankers"),
        ("layer critic { model = a; first_k = 1 }", "first_k"),
    ],
)
def test_invalid_values_are_located_errors(layer_text, message):
    result = check_text(ARCH.format(layer_text), "bad.arch")
    errors = [d for d in result.diagnostics if d.is_error]
    assert any(message in d.message for d in errors), [d.message for d in result.diagnostics]
    assert all(d.span is not None for d in errors)


def test_valid_values_check_clean_of_value_errors():
    text = ARCH.format(
        "layer verifier { model = a; steps = 1; first_k = 2; no_system = true }\n"
        "layer fuser { model = a; length_control = true }"
    )
    assert not [d for d in check_text(text, "ok.arch").diagnostics if d.is_error]


def test_a_reward_model_ranker_takes_batch_size_and_is_reported_as_unrunnable_not_invalid():
    text = ARCH.format(
        'model pairrm = "llm-blender/PairRM"\nlayer ranker { model = pairrm; top_k = 1; batch_size = 8 }'
    )
    codes = {d.code for d in check_text(text, "pairrm.arch").diagnostics if d.is_error}
    assert "S004" in codes and "S012" not in codes  # the provider is unknown here; the option is fine
