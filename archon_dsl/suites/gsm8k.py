"""GSM8K (Cobbe et al. 2021, "Training Verifiers to Solve Math Word Problems"): grade-school word
problems whose answer is the number after `####` in the reference solution; accuracy.

Reads the published test.jsonl ({question, answer}, the answer ending "#### 72"). A reply is right
when the number it ends on (its \\boxed{}, "#### x" or "answer: x", else its last number) equals
the reference number, commas and units dropped, as the paper's evaluation compares them.
"""

from __future__ import annotations

import re
from typing import Any

from ..datasets.reader import _error
from ..itas.scorers import last_number, numbers_equal, parse_number
from .base import RowScore, Suite, require_fields

PROMPT = (
    "{question}\n\nSolve it step by step, then give the final answer on the last line as '#### <number>'."
)


def reference_number(answer: str) -> str | None:
    """The final answer of a GSM8K solution: what follows its `####`."""
    match = re.search(r"####\s*(.+?)\s*$", answer.strip())
    return match.group(1).replace(",", "").strip() if match else None


class GSM8K(Suite):
    name = "gsm8k"
    title = "GSM8K"
    source = "Cobbe et al. 2021, Training Verifiers to Solve Math Word Problems (openai/grade-school-math)"
    data_format = 'test.jsonl: question, answer (a solution ending "#### <number>")'
    metric = "accuracy"

    def row(self, record: Any, where: str, number: int) -> dict[str, Any]:
        r = require_fields(record, ("question", "answer"), where, number, self.name)
        final = reference_number(str(r["answer"]))
        if final is None or parse_number(final) is None:
            raise _error(
                f"record {number}: the answer does not end with '#### <number>'",
                where,
                number,
                "GSM8K answers end with the final number after ####",
            )
        return {
            "id": str(r.get("id") or f"gsm8k/{number}"),
            "question": PROMPT.format(question=r["question"]),
            "answer": final,
            "solution": r["answer"],
        }

    def score_one(self, answer: str, row) -> RowScore:
        got = last_number(answer)
        want = parse_number(row["answer"])
        right = got is not None and want is not None and numbers_equal(got, want)
        return RowScore(1.0 if right else 0.0, {"extracted": got})
