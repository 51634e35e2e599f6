"""Scorers: exact and numeric match (\\boxed{}, commas, units), multiple choice, regex, code execution,
the pairwise judge (on the sim) and custom module:function scorers."""

from __future__ import annotations

import pytest

from archon_dsl.itas.scorers import ScorerError, get_scorer, last_number, pick_letter


@pytest.mark.parametrize(
    "reply, expected, score",
    [
        ("The answer is \\boxed{1,234}.", "1234", 1.0),
        ("So she pays $1,234.50 in total.", "1234.5", 1.0),
        ("#### 72", 72, 1.0),
        ("It is 12 cm long.", "12", 1.0),
        ("\\boxed{\\frac{3}{4}}", "0.75", 1.0),
        ("First 3 apples, then 5 more: 8 apples", "8", 1.0),
        ("Answer: 41", "42", 0.0),
        ("I cannot tell.", "42", 0.0),
        ("The total is -7.", "-7", 1.0),
    ],
)
def test_numeric(reply, expected, score):
    assert get_scorer("numeric").score(reply, {"answer": expected}) == score


@pytest.mark.parametrize(
    "reply, expected, score",
    [
        ("Paris", "paris", 1.0),
        ("Answer: Paris.", "Paris", 1.0),
        ("\\boxed{1,000}", "1000", 1.0),
        ("The capital is Paris, of course", "Paris", 0.0),
        ("  new   york ", "New York", 1.0),
        ("$5", "5 dollars", 1.0),
    ],
)
def test_exact(reply, expected, score):
    assert get_scorer("exact").score(reply, {"answer": expected}) == score


def test_numeric_refuses_a_non_numeric_reference():
    with pytest.raises(ScorerError, match="not a number"):
        get_scorer("numeric").score("12", {"id": "q", "answer": "Paris"})


@pytest.mark.parametrize(
    "reply, letter",
    [
        ("The answer is (B).", "B"),
        ("C", "C"),
        ("Answer: D", "D"),
        ("\\boxed{A}", "A"),
        ("B) because sodium is Na", "B"),
        ("I would say the answer is a guess", None),
        ("It is Mars.", "D"),
    ],
)
def test_multiple_choice_letter(reply, letter):
    assert pick_letter(reply, ["Mercury", "Venus", "Jupiter", "Mars"], "ABCD") == letter


def test_multiple_choice_scorer_on_a_dataset_row():
    from archon_dsl.datasets import load_dataset

    row = load_dataset("multiple_choice")[0]  # sodium: C) Na
    mc = get_scorer("mc")
    assert mc.score("The answer is C.", row) == 1.0
    assert mc.score("Na", row) == 1.0
    assert mc.score("(A)", row) == 0.0


def test_regex_with_and_without_a_pattern():
    assert get_scorer("regex").score("the colour is grey", {"answer": "gr[ae]y"}) == 1.0
    assert get_scorer("regex").score("the colour is blue", {"pattern": "gr[ae]y", "answer": "x"}) == 0.0
    extract = get_scorer(r"regex:FINAL:\s*(\w+)")
    assert extract.score("thinking...\nFINAL: Paris", {"answer": "paris"}) == 1.0
    assert extract.score("FINAL: Rome", {"answer": "paris"}) == 0.0
    with pytest.raises(ScorerError, match="bad regular expression"):
        get_scorer("regex:(unclosed")


def test_code_execution_against_tests():
    from archon_dsl.datasets import load_dataset

    row = load_dataset("python_functions")[0]
    code = get_scorer("code")
    assert code.score(f"Here you go:\n```python\n{row['answer']}```", row) == 1.0
    assert code.score(f"```python\n{row['buggy'][0]}```", row) == 0.0
    assert code.score("no code here", row) == 0.0


def test_last_number_prefers_the_stated_answer():
    assert last_number("Step 1: 3 + 4 = 7. The answer is 10, not 11") == 10.0


def test_judge_on_the_simulator(rows):
    from archon_dsl.itas import ExecutorEvaluator

    rows = [dict(r, baseline=f"The answer is {r['distractors'][0]}.") for r in rows[:6]]
    evaluator = ExecutorEvaluator("judge", sim=True, cache=False)
    try:
        right = evaluator.score_answers([f"It is {r['answer']}." for r in rows], rows)
        wrong = evaluator.score_answers(
            [f"It is {r['distractors'][1]}." for r in rows],
            [dict(r, baseline=f"It is {r['answer']}.") for r in rows],
        )
        same = evaluator.score_answers([r["baseline"] for r in rows], rows)
    finally:
        evaluator.close()
    assert sum(right) / len(right) >= 0.75  # a right answer beats a wrong baseline
    assert sum(wrong) / len(wrong) <= 0.25
    assert same == [0.5] * len(rows)  # the baseline itself ties


def test_judge_needs_a_baseline(rows):
    from archon_dsl.itas import ExecutorEvaluator

    evaluator = ExecutorEvaluator("judge", sim=True, cache=False)
    try:
        with pytest.raises(ScorerError, match="baseline"):
            evaluator.score_answers(["x"], [{"id": "1", "question": "q", "answer": "a"}])
    finally:
        evaluator.close()


def test_custom_scorer_from_a_file_and_from_a_module(tmp_path, monkeypatch):
    (tmp_path / "my_scores.py").write_text(
        "def length_match(answer, row):\n    return len(answer) == len(str(row['answer']))\n"
    )
    by_path = get_scorer(f"{tmp_path / 'my_scores.py'}:length_match")
    assert by_path.score("abc", {"answer": "xyz"}) == 1.0
    monkeypatch.syspath_prepend(str(tmp_path))
    by_module = get_scorer("my_scores:length_match")
    assert by_module.score("ab", {"answer": "xyz"}) == 0.0
    assert get_scorer(lambda answer, row: 0.25).score("a", {}) == 0.25
    with pytest.raises(ScorerError, match="no function"):
        get_scorer("my_scores:missing")
    with pytest.raises(ScorerError, match="cannot import"):
        get_scorer("no_such_module_here:f")


def test_unknown_scorer_suggests_a_name():
    with pytest.raises(ScorerError) as info:
        get_scorer("numerc")
    assert "numeric" in info.value.diagnostics[0].hint
