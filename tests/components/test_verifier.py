import pytest

from archon_dsl.components import COMPONENTS, OutputError
from archon_dsl.components.verifier import parse_verdict

from .helpers import layer, state, user_prompt

VERIFIER = COMPONENTS["verifier"]


@pytest.mark.parametrize(
    "reply, verdict",
    [
        ('{"reasoning": "6*7=42", "correct": true}', True),
        ('```json\n{"reasoning": "no", "correct": false}\n```', False),
        ('{"verdict": "incorrect"}', False),
        ("The multiplication checks out.\nVerdict: YES", True),
        ("**Verdict:** NO - the sum is off by one.", False),
        ("Let me check each step... all good.\n\nCorrect.", True),
        ("The response is not correct", False),
        ("YES", True),
        ("No. The second step drops a term.", False),
        ("Yes, the candidate is right: 6 * 7 = 42.", True),
    ],
)
def test_tolerant_verdicts(reply, verdict):
    assert parse_verdict(reply) is verdict


@pytest.mark.parametrize(
    "reply", ["Hard to say without more context about the units involved.", '{"correct": "maybe"}']
)
def test_unclear_verdicts_are_output_errors(reply):
    with pytest.raises(OutputError):
        parse_verdict(reply)


def test_one_step_is_one_call_per_candidate_showing_only_that_candidate():
    specs = VERIFIER.calls(layer("verifier", steps=1), state("41", "42"), 1)
    assert len(specs) == 2
    assert (
        "<candidate>\n41\n</candidate>" in user_prompt(specs[0])
        and "42" not in user_prompt(specs[0]).split("</query>")[1]
    )
    assert specs[1].response_format["json_schema"]["name"] == "archon_verdict"
    assert specs[0].then is None


def test_two_steps_by_default_reason_first_then_judge_the_candidate_with_that_reasoning():
    [spec] = VERIFIER.calls(layer("verifier"), state("41"), 1)
    assert spec.response_format is None and spec.parse("anything at all") == "anything at all"
    assert "<candidate>\n41\n</candidate>" in user_prompt(spec) and "verdict" not in user_prompt(spec).lower()
    verdict = spec.then("41 is off by one: 6 * 7 = 42.")
    assert "<reasoning>\n41 is off by one: 6 * 7 = 42.\n</reasoning>" in user_prompt(verdict)
    assert "<candidate>\n41\n</candidate>" in user_prompt(verdict)
    assert verdict.response_format["json_schema"]["name"] == "archon_verdict"
    assert verdict.parse('{"reasoning": "x", "correct": false}') is False
    assert (spec.tag, verdict.tag) == ("verifier[0].reasoning", "verifier[0]")


def test_a_prompt_override_shapes_the_reasoning_call_and_not_the_verdict():
    [spec] = VERIFIER.calls(
        layer("verifier", prompt="Check {candidate} for {query} in French."), state("41"), 1
    )
    assert user_prompt(spec).endswith("in French.")
    assert "in French" not in user_prompt(spec.then("ok"))


def test_first_k_keeps_the_first_k_judged_correct_in_order():
    new, _ = VERIFIER.combine(
        layer("verifier", first_k=2), state("a", "b", "c", "d"), 1, [True, False, True, True]
    )
    assert [c.text for c in new.candidates] == ["a", "c"]
    # Fewer than k correct: as without first_k (those correct, and the unverified).
    new, _ = VERIFIER.combine(layer("verifier", first_k=3), state("a", "b", "c"), 1, [True, None, False])
    assert [c.text for c in new.candidates] == ["a", "b"]


def test_keeps_the_candidates_judged_correct_in_order():
    new, degradations = VERIFIER.combine(layer("verifier"), state("a", "b", "c"), 1, [False, True, True])
    assert [(c.text, c.verdict) for c in new.candidates] == [("b", True), ("c", True)]
    assert degradations == []


def test_none_correct_keeps_all_flagged_in_order():
    new, _ = VERIFIER.combine(layer("verifier"), state("a", "b"), 1, [False, False])
    assert [(c.text, c.verdict) for c in new.candidates] == [("a", False), ("b", False)]


def test_failed_verdict_counts_as_unverified_and_is_kept():
    new, [d] = VERIFIER.combine(layer("verifier"), state("a", "b", "c"), 5, [False, None, True])
    assert [(c.text, c.verdict) for c in new.candidates] == [("b", None), ("c", True)]
    assert (d.layer, d.call) == (5, "verifier[1]") and "unverified" in d.action
