import json

import pytest

from archon_dsl.components import COMPONENTS, OutputError
from archon_dsl.components.ranker import parse_ranking

from .helpers import layer, state, user_prompt

RANKER = COMPONENTS["ranker"]


@pytest.mark.parametrize(
    "reply",
    [
        '{"ranking": [2, 3, 1]}',
        '```json\n{"ranking": [2, 3, 1]}\n```',
        "Having weighed them, my ranking: [2] > [3] > [1]",
        "[2] > [3] > [1]",
        "2 > 3 > 1",
        "Ranking: 2, 3, 1",
        "Final ranking is Candidate 2, Candidate 3, Candidate 1.",
        "1. Candidate 2 - correct\n2. Candidate 3 - close\n3. Candidate 1 - wrong",
        "1. [2] correct\n2. [3] close\n3. [1] wrong",
        "[2, 3, 1]",
        '{"ranking": ["[2]", "Candidate 3", "1"]}',
        "I compared [1] with [2] at length.\n\nRanking: [2] > [3] > [1]",
    ],
)
def test_tolerant_ranking_formats(reply):
    assert parse_ranking(reply, 3) == [1, 2, 0]


@pytest.mark.parametrize(
    "reply, message",
    [
        ('{"ranking": [2, 1]}', r"candidate\(s\) \[3\] missing"),
        ('{"ranking": [2, 2, 1, 3]}', "more than once"),
        ('{"ranking": [1, 2, 3, 4]}', r"no candidate\(s\) \[4\]"),
        ("[2] > [1]", "missing"),
        ("They are all equally good.", "no ranking found"),
        ('{"ranking": [true, "best", 2]}', "not candidate numbers"),
    ],
)
def test_bad_rankings_are_output_errors(reply, message):
    with pytest.raises(OutputError, match=message):
        parse_ranking(reply, 3)


def test_prompt_shows_candidates_and_critiques():
    [spec] = RANKER.calls(layer("ranker", top_k=1), state("41", "42", critiques=("wrong", "right")), 2)
    prompt = user_prompt(spec)
    assert (
        '<critique id="1">\nwrong\n</critique>' in prompt
        and '<critique id="2">\nright\n</critique>' in prompt
    )
    assert spec.response_format["json_schema"]["name"] == "archon_ranking"
    assert spec.parse("[2] > [1]") == [1, 0]


def test_critiques_follow_their_candidates_and_top_k_is_kept():
    st = state("a", "b", "c", critiques=("on a", "on b", "on c"))
    new, degradations = RANKER.combine(layer("ranker", top_k=2), st, 2, [[2, 0, 1]])
    assert [(c.text, c.critique) for c in new.candidates] == [("c", "on c"), ("a", "on a")]
    assert degradations == []


def test_top_k_unset_keeps_all_and_top_k_above_n_keeps_all():
    st = state("a", "b")
    assert [c.text for c in RANKER.combine(layer("ranker"), st, 1, [[1, 0]])[0].candidates] == ["b", "a"]
    assert [c.text for c in RANKER.combine(layer("ranker", top_k=9), st, 1, [[1, 0]])[0].candidates] == [
        "b",
        "a",
    ]


def test_failed_ranking_keeps_input_order_and_says_so():
    st = state("a", "b", "c")
    new, [d] = RANKER.combine(layer("ranker", top_k=2), st, 4, [None])
    assert [c.text for c in new.candidates] == ["a", "b"]
    assert (d.layer, d.kind, d.call) == (4, "ranker", "ranker[0]")
    assert "kept the input order" in d.action


def test_several_rankers_average_positions_with_stable_ties():
    st = state("a", "b", "c")
    new, _ = RANKER.combine(layer("ranker", "x", "y"), st, 1, [[0, 1, 2], [1, 0, 2]])
    assert [c.text for c in new.candidates] == ["a", "b", "c"]  # a and b tie: input order
    new, degradations = RANKER.combine(layer("ranker", "x", "y"), st, 1, [None, [2, 1, 0]])
    assert [c.text for c in new.candidates] == ["c", "b", "a"]
    assert [d.call for d in degradations] == ["ranker[0]"]


def test_one_candidate_needs_no_call():
    st = state("only")
    assert RANKER.calls(layer("ranker"), st, 1) == []
    assert RANKER.combine(layer("ranker"), st, 1, []) == (st, [])


def test_ranking_json_from_a_real_looking_reply():
    reply = "Sure! Based on correctness:\n" + json.dumps({"ranking": [3, 1, 2]}) + "\nCandidate 3 is best."
    assert parse_ranking(reply, 3) == [2, 0, 1]
