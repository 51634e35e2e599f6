"""Code suites in the sandbox: HumanEval's program, MBPP's asserts, CodeContests' stdin/stdout, pass@k."""

import anyio
import pytest

from archon_dsl.itas.scorers import ScoreContext
from archon_dsl.runtime.isolation import bwrap_status
from archon_dsl.suites import get_suite
from archon_dsl.suites.base import RowScore
from archon_dsl.suites.execution import summarize_pass_at_k
from archon_dsl.suites.humaneval import program
from tests.suites.support import FIXTURES

pytestmark = pytest.mark.skipif(bwrap_status()[0] is None, reason="needs bubblewrap")


def row_scores(suite, answers, rows):
    return anyio.run(lambda: suite.scorer().row_scores(answers, rows, ScoreContext()))


def fenced(code: str) -> str:
    return f"Here it is:\n```python\n{code}\n```\nDone."


def test_humaneval_reads_the_packaged_problems():
    rows = get_suite("humaneval").load()
    assert len(rows) == 164 and rows[0]["id"] == "HumanEval/0"
    assert rows[0]["prompt"] in rows[0]["question"]


def test_humaneval_whole_function_body_only_and_wrong():
    suite = get_suite("humaneval")
    rows = suite.load(limit=3)
    whole = [fenced(r["prompt"] + r["canonical_solution"]) for r in rows]
    bodies = [fenced(r["canonical_solution"]) for r in rows]  # indented body, continuing the prompt
    wrong = [fenced("    return None") for _ in rows]
    got = row_scores(suite, whole + bodies + wrong + [None], rows * 3 + rows[:1])
    assert [s.score for s in got] == [1.0] * 6 + [0.0] * 3 + [0.0]
    assert got[0].detail == {"passed": 1, "tests": 1} and got[-1].detail == {"error": True}


def test_humaneval_program_keeps_the_prompts_imports():
    prompt = 'from typing import List\n\n\ndef f(xs: List[int]) -> int:\n    """Sum."""\n'
    assert program(prompt, "def f(xs: List[int]) -> int:\n    return sum(xs)", "f").startswith(prompt)
    assert program(prompt, "return sum(xs)", "f").endswith("    return sum(xs)\n")


def test_mbpp_runs_the_three_asserts_with_setup_code():
    suite = get_suite("mbpp")
    rows = suite.load(FIXTURES / "mbpp.jsonl")
    assert "Your code should pass these tests" in rows[0]["question"]
    right = [fenced(r["code"]) for r in rows]
    half_right = fenced("def is_not_prime(n):\n    return n == 10")  # passes 2 of 3
    got = row_scores(suite, [*right, half_right], [*rows, rows[1]])
    assert [s.score for s in got] == [1.0, 1.0, 1.0, 0.0]
    assert got[3].detail == {"passed": 2, "tests": 3}


def test_codecontests_compares_stdout_tokens_and_numbers():
    suite = get_suite("codecontests")
    rows = suite.load(FIXTURES / "codecontests.jsonl")
    assert len(rows[0]["io_tests"]) == 3  # private + generated; the public test is not hidden
    solutions = [
        "a, b = map(int, input().split())\nprint(a + b)",
        "import sys\ndata = sys.stdin.read().split()\nfor x in data[1:]:\n    print(int(x) / 2)",
    ]
    # 1.0 for "1" and 2.50 for "2.5": numbers compare by value; sys.exit(0) is a normal end.
    variants = [
        "import sys\na, b = map(int, sys.stdin.readline().split())\nsys.stdout.write(f'{a + b}\\n')\nsys.exit(0)",
        "n = int(input())\nprint(*[f'{int(x) / 2:.2f}' for x in input().split()], sep='\\n')",
        "print(0)",
    ]
    got = row_scores(suite, [fenced(s) for s in solutions + variants], rows + rows + rows[:1])
    assert [s.score for s in got] == [1.0, 1.0, 1.0, 1.0, 0.0]


def test_pass_at_k_groups_samples_by_problem():
    rows = [{"id": f"p{p}#{s}", "problem": f"p{p}"} for p in range(2) for s in range(4)]
    passed = [1, 0, 0, 0, 1, 1, 1, 1]
    summary = summarize_pass_at_k("pass@1", rows, [RowScore(float(x)) for x in passed])
    assert summary.n == 2 and summary.value == pytest.approx((25 + 100) / 2)
    assert summary.extra["pass@2"] == pytest.approx((50 + 100) / 2)
    assert "pass@5" not in summary.extra
