"""`archonc search --suite`: the search runs on a suite's questions with its scoring, as `archonc eval` does."""

import json
from pathlib import Path

import anyio
import pytest

from archon_dsl.cli import dispatch
from archon_dsl.itas.scorers import ScoreContext
from archon_dsl.suites import get_suite
from tests.suites.support import FIXTURES

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = str(ROOT / "examples" / "itas_sim.arch")
SMALL = """archon "small space"
model s1 = "sim/s1" { skill = 0.5 }
model s2 = "sim/s2" { skill = 0.8 }
pool generators = [s1, s2]
param n_gen: int = 1 in 1..2
layer generator { models = generators[:n_gen] }
layer fuser { model = s2 }
"""


def test_search_on_a_suite_scores_with_the_suites_scorer(tmp_path, capsys):
    template = tmp_path / "small.arch"
    template.write_text(SMALL)
    code = dispatch(
        [
            "search",
            str(template),
            "--suite",
            "gsm8k",
            "--data",
            str(FIXTURES / "gsm8k_50.jsonl"),
            "--sim",
            "--trials",
            "2",
            "--strategy",
            "random",
            "--no-progress",
            "--no-cache",
            "--json",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    result = json.loads(out)
    assert result["rows_dev"] + result["rows_held_out"] == 50  # the suite's 50 questions
    assert 0.0 <= result["best"]["score"] <= 1.0


def test_the_suites_scorer_is_a_search_scorer():
    suite = get_suite("gsm8k")
    rows = suite.load(FIXTURES / "gsm8k_50.jsonl", limit=2)
    scorer = suite.scorer()
    got = anyio.run(lambda: scorer.ascore_all([f"#### {rows[0]['answer']}", "#### -1"], rows, ScoreContext()))
    assert got == [1.0, 0.0] and scorer.name == "gsm8k"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--suite", "gsm8k", "--scorer", "exact"], "leave out --scorer"),
        ([], "give --data and --scorer, or --suite NAME"),
        (
            ["--suite", "mt_bench", "--data", str(FIXTURES / "mt_bench_question.jsonl")],
            "archonc eval --suite mt_bench",
        ),
        (["--suite", "gsm8k"], "needs its data file"),
    ],
)
def test_search_suite_usage_errors(capsys, args, message):
    assert dispatch(["search", TEMPLATE, *args, "--sim", "--no-progress"]) == 2
    assert message in capsys.readouterr().err
