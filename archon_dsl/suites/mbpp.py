"""MBPP (Austin et al. 2021, "Program Synthesis with Large Language Models"): short Python tasks, each
scored by its three assert tests in the sandbox (all must pass); pass@k.

Reads the published mbpp.jsonl (text, code, task_id, test_setup_code, test_list) or the sanitized
split (prompt, test_imports, test_list). The prompt is the paper's: the task, then the tests the
code should pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..components.parsing import extract_code
from .base import RowScore, Suite, SuiteScore, require_fields
from .execution import run_jobs, summarize_pass_at_k, verdict_score

PROMPT = (
    "You are an expert Python programmer, and here is your task: {text} "
    "Your code should pass these tests:\n\n{tests}\n\nReply with the code in one ```python code block."
)


class MBPP(Suite):
    name = "mbpp"
    title = "MBPP"
    source = "Austin et al. 2021, Program Synthesis with Large Language Models (google-research/mbpp)"
    data_format = "mbpp.jsonl: task_id, text (or prompt), code, test_setup_code, test_list"
    metric = "pass@1"
    needs_sandbox = True

    def row(self, record: Any, where: str, number: int) -> dict[str, Any]:
        r = require_fields(record, ("task_id", "test_list"), where, number, self.name)
        text = r.get("text") or r.get("prompt")
        if not text:
            require_fields(r, ("text",), where, number, self.name)
        setup = "\n".join(
            part for part in (r.get("test_setup_code") or "", "\n".join(r.get("test_imports") or [])) if part
        )
        tests = [str(t) for t in r["test_list"]]
        return {
            "id": str(r["task_id"]),
            "question": PROMPT.format(text=text, tests="\n".join(tests)),
            "tests": tests,
            "setup": setup,
            "code": r.get("code"),
        }

    async def score_rows(self, answers, rows, ctx, judge) -> list[RowScore]:
        jobs = [
            None
            if a is None
            else (extract_code(a), [f"{r['setup']}\n{t}" if r["setup"] else t for t in r["tests"]])
            for a, r in zip(answers, rows, strict=True)
        ]
        return [verdict_score(v) for v in await run_jobs(jobs, ctx)]

    def summarize(self, rows: Sequence[Mapping[str, Any]], scores: Sequence[RowScore]) -> SuiteScore:
        return summarize_pass_at_k(self.metric, rows, scores)
