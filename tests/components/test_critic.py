import json

import pytest

from archon_dsl.components import COMPONENTS, OutputError
from archon_dsl.components.critic import RESPONSE_FORMAT, parse_critiques

from .helpers import layer, state, user_prompt

CRITIC = COMPONENTS["critic"]


def test_one_call_per_model_showing_every_candidate():
    specs = CRITIC.calls(layer("critic"), state("41", "42"), 1)
    assert len(specs) == 1
    prompt = user_prompt(specs[0])
    assert (
        '<candidate id="1">\n41\n</candidate>' in prompt and '<candidate id="2">\n42\n</candidate>' in prompt
    )
    assert "2 critiques in all" in prompt
    assert specs[0].response_format == RESPONSE_FORMAT
    assert RESPONSE_FORMAT["json_schema"]["name"] == "archon_critiques"


def test_no_candidates_no_calls():
    assert CRITIC.calls(layer("critic"), state(), 1) == []


def test_json_critiques_keyed_by_candidate_number_in_any_order():
    reply = json.dumps(
        {
            "critiques": [
                {"candidate": 2, "strengths": "right", "weaknesses": "terse"},
                {"candidate": 1, "strengths": "clear", "weaknesses": "wrong sum"},
            ]
        }
    )
    assert parse_critiques(reply, 2) == [
        "Strengths: clear\nWeaknesses: wrong sum",
        "Strengths: right\nWeaknesses: terse",
    ]


def test_json_in_a_fence_after_prose():
    reply = 'Here you go:\n```json\n{"critiques": [{"candidate": 1, "strengths": "ok", "weaknesses": "none"}]}\n```'
    assert parse_critiques(reply, 1) == ["Strengths: ok\nWeaknesses: none"]


def test_headed_sections_and_numbered_lists():
    headed = (
        "**Candidate 1:** Strengths: tidy. Weaknesses: 6*7 is not 41.\n\n**Candidate 2:** Correct and brief."
    )
    assert parse_critiques(headed, 2) == ["Strengths: tidy. Weaknesses: 6*7 is not 41.", "Correct and brief."]
    numbered = "1. Good working, wrong total.\n   Check the last step.\n2. Fine."
    assert parse_critiques(numbered, 2) == ["Good working, wrong total.\nCheck the last step.", "Fine."]


@pytest.mark.parametrize(
    "reply, message",
    [
        (
            json.dumps({"critiques": [{"candidate": 1, "strengths": "a", "weaknesses": "b"}]}),
            r"no critique for candidate\(s\) \[2\]",
        ),
        (
            json.dumps(
                {
                    "critiques": [
                        {"candidate": 1, "strengths": "a", "weaknesses": "b"},
                        {"candidate": 1, "strengths": "c", "weaknesses": "d"},
                    ]
                }
            ),
            "several critiques",
        ),
        (json.dumps({"critiques": ["only one"]}), "1 critiques for 2 candidates"),
        ("Candidate 1: fine\nCandidate 3: bad", "unknown candidate"),
        ("They all look fine to me.", "no critiques found"),
    ],
)
def test_count_mismatches_are_output_errors(reply, message):
    with pytest.raises(OutputError, match=message):
        parse_critiques(reply, 2)


def test_combine_attaches_each_critique_to_its_own_candidate():
    st = state("41", "42")
    new, degradations = CRITIC.combine(layer("critic"), st, 1, [["too small", "right"]])
    assert [(c.text, c.critique) for c in new.candidates] == [("41", "too small"), ("42", "right")]
    assert degradations == []
    assert st.candidates[0].critique is None  # the input state is untouched


def test_failed_call_leaves_no_critique_rather_than_a_shifted_one():
    st = state("41", "42", critiques=("stale", "stale"))
    new, degradations = CRITIC.combine(layer("critic"), st, 3, [None])
    assert [c.critique for c in new.candidates] == [None, None]
    [d] = degradations
    assert (d.layer, d.kind, d.call) == (3, "critic", "critic[0]")
    assert "no critique" in d.action


def test_several_critic_models_are_labelled_and_a_failed_one_is_skipped():
    new, degradations = CRITIC.combine(layer("critic", "a", "b"), state("x", "y"), 1, [["ax", "ay"], None])
    assert [c.critique for c in new.candidates] == ["[a]\nax", "[a]\nay"]
    assert [d.call for d in degradations] == ["critic[1]"]
