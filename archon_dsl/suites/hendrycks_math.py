"""MATH (Hendrycks et al. 2021, "Measuring Mathematical Problem Solving With the MATH Dataset"):
competition problems whose answer is the last \\boxed{} of the solution; accuracy.

Reads the published problems as JSON Lines: {problem, solution, level, type} (the answer is taken
from the solution's last \\boxed{}) or MATH-500's {problem, answer, ...}. The reply's answer is its
last \\boxed{} (else its stated final answer). Equivalence is the paper's `is_equiv`: both strings
normalised by its `strip_string` (spaces, \\left/\\right, \\dfrac, units, "x =", \\frac12 ->
\\frac{1}{2}, a/b -> \\frac{a}{b}, 0.5 -> .5 ...), then compared; beyond the paper, two answers that
are both plain numbers (fractions, decimals, percentages) are equal when their values are, so
\\frac12 = 0.5 = 1/2 (as the PRM800K and Minerva graders count them).
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from ..itas.scorers import boxed, final_answer
from .base import RowScore, Suite, require_fields

PROMPT = "{problem}\n\nSolve the problem step by step, and put the final answer in \\boxed{{}}."


def _fix_fracs(text: str) -> str:
    parts = text.split("\\frac")
    out = parts[0]
    for part in parts[1:]:
        out += "\\frac"
        if part.startswith("{") or len(part) < 2:
            out += part
            continue
        a, b, rest = part[0], part[1], part[2:]
        out += "{" + a + "}" + ("{" + b + "}" + rest if b != "{" else b + rest)
    return out


def _fix_a_slash_b(text: str) -> str:
    match = re.fullmatch(r"(-?\d+)/(\d+)", text)
    return f"\\frac{{{match.group(1)}}}{{{match.group(2)}}}" if match else text


def _fix_sqrt(text: str) -> str:
    return re.sub(r"\\sqrt(\w)", r"\\sqrt{\1}", text)


def strip_string(text: str) -> str:
    """The MATH paper's answer normalisation (its `strip_string`), in the same order of steps."""
    text = text.replace("\n", "").replace("\\!", "").replace("\\\\", "\\")
    text = text.replace("tfrac", "frac").replace("dfrac", "frac")
    text = text.replace("\\left", "").replace("\\right", "")
    text = text.replace("^{\\circ}", "").replace("^\\circ", "")
    text = text.replace("\\$", "").replace("$", "")
    text = re.sub(r"\\text\{\s*[a-zA-Z ]*\}\s*$", "", text)  # units at the end ("5 \text{ cm}")
    text = text.replace("\\%", "").replace("%", "")
    text = text.replace(" .", " 0.").replace("{.", "{0.")
    if text.startswith("."):
        text = "0" + text
    if "=" in text and len(text.split("=")[0]) <= 2:  # "x = 5" -> "5"
        text = text.split("=", 1)[1]
    text = _fix_sqrt(text)
    text = text.replace(" ", "")
    text = _fix_fracs(text)
    if text == "0.5":
        text = "\\frac{1}{2}"
    return _fix_a_slash_b(text)


def _value(text: str) -> Fraction | None:
    """The exact value of an answer that is a plain number: 3, -2.5, 1/2, \\frac{1}{2}, 50 (from 50%)."""
    text = text.replace(",", "") if re.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?", text) else text
    match = re.fullmatch(r"(-?)\\frac\{(-?\d+(?:\.\d+)?)\}\{(-?\d+(?:\.\d+)?)\}", text)
    try:
        if match:
            den = Fraction(match.group(3))
            return None if den == 0 else (-1 if match.group(1) else 1) * Fraction(match.group(2)) / den
        if re.fullmatch(r"-?\d+(?:\.\d+)?", text):
            return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
    return None


def is_equiv(answer: str | None, expected: str | None) -> bool:
    """The paper's is_equiv (normalised strings equal), or both plain numbers of the same value."""
    if answer is None or expected is None:
        return answer is None and expected is None
    a, b = strip_string(answer.strip()), strip_string(expected.strip())
    if a == b:
        return True
    va, vb = _value(a), _value(b)
    return va is not None and vb is not None and va == vb


def reply_answer(reply: str) -> str:
    """The answer a reply gives: its last \\boxed{}, else its stated final answer."""
    found = boxed(reply)
    return found.strip() if found is not None else final_answer(reply)


class MATH(Suite):
    name = "math"
    title = "MATH"
    source = "Hendrycks et al. 2021, Measuring Mathematical Problem Solving With the MATH Dataset"
    data_format = "JSONL: problem, solution (answer in its last \\boxed{}) or answer; level, type"
    metric = "accuracy"

    def row(self, record: Any, where: str, number: int) -> dict[str, Any]:
        r = require_fields(record, ("problem",), where, number, self.name)
        answer = r.get("answer")
        if answer is None:
            require_fields(r, ("solution",), where, number, self.name)
            answer = boxed(str(r["solution"]))
            if answer is None:
                require_fields({}, ("answer",), where, number, self.name)
        ident = r.get("unique_id") or r.get("id") or f"{r.get('type', 'math')}/{number}"
        return {
            "id": str(ident),
            "question": PROMPT.format(problem=r["problem"]),
            "answer": str(answer),
            "level": r.get("level"),
            "type": r.get("type") or r.get("subject"),
        }

    def score_one(self, answer: str, row) -> RowScore:
        got = reply_answer(answer)
        return RowScore(1.0 if is_equiv(got, row["answer"]) else 0.0, {"extracted": got})
