"""Suites that score without a model or a sandbox: MATH, GSM8K, MixEval; loading and bad files."""

import json

import anyio
import pytest

from archon_dsl.datasets import DatasetError
from archon_dsl.itas.scorers import ScoreContext
from archon_dsl.suites import SuiteError, get_suite
from archon_dsl.suites.hendrycks_math import is_equiv, strip_string
from tests.suites.support import FIXTURES


def row_scores(suite, answers, rows):
    return anyio.run(lambda: suite.scorer().row_scores(answers, rows, ScoreContext()))


def scores(suite, answers, rows):
    return [s.score for s in row_scores(suite, answers, rows)]


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("\\frac12", "0.5"),
        ("0.5", "1/2"),
        ("\\frac12", "1/2"),
        ("\\dfrac{1}{2}", "\\frac{1}{2}"),
        ("\\tfrac{3}{4}", "0.75"),
        ("x = 5", "5"),
        ("5 \\text{ cm}", "5"),
        ("\\left( -2, 2 \\right)", "(-2,2)"),
        ("90^\\circ", "90"),
        ("50\\%", "50"),
        ("\\$18.90", "18.90"),
        ("\\sqrt2", "\\sqrt{2}"),
        ("1,000", "1000"),
        (".5", "\\frac{1}{2}"),
    ],
)
def test_math_equivalences(answer, expected):
    assert is_equiv(answer, expected)


@pytest.mark.parametrize(
    "answer, expected", [("\\frac13", "0.33"), ("2", "-2"), ("\\sqrt{3}", "\\sqrt{2}"), ("(-2,2]", "(-2,2)")]
)
def test_math_non_equivalences(answer, expected):
    assert not is_equiv(answer, expected)


def test_strip_string_is_the_papers():
    assert strip_string("\\dfrac{1}{2}") == "\\frac{1}{2}"
    assert strip_string("3/4") == "\\frac{3}{4}"
    assert strip_string("\\frac12") == "\\frac{1}{2}"


def test_math_suite_reads_answers_from_solutions_and_scores_boxed():
    suite = get_suite("math")
    rows = suite.load(FIXTURES / "math.jsonl")
    assert [r["answer"] for r in rows] == ["\\frac{1}{2}", "3", "\\sqrt{2}", "\\left(-2, 2\\right)", "2"]
    assert rows[4]["id"] == "test/prealgebra/1.json"
    replies = [
        "It is one half: \\boxed{0.5}",
        "So x = \\boxed{x=3}.",
        "\\boxed{\\sqrt2}",
        "The interval is \\boxed{[-2, 2]}",
        "Final answer: 2",
    ]
    graded = row_scores(suite, replies, rows)
    assert [s.score for s in graded] == [1.0, 1.0, 1.0, 0.0, 1.0]
    assert graded[3].detail["extracted"] == "[-2, 2]"
    summary = suite.summarize(rows, graded)
    assert summary.value == pytest.approx(80.0)
    assert summary.low <= 80.0 <= summary.high


def test_gsm8k_takes_the_number_after_hashes(tmp_path):
    suite = get_suite("gsm8k")
    rows = suite.load(FIXTURES / "gsm8k_50.jsonl", limit=3)
    assert [r["answer"] for r in rows] == ["80", "41", "952"]
    replies = ["4 * 8 = 32, 48 + 32 = 80.\n#### 80", "The answer is 41 pencils.", "The change is $953."]
    assert scores(suite, replies, rows) == [1.0, 1.0, 0.0]
    rows = suite.load(FIXTURES / "gsm8k_50.jsonl")
    assert len(rows) == 50
    thousands = next(r for r in rows if "1,000" in r["question"])
    assert scores(suite, [f"#### {int(thousands['answer']):,}"], [thousands]) == [1.0]


def test_gsm8k_refuses_an_answer_without_hashes(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"question": "q", "answer": "just 5"}) + "\n")
    with pytest.raises(DatasetError, match="####"):
        get_suite("gsm8k").load(path)


def test_mixeval_free_form_and_multiple_choice():
    suite = get_suite("mixeval")
    free = suite.load(FIXTURES / "mixeval_free-form.json")
    assert [r["kind"] for r in free] == ["free-form", "free-form"]
    assert "Tom has 3 apples" in free[1]["question"]
    assert scores(suite, ["The capital is Paris.", "Two"], free) == [1.0, 1.0]
    assert scores(suite, ["Lyon", "3"], free) == [0.0, 0.0]
    mc = suite.load(FIXTURES / "mixeval_multiple-choice.json")
    assert "B. Jupiter" in mc[0]["question"] and mc[0]["targets"] == ["B"]
    assert scores(suite, ["B", "The answer is (C)."], mc) == [1.0, 1.0]
    assert scores(suite, ["A", "Jupiter"], mc) == [0.0, 0.0]


def test_unknown_suite_suggests_a_name():
    with pytest.raises(SuiteError) as caught:
        get_suite("humaneva")
    assert "humaneval" in caught.value.diagnostics[0].hint


def test_a_file_of_another_suite_names_the_missing_field():
    with pytest.raises(DatasetError) as caught:
        get_suite("mbpp").load(FIXTURES / "math.jsonl")
    assert "task_id" in str(caught.value) and "math.jsonl:1" in str(caught.value)


def test_a_suite_without_a_packaged_file_needs_data():
    with pytest.raises(DatasetError, match="needs its data file"):
        get_suite("gsm8k").load(None)
