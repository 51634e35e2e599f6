"""MixEval-style (Ni et al. 2024, "MixEval: Deriving Wisdom of the Crowd from LLM Benchmark Mixtures"):
free-form and multiple-choice questions drawn from many benchmarks; accuracy.

Reads MixEval's free-form.json and multiple-choice.json ({id: {problem_type, context, prompt,
options, target}}, or the same records as JSON Lines). Prompts are MixEval's. Scoring is rule-based:
a multiple-choice reply is right when the option it picks (a letter, "(B)", "answer is C", or an
option's text) is a target; a free-form reply when its final answer equals a target after
normalisation (case, spaces, articles, punctuation), or has its value, or contains it. MixEval's
leaderboard parses replies with a model (GPT-3.5) instead, so scores differ a little from it.
"""

from __future__ import annotations

import re
import string
from typing import Any

from ..itas.scorers import _plain_number, final_answer, numbers_equal, pick_letter
from .base import RowScore, Suite, require_fields

MC_PROMPT = "{context}{prompt}\n{options}\nAnswer with the option letter from the given choices directly."
FREE_PROMPT = "{context}{prompt}\nAnswer the question shortly."
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def normalize(text: str) -> str:
    """SQuAD-style answer normalisation: lower case, no punctuation, no articles, single spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def free_form_right(reply: str, targets: list[str]) -> bool:
    said = final_answer(reply)
    for target in targets:
        a, b = normalize(said), normalize(target)
        if b and (a == b or (len(said) <= 4 * max(len(target), 20) and re.search(rf"\b{re.escape(b)}\b", a))):
            return True
        x, y = _plain_number(said), _plain_number(target)
        if x is not None and y is not None and numbers_equal(x, y):
            return True
    return False


class MixEval(Suite):
    name = "mixeval"
    title = "MixEval"
    source = "Ni et al. 2024, MixEval: Deriving Wisdom of the Crowd from LLM Benchmark Mixtures"
    data_format = (
        "free-form.json / multiple-choice.json: {id: {problem_type, context, prompt, options, target}}"
    )
    metric = "accuracy"

    def row(self, record: Any, where: str, number: int) -> dict[str, Any]:
        r = require_fields(record, ("prompt", "target"), where, number, self.name)
        context = f"{r['context']}\n" if r.get("context") else ""
        options = [str(o) for o in r.get("options") or []]
        targets = r["target"] if isinstance(r["target"], list) else [r["target"]]
        kind = "multiple-choice" if options else "free-form"
        if options:
            shown = "\n".join(f"{LETTERS[i]}. {o}" for i, o in enumerate(options))
            question = MC_PROMPT.format(context=context, prompt=r["prompt"], options=shown)
            answers = [LETTERS[int(t)] for t in targets]
        else:
            question = FREE_PROMPT.format(context=context, prompt=r["prompt"])
            answers = [str(t) for t in targets]
        return {
            "id": str(r.get("id", number)),
            "question": question,
            "answer": answers[0],
            "targets": answers,
            "options": options,
            "kind": kind,
            "benchmark": r.get("benchmark_name"),
        }

    def score_one(self, answer: str, row) -> RowScore:
        if row["kind"] == "multiple-choice":
            got = pick_letter(answer, row["options"], LETTERS[: len(row["options"])])
            return RowScore(1.0 if got in row["targets"] else 0.0, {"extracted": got})
        right = free_form_right(answer, row["targets"])
        return RowScore(1.0 if right else 0.0, {"extracted": final_answer(answer)})
