"""CodeContests (Li et al. 2022, "Competition-Level Code Generation with AlphaCode"): contest problems
read from stdin and written to stdout; a solution passes when it prints the expected output on every
hidden test (private and generated tests; the public ones when there are no others); pass@k.

Reads the published records as JSON Lines (name, description, public_tests, private_tests,
generated_tests; each tests field {"input": [...], "output": [...]}), as the dataset's JSON
export gives them. Output is compared token by token, numbers within 1e-6, as the checker does
for problems without a special judge. Solutions are Python (the paper also judges C++ and Java).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..components.parsing import extract_code
from ..datasets.reader import _error
from .base import RowScore, Suite, SuiteScore, require_fields
from .execution import run_jobs, stdio_test, summarize_pass_at_k, verdict_score

PROMPT = (
    "Solve the following competitive programming problem in Python 3. The program reads the input "
    "from standard input and writes the answer to standard output.\n\n{description}\n\n"
    "Reply with the whole program in one ```python code block."
)
MAX_TESTS = 50  # hidden tests run per problem at most (generated tests can number hundreds)


def _pairs(tests: Any) -> list[tuple[str, str]]:
    if not isinstance(tests, Mapping):
        return []
    return [
        (str(i), str(o)) for i, o in zip(tests.get("input") or [], tests.get("output") or [], strict=False)
    ]


class CodeContests(Suite):
    name = "codecontests"
    title = "CodeContests"
    source = "Li et al. 2022, Competition-Level Code Generation with AlphaCode (deepmind/code_contests)"
    data_format = (
        "JSONL: name, description, public_tests, private_tests, generated_tests ({input, output} lists)"
    )
    metric = "pass@1"
    needs_sandbox = True

    def row(self, record: Any, where: str, number: int) -> dict[str, Any]:
        r = require_fields(record, ("name", "description"), where, number, self.name)
        hidden = _pairs(r.get("private_tests")) + _pairs(r.get("generated_tests"))
        tests = (hidden or _pairs(r.get("public_tests")))[:MAX_TESTS]
        if not tests:
            raise _error(
                f"record {number} ({r['name']}) has no tests",
                where,
                number,
                'give public_tests, private_tests or generated_tests as {"input": [...], "output": [...]}',
            )
        return {
            "id": str(r["name"]),
            "question": PROMPT.format(description=r["description"]),
            "io_tests": tests,
        }

    async def score_rows(self, answers, rows, ctx, judge) -> list[RowScore]:
        jobs = [
            None if a is None else ("", [stdio_test(extract_code(a), i, o) for i, o in r["io_tests"]])
            for a, r in zip(answers, rows, strict=True)
        ]
        return [verdict_score(v) for v in await run_jobs(jobs, ctx)]

    def summarize(self, rows: Sequence[Mapping[str, Any]], scores: Sequence[RowScore]) -> SuiteScore:
        return summarize_pass_at_k(self.metric, rows, scores)
