import pytest

from archon_dsl.components import COMPONENTS, OutputError

from .helpers import layer, state, user_prompt

FUSER = COMPONENTS["fuser"]


def test_models_times_samples_calls_reading_candidates_and_critiques():
    specs = FUSER.calls(
        layer("fuser", "a", "b", samples=2), state("41", "42", critiques=("off by one", None)), 3
    )
    assert [(s.model.name, s.sample) for s in specs] == [("a", 0), ("a", 1), ("b", 0), ("b", 1)]
    prompt = user_prompt(specs[0])
    assert "<query>\nWhat is 6 * 7?\n</query>" in prompt
    assert '<candidate id="2">\n42\n</candidate>' in prompt
    assert '<critique id="1">\noff by one\n</critique>' in prompt and '<critique id="2">' not in prompt


def test_no_critiques_section_without_critiques():
    [spec] = FUSER.calls(layer("fuser"), state("x"), 1)
    assert "Critiques" not in user_prompt(spec)


def test_fused_responses_replace_candidates_and_clear_critiques():
    st = state("41", "42", critiques=("bad", "good"))
    new, degradations = FUSER.combine(layer("fuser", "a", samples=2), st, 2, ["Answer: 42", "Answer: 42!"])
    assert [(c.text, c.critique, c.source) for c in new.candidates] == [
        ("Answer: 42", None, "L2:openai/a#0"),
        ("Answer: 42!", None, "L2:openai/a#1"),
    ]
    assert degradations == []


def test_a_failed_fusion_is_left_out():
    new, [d] = FUSER.combine(layer("fuser", "a", "b"), state("x"), 2, [None, "fused"])
    assert [c.text for c in new.candidates] == ["fused"]
    assert d.call == "fuser[0]"


def test_all_fusions_failed_passes_input_on_without_critiques():
    st = state("x", "y", critiques=("cx", "cy"))
    new, degradations = FUSER.combine(layer("fuser"), st, 2, [None])
    assert [(c.text, c.critique) for c in new.candidates] == [("x", None), ("y", None)]
    assert degradations[-1].action.startswith("passed the 2 input candidates on unfused")


def test_empty_fusion_is_unusable():
    [spec] = FUSER.calls(layer("fuser"), state("x"), 1)
    with pytest.raises(OutputError):
        spec.parse("")
