"""Judged suites with a scripted judge: MT-Bench ratings, Arena-Hard verdicts and Bradley-Terry, AlpacaEval."""

import json
import re

import anyio
import pytest

from archon_dsl.suites import get_suite
from archon_dsl.suites.arena_hard import model_points, parse_verdict
from archon_dsl.suites.base import RowScore
from archon_dsl.suites.mt_bench import parse_rating
from tests.suites.support import FIXTURES, candidates, scripted


def row_scores(suite, answers, rows, ctx):
    return anyio.run(lambda: suite.scorer("openai/judge").row_scores(answers, rows, ctx))


@pytest.mark.parametrize(
    "text, rating",
    [
        ("Good answer. Rating: [[8]]", 8.0),
        ("Rating: [[7.5]] ... later [[3]]", 7.5),  # FastChat takes the first
        ("I give it [9].", 9.0),
        ("Rating: 6", 6.0),
        ("Overall: 4/10", 4.0),
        ("I would rate it 7 out of 10.", 7.0),
        ("No score here.", None),
        ("Rating: [[11]]", None),
    ],
)
def test_mt_bench_rating_with_and_without_brackets(text, rating):
    assert parse_rating(text) == rating


def test_mt_bench_grades_both_turns_with_reference_for_math():
    suite = get_suite("mt_bench")
    rows = suite.load(FIXTURES / "mt_bench_question.jsonl")
    assert rows[1]["turns"][1] == "And what is that number squared?" and "question" not in rows[1]
    ratings = iter(["Fine. Rating: [[8]]", "Rating: 6", "[[10]]", "no idea"] + ["still none"] * 2)
    ctx, asked = scripted(lambda system, user: next(ratings))
    got = row_scores(suite, [["haiku", "A haiku"], ["144", "20736"]], rows, ctx)
    # Writing: single-v1 then the multi-turn prompt; math: reference-guided, both turns.
    assert "[The Start of Assistant's Answer]\nhaiku" in asked[0][1]
    assert "second user question" in asked[1][0] and "### Assistant A:\nA haiku" in asked[1][1]
    assert "[The Start of Reference Answer]\n144" in asked[2][1]
    assert "Reference answer:\n20736" in asked[3][1] and "second question" in asked[3][0]
    assert len(asked) == 5  # the unparsed judgement is asked once more, then left out
    assert got[0].detail["ratings"] == [8.0, 6.0] and got[1].detail["ratings"] == [10.0, None]
    summary = suite.summarize(rows, got)
    assert summary.value == pytest.approx(8.0) and summary.unit == "/10"
    assert summary.extra["unjudged turns"] == 1 and summary.extra["turn 2"] == 6.0


@pytest.mark.parametrize(
    "text, verdict",
    [
        ("My final verdict is: [[A>>B]]", "A>>B"),
        ("[[A>B]]", "A>B"),
        ("My final verdict is tie: [[A=B]]", "A=B"),
        ("[[B>A]]", "B>A"),
        ("[[B>>A]]", "B>>A"),
        ("[[B<A]]", "A>B"),
        ("first [[A>B]] then [[B>A]]", None),
        ("[[A>B]] as I said, [[A>B]]", "A>B"),
        ("no label", None),
    ],
)
def test_arena_hard_verdict_labels(text, verdict):
    assert parse_verdict(text) == verdict


def test_arena_hard_points_weigh_decisive_verdicts():
    assert model_points("A>>B", model_is_a=True) == (1.0, 3.0)
    assert model_points("A>>B", model_is_a=False) == (0.0, 3.0)
    assert model_points("B>A", model_is_a=False) == (1.0, 1.0)
    assert model_points("A=B", model_is_a=True) == (0.5, 1.0)


def test_arena_hard_plays_both_orders_against_the_published_baseline():
    suite = get_suite("arena_hard")
    rows = suite.load(FIXTURES / "arena_hard" / "question.jsonl")
    assert rows[0]["baseline"] == "Baseline answer to q1."

    def judge(system, user):
        a = re.search(r"Assistant A's Answer\|>\n(.*?)\n<\|The End", user, re.DOTALL).group(1)
        return "[[A>>B]]" if a.startswith("GOOD") else "[[B>>A]]" if "GOOD" in user else "[[A=B]]"

    ctx, asked = scripted(judge)
    got = row_scores(suite, ["GOOD one", "GOOD two", "meh"], rows, ctx)
    assert len(asked) == 6
    assert [s.score for s in got] == [1.0, 1.0, 0.5]
    summary = suite.summarize(rows, got)
    assert (
        summary.extra["verdicts (model as A)"]["A>>B"] == 4
        and summary.extra["verdicts (model as A)"]["A=B"] == 2
    )
    assert 50 < summary.value < 100 and summary.low <= summary.value <= summary.high


def test_arena_hard_all_ties_score_fifty():
    suite = get_suite("arena_hard")
    rows = suite.load(FIXTURES / "arena_hard" / "question.jsonl")
    ties = [
        RowScore(0.5, {"games": [{"verdict": "A=B", "model_is_a": m} for m in (False, True)]}) for _ in rows
    ]
    assert suite.summarize(rows, ties).value == pytest.approx(50.0, abs=1e-6)


def test_arena_hard_without_baseline_answers_says_where_to_put_them(tmp_path):
    (tmp_path / "question.jsonl").write_text(
        json.dumps({"question_id": "x", "turns": [{"content": "hi"}]}) + "\n"
    )
    with pytest.raises(Exception, match="baseline"):
        get_suite("arena_hard").load(tmp_path / "question.jsonl")


def test_alpaca_eval_win_rate_and_length_control():
    suite = get_suite("alpaca_eval")
    rows = suite.load(FIXTURES / "alpaca_eval.json")
    assert rows[0]["baseline"] == "Red is a primary colour."

    def judge(system, user):
        shown = candidates(user)
        wins = [i for i, c in enumerate(shown) if c.startswith("WIN")]
        best = 1 + (wins[0] if wins else next(i for i, c in enumerate(shown) if not c.startswith("LOSE")))
        return json.dumps({"ranking": [best, 3 - best]})

    ctx, _ = scripted(judge)
    got = row_scores(suite, ["WIN blue", "WIN salut", "LOSE four"], rows, ctx)
    assert [s.score for s in got] == [1.0, 1.0, 0.0]
    summary = suite.summarize(rows, got)
    assert summary.extra["win rate"] == pytest.approx(200 / 3)
    assert 0 <= summary.value <= 100


def test_length_control_discounts_wins_that_come_with_length():
    from archon_dsl.suites.alpaca_eval import length_controlled

    # Longer answers win 90% of their games, shorter ones 40%: the raw win rate flatters length.
    prefs = [1.0] * 54 + [0.0] * 6 + [1.0] * 8 + [0.0] * 12
    diffs = [400.0] * 60 + [-400.0] * 20
    raw = sum(prefs) / len(prefs)
    assert 0.4 < length_controlled(prefs, diffs) < raw - 0.05
    # When length says nothing about the preference, the length-controlled rate is the raw one.
    even = [1.0, 0.0] * 40
    assert length_controlled(even, [400.0, 400.0, -400.0, -400.0] * 20) == pytest.approx(0.5, abs=0.01)
