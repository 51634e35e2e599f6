"""MT-Bench (Zheng et al. 2023, "Judging LLM-as-a-Judge with MT-Bench and Chatbot Arena"): 80 two-turn
questions; each turn's answer graded 1-10 by a judge model; the score is the mean over graded turns.

Reads FastChat's question.jsonl ({question_id, category, turns: [q1, q2], reference: [r1, r2] for
math, reasoning and coding}). Both turns are asked as one conversation. The judge prompts are
FastChat's single-answer grading prompts (single-v1, single-math-v1 with the reference answer, and
their multi-turn forms for the second turn); the rating is read from "[[8]]", else "[8]" (as
FastChat does), else "Rating: 8" or "8/10"; a judgement without a rating is left out, as FastChat's
-1 is, and counted in the report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..evaluation.stats import bootstrap_mean
from .base import RowScore, Suite, SuiteScore, require_fields
from .judging import ask_judge

NEED_REFERENCE = ("math", "reasoning", "coding")
_FORMAT = (
    "After providing your explanation, you must rate the response on a scale of 1 to 10 by strictly "
    'following this format: "[[rating]]", for example: "Rating: [[5]]".'
)
SINGLE = (
    "[Instruction]\nPlease act as an impartial judge and evaluate the quality of the response provided by an "
    "AI assistant to the user question displayed below. Your evaluation should consider factors such as the "
    "helpfulness, relevance, accuracy, depth, creativity, and level of detail of the response. Begin your "
    "evaluation by providing a short explanation. Be as objective as possible. " + _FORMAT + "\n\n"
    "[Question]\n{question}\n\n[The Start of Assistant's Answer]\n{answer}\n[The End of Assistant's Answer]"
)
SINGLE_MATH = (
    "[Instruction]\nPlease act as an impartial judge and evaluate the quality of the response provided by an "
    "AI assistant to the user question displayed below. Your evaluation should consider correctness and "
    "helpfulness. You will be given a reference answer and the assistant's answer. Begin your evaluation by "
    "comparing the assistant's answer with the reference answer. Identify and correct any mistakes. Be as "
    "objective as possible. " + _FORMAT + "\n\n[Question]\n{question}\n\n[The Start of Reference Answer]\n"
    "{reference}\n[The End of Reference Answer]\n\n[The Start of Assistant's Answer]\n{answer}\n"
    "[The End of Assistant's Answer]"
)
MULTI_SYSTEM = (
    "Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant to "
    "the user question displayed below. Your evaluation should consider factors such as the helpfulness, "
    "relevance, accuracy, depth, creativity, and level of detail of the response. You evaluation should focus "
    "on the assistant's answer to the second user question. Begin your evaluation by providing a short "
    "explanation. Be as objective as possible. " + _FORMAT + "\n\n"
)
MULTI_MATH_SYSTEM = (
    "Please act as an impartial judge and evaluate the quality of the response provided by an AI assistant to "
    "the user question. Your evaluation should consider correctness and helpfulness. You will be given a "
    "reference answer and the assistant's answer. You evaluation should focus on the assistant's answer to the "
    "second question. Begin your evaluation by comparing the assistant's answer with the reference answer. "
    "Identify and correct any mistakes. Be as objective as possible. " + _FORMAT + "\n\n"
)
CONVERSATION = (
    "<|The Start of Assistant A's Conversation with User|>\n\n### User:\n{q1}\n\n### Assistant A:\n{a1}\n\n"
    "### User:\n{q2}\n\n### Assistant A:\n{a2}\n\n<|The End of Assistant A's Conversation with User|>"
)
REFERENCE = (
    "<|The Start of Reference Answer|>\n\n### User:\n{q1}\n\n### Reference answer:\n{r1}\n\n### User:\n{q2}\n\n"
    "### Reference answer:\n{r2}\n\n<|The End of Reference Answer|>\n\n\n"
)
SINGLE_SYSTEM = "You are a helpful assistant."

_PATTERNS = (
    re.compile(r"\[\[(\d+\.?\d*)\]\]"),
    re.compile(r"\[(\d+\.?\d*)\]"),
    re.compile(r"\brating\s*(?:is|of|:)?\s*:?\s*\**\s*(\d+\.?\d*)", re.IGNORECASE),
    re.compile(r"\b(\d+\.?\d*)\s*(?:/\s*10|out of 10)\b", re.IGNORECASE),
)


def parse_rating(text: str) -> float | None:
    """The 1-10 rating a judgement gives: [[r]], else [r], else "Rating: r" / "r/10"; None if none is 1-10."""
    for index, pattern in enumerate(_PATTERNS):
        found = pattern.findall(text)
        if found:  # FastChat takes the first bracketed rating; a fallback takes the last one stated
            value = float(found[0] if index < 2 else found[-1])
            return value if 1 <= value <= 10 else None
    return None


def judge_prompts(row: Mapping[str, Any], answers: Sequence[str]) -> list[tuple[str, str]]:
    """(system, prompt) for grading each turn, as FastChat grades it."""
    turns, refs = row["turns"], row.get("reference") or []
    guided = row.get("category") in NEED_REFERENCE and len(refs) >= len(turns)
    out = []
    if guided:
        out.append(
            (SINGLE_SYSTEM, SINGLE_MATH.format(question=turns[0], reference=refs[0], answer=answers[0]))
        )
    else:
        out.append((SINGLE_SYSTEM, SINGLE.format(question=turns[0], answer=answers[0])))
    if len(turns) > 1 and len(answers) > 1:
        conversation = CONVERSATION.format(q1=turns[0], a1=answers[0], q2=turns[1], a2=answers[1])
        if guided:
            reference = REFERENCE.format(q1=turns[0], r1=refs[0], q2=turns[1], r2=refs[1])
            out.append((MULTI_MATH_SYSTEM, reference + conversation))
        else:
            out.append((MULTI_SYSTEM, conversation))
    return out


class MTBench(Suite):
    name = "mt_bench"
    title = "MT-Bench"
    source = "Zheng et al. 2023, Judging LLM-as-a-Judge with MT-Bench and Chatbot Arena (lm-sys/FastChat)"
    data_format = "question.jsonl: question_id, category, turns [q1, q2], reference (math, reasoning, coding)"
    metric = "MT-Bench score"
    judged = True
    multi_turn = True

    def row(self, record: Any, where: str, number: int) -> dict[str, Any]:
        r = require_fields(record, ("question_id", "turns"), where, number, self.name)
        return {
            "id": str(r["question_id"]),
            "turns": [str(t) for t in r["turns"]],
            "category": r.get("category"),
            "reference": r.get("reference"),
        }

    async def score_rows(self, answers, rows, ctx, judge) -> list[RowScore]:
        import anyio

        scores = [RowScore(0.0, {"error": True})] * len(rows)

        async def one(i: int) -> None:
            answer, row = answers[i], rows[i]
            turns = answer if isinstance(answer, list) else [answer]
            if not turns or turns[0] is None:
                return
            done = [t for t in turns if t is not None]
            ratings = []
            for system, prompt in judge_prompts(row, done):
                rating, _ = await ask_judge(ctx, judge, system, prompt, parse_rating)
                ratings.append(rating)
            graded = [r for r in ratings if r is not None]
            score = sum(graded) / len(graded) / 10 if graded else 0.0
            scores[i] = RowScore(score, {"ratings": ratings})

        async with anyio.create_task_group() as group:
            for i in range(len(rows)):
                group.start_soon(one, i)
        return scores

    def summarize(self, rows: Sequence[Mapping[str, Any]], scores: Sequence[RowScore]) -> SuiteScore:
        per_turn: list[list[float]] = [[], []]
        per_question: dict[str, float] = {}
        unjudged = 0
        for row, score in zip(rows, scores, strict=True):
            ratings = score.detail.get("ratings") or []
            unjudged += sum(r is None for r in ratings) + (len(row["turns"]) - len(ratings))
            for t, rating in enumerate(ratings[:2]):
                if rating is not None:
                    per_turn[t].append(rating)
            graded = [r for r in ratings if r is not None]
            if graded:
                per_question[str(row["id"])] = sum(graded) / len(graded)
        # FastChat's score is the mean over every graded turn; the interval resamples questions.
        every = per_turn[0] + per_turn[1]
        _, low, high = bootstrap_mean(list(per_question.values()))
        value = sum(every) / len(every) if every else float("nan")
        extra = {
            "turn 1": sum(per_turn[0]) / len(per_turn[0]) if per_turn[0] else None,
            "turn 2": sum(per_turn[1]) / len(per_turn[1]) if per_turn[1] else None,
            "unjudged turns": unjudged,
        }
        return SuiteScore(self.metric, value, low, high, "/10", len(per_question), extra, per_question)
