"""Arena-Hard-Auto (Li et al. 2024, "From Crowdsourced Data to High-Quality Benchmarks: Arena-Hard and
BenchBuilder"): 500 hard prompts; each answer judged against a baseline's answer in both orders with
five verdict labels; a Bradley-Terry score (the win rate against the baseline) with a bootstrap interval.

Reads the published question.jsonl ({question_id, category, cluster, turns: [{content}]}) and the
baseline's answers from the published layout beside it, model_answer/gpt-4-0314.jsonl
({question_id, choices: [{turns: [{content}]}]}), or from a `baseline` field in each record, or a
file given as the suite's `baseline` (CLI: --baseline FILE). The judge prompt is Arena-Hard's; the
verdict is the one [[A>>B]] / [[A>B]] / [[A=B]] / [[B>A]] / [[B>>A]] label in the judgement (none, or
two different ones: no verdict, and the game is left out, as Arena-Hard leaves it out). A decisive
verdict (>>) counts as three wins, as Arena-Hard weighs it; a tie as half a win each. The score is
the Bradley-Terry (Elo-scale logistic) fit's win rate against the baseline, in percent; the
interval is the 2.5-97.5 percentile over fits to questions resampled with replacement.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..datasets.reader import _error
from ..evaluation.stats import bradley_terry, percentile_interval, win_rate_from_ratings
from .base import RowScore, Suite, SuiteScore, read_records, require_fields
from .judging import ask_judge

SYSTEM = (
    "Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants "
    "to the user prompt displayed below. You will be given assistant A's answer and assistant B's answer. Your "
    "job is to evaluate which assistant's answer is better.\n\nBegin your evaluation by generating your own "
    "answer to the prompt. You must provide your answers before judging any answers.\n\nWhen evaluating the "
    "assistants' answers, compare both assistants' answers with your answer. You must identify and correct any "
    "mistakes or inaccurate information.\n\nThen consider if the assistant's answers are helpful, relevant, and "
    "concise. Helpful means the answer correctly responds to the prompt or follows the instructions. Note when "
    "user prompt has any ambiguity or more than one interpretation, it is more helpful and appropriate to ask "
    "for clarifications or more information from the user than providing an answer based on assumptions. "
    "Relevant means all parts of the response closely connect or are appropriate to what is being asked. "
    "Concise means the response is clear and not verbose or excessive.\n\nThen consider the creativity and "
    "novelty of the assistant's answers when needed. Finally, identify any missing important information in "
    "the assistants' answers that would be beneficial to include when responding to the user prompt.\n\n"
    "After providing your explanation, you must output only one of the following choices as your final verdict "
    "with a label:\n\n1. Assistant A is significantly better: [[A>>B]]\n2. Assistant A is slightly better: "
    "[[A>B]]\n3. Tie, relatively the same: [[A=B]]\n4. Assistant B is slightly better: [[B>A]]\n5. Assistant B "
    'is significantly better: [[B>>A]]\n\nExample output: "My final verdict is tie: [[A=B]]".'
)
PROMPT = (
    "<|User Prompt|>\n{question}\n\n<|The Start of Assistant A's Answer|>\n{answer_a}\n"
    "<|The End of Assistant A's Answer|>\n\n<|The Start of Assistant B's Answer|>\n{answer_b}\n"
    "<|The End of Assistant B's Answer|>"
)
LABELS = ("A>>B", "A>B", "A=B", "B>A", "B>>A")
_LABEL = re.compile(r"\[\[([AB<>=]+)\]\]")
WEIGHT = 3  # a decisive verdict counts as this many wins (Arena-Hard's WEIGHT)
BOOTSTRAP_ROUNDS = 100
BASELINE_MODEL = "gpt-4-0314"


def parse_verdict(text: str) -> str | None:
    """The verdict label of a judgement, or None if it gives none or two different ones."""
    found = set(_LABEL.findall(text.replace(" ", "")))
    normal = {_normal(label) for label in found}
    normal.discard(None)
    return normal.pop() if len(normal) == 1 else None


def _normal(label: str) -> str | None:
    mirrored = {"B<A": "A>B", "B<<A": "A>>B", "A<B": "B>A", "A<<B": "B>>A", "B=A": "A=B"}
    label = mirrored.get(label, label)
    return label if label in LABELS else None


def model_points(verdict: str, model_is_a: bool) -> tuple[float, float]:
    """(the model's points in [0, 1], weight) for one game's verdict."""
    if verdict == "A=B":
        return 0.5, 1.0
    a_wins = verdict.startswith("A")
    weight = float(WEIGHT) if ">>" in verdict else 1.0
    return (1.0 if a_wins == model_is_a else 0.0), weight


def _answer_text(record: Mapping[str, Any]) -> str | None:
    """The first turn's answer of a model_answer record ({choices: [{turns: [{content}]}]})."""
    try:
        return str(record["choices"][0]["turns"][0]["content"])
    except (KeyError, IndexError, TypeError):
        return None


class ArenaHard(Suite):
    name = "arena_hard"
    title = "Arena-Hard-Auto"
    source = "Li et al. 2024, Arena-Hard and BenchBuilder (lmarena/arena-hard-auto)"
    data_format = (
        "question.jsonl: question_id, turns [{content}]; baseline answers in model_answer/gpt-4-0314.jsonl"
    )
    metric = "score vs baseline"
    judged = True

    def __init__(self, baseline: str | Path | None = None):
        self.baseline = Path(baseline) if baseline is not None else None

    def load(self, data: str | Path | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        rows = super().load(data, limit)
        missing = [r for r in rows if r.get("baseline") is None]
        if missing:
            answers = self._baseline_answers(Path(data) if data is not None else None)
            for row in missing:
                row["baseline"] = answers.get(row["id"])
            lacking = [r["id"] for r in rows if r.get("baseline") is None]
            if lacking:
                raise _error(
                    f"question {lacking[0]} has no baseline answer ({len(lacking)} questions lack one)",
                    str(self.baseline or data),
                    hint="Arena-Hard compares with a baseline's answers: give the model_answer file of the baseline",
                )
        return rows

    def _baseline_answers(self, data: Path | None) -> dict[str, str]:
        path = self.baseline
        if path is None and data is not None:
            path = data.parent / "model_answer" / f"{BASELINE_MODEL}.jsonl"
        if path is None or not path.is_file():
            raise _error(
                "no baseline answers for Arena-Hard",
                str(path) if path else None,
                hint=f"put the baseline's answers in model_answer/{BASELINE_MODEL}.jsonl beside question.jsonl, "
                "give --baseline FILE, or a 'baseline' field in each question",
            )
        answers = {}
        for _, record in read_records(path):
            if isinstance(record, Mapping) and record.get("question_id") is not None:
                text = _answer_text(record) if "choices" in record else record.get("answer")
                if text is not None:
                    answers[str(record["question_id"])] = str(text)
        return answers

    def row(self, record: Any, where: str, number: int) -> dict[str, Any]:
        r = require_fields(record, ("question_id",), where, number, self.name)
        turns = r.get("turns")
        question = r.get("prompt") or (
            turns[0].get("content") if turns and isinstance(turns[0], Mapping) else None
        )
        if not question:
            require_fields({}, ("turns",), where, number, self.name)
        return {
            "id": str(r["question_id"]),
            "question": str(question),
            "category": r.get("category"),
            "cluster": r.get("cluster"),
            "baseline": r.get("baseline"),
        }

    async def score_rows(self, answers, rows, ctx, judge) -> list[RowScore]:
        import anyio

        scores = [RowScore(0.0, {"error": True})] * len(rows)

        async def one(i: int) -> None:
            answer, row = answers[i], rows[i]
            if answer is None:
                return
            # Game 1: the baseline is A; game 2: the model is A (both orders cancel position bias).
            games = []
            for model_is_a in (False, True):
                a, b = (answer, row["baseline"]) if model_is_a else (row["baseline"], answer)
                prompt = PROMPT.format(question=row["question"], answer_a=a, answer_b=b)
                verdict, _ = await ask_judge(ctx, judge, SYSTEM, prompt, parse_verdict, max_tokens=4096)
                games.append({"verdict": verdict, "model_is_a": model_is_a})
            points = [model_points(g["verdict"], g["model_is_a"])[0] for g in games if g["verdict"]]
            scores[i] = RowScore(sum(points) / len(points) if points else 0.5, {"games": games})

        async with anyio.create_task_group() as group:
            for i in range(len(rows)):
                group.start_soon(one, i)
        return scores

    def summarize(self, rows: Sequence[Mapping[str, Any]], scores: Sequence[RowScore]) -> SuiteScore:
        per_question: dict[str, list[tuple[float, float]]] = {}
        unjudged = 0
        for row, score in zip(rows, scores, strict=True):
            for game in score.detail.get("games") or []:
                if game["verdict"] is None:
                    unjudged += 1
                    continue
                per_question.setdefault(str(row["id"]), []).append(
                    model_points(game["verdict"], game["model_is_a"])
                )

        def fit(questions: list[str]) -> float:
            battles = [("model", "baseline", p, w) for q in questions for p, w in per_question[q]]
            if not battles:
                return float("nan")
            ratings = bradley_terry(battles, anchor="baseline")
            return 100 * win_rate_from_ratings(ratings["model"], ratings["baseline"])

        questions = sorted(per_question)
        value = fit(questions)
        rng = random.Random(0)
        draws = (
            [fit(rng.choices(questions, k=len(questions))) for _ in range(BOOTSTRAP_ROUNDS)]
            if questions
            else []
        )
        low, high = percentile_interval(draws) if draws else (float("nan"), float("nan"))
        counts = {label: 0 for label in LABELS}
        for score in scores:
            for game in score.detail.get("games") or []:
                if game["verdict"] is not None:
                    # As the model sees it: the label of a game where the model was B is mirrored.
                    label = game["verdict"] if game["model_is_a"] else _normal(game["verdict"][::-1]) or ""
                    counts[label] = counts.get(label, 0) + 1
        per_q = {q: 100 * sum(p * w for p, w in v) / sum(w for _, w in v) for q, v in per_question.items()}
        extra = {"unjudged games": unjudged, "verdicts (model as A)": counts}
        return SuiteScore(self.metric, value, low, high, "%", len(questions), extra, per_q)


def read_baseline(path: str | Path) -> dict[str, str]:
    """Baseline answers by question id from a model_answer JSONL file (for tests and the API)."""
    return ArenaHard(path)._baseline_answers(None)
