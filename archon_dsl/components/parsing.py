"""Tolerant readers for model output: JSON anywhere in prose or fences, numbered lists, yes/no, code."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

from .base import OutputError

_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")


def code_blocks(text: str) -> list[tuple[str, str]]:
    """The fenced blocks of a reply as (language tag, lowercased; code) pairs, in order."""
    return [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text)]


def _loads(text: str) -> Any:
    """JSON, else JSON without trailing commas, else a Python literal (single quotes, True/False)."""
    for attempt in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            return json.loads(attempt)
        except (ValueError, RecursionError):
            pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise ValueError("not JSON") from None


def _balanced(text: str, start: int) -> str | None:
    """The bracketed span opening at `start`, honouring strings; None if it never closes."""
    closing = {"{": "}", "[": "]"}
    stack: list[str] = []
    quote: str | None = None
    escaped = False
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = None
            continue
        if ch in "\"'":
            quote = ch
        elif ch in closing:
            stack.append(closing[ch])
        elif ch in "}]":
            if not stack or stack.pop() != ch:
                return None
            if not stack:
                return text[start : i + 1]
    return None


def extract_json(text: str, want: type | tuple[type, ...] = (dict, list)) -> Any | None:
    """A JSON value of type `want` in `text`: the whole reply, a fenced block, else the largest in prose.

    The largest, since prose around JSON often holds small bracketed bits ("[2] is best") too.
    Callers still fall back to reading the text when the value found does not fit.
    """
    pieces = [text.strip()] + [code for _, code in code_blocks(text)]
    for piece in pieces:
        try:
            value = _loads(piece.strip())
        except ValueError:
            continue
        if isinstance(value, want):
            return value
    best: tuple[int, Any] | None = None
    position = 0
    while True:
        starts = [i for i in (text.find("{", position), text.find("[", position)) if i >= 0]
        if not starts:
            break
        start = min(starts)
        span = _balanced(text, start)
        if span is None:
            position = start + 1
            continue
        try:
            value = _loads(span)
        except ValueError:
            position = start + 1
            continue
        if isinstance(value, want) and (best is None or len(span) > best[0]):
            best = (len(span), value)
        position = start + len(span)
    return best[1] if best else None


def get_key(obj: dict, *names: str) -> Any:
    """`obj[name]` for the first of `names` present, compared case-insensitively."""
    lowered = {str(k).lower(): v for k, v in obj.items()}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


_ITEM = re.compile(r"^\s*(?:[-*•]\s*)?(?:\(?(\d+)[.):]|#\s*(\d+)[.):]?|\[(\d+)\][.):]?)\s+(.*)$")


def numbered_items(text: str) -> list[tuple[int, str]]:
    """Items of a numbered list ("1. ...", "2) ...", "[3] ...", "(4) ..."), continuation lines joined."""
    items: list[tuple[int, list[str]]] = []
    for line in text.splitlines():
        match = _ITEM.match(line)
        if match:
            number = int(next(g for g in match.groups()[:3] if g))
            items.append((number, [match.group(4).strip()]))
        elif items and line.strip():
            items[-1][1].append(line.strip())
    return [(n, "\n".join(lines).strip()) for n, lines in items]


_YES = re.compile(r"\b(?:yes|correct|true|valid|pass(?:es|ed)?|right|accept(?:ed)?)\b|[✓✔✅]", re.IGNORECASE)
_NO = re.compile(
    r"\b(?:no|not|incorrect|false|invalid|fail(?:s|ed|ure)?|wrong|reject(?:ed)?)\b|[✗✘❌]", re.IGNORECASE
)


# "No errors found" says the opposite of its first word.
_NOTHING_WRONG = re.compile(r"\bno\s+(?:issues|errors|problems|mistakes|flaws)\b", re.IGNORECASE)


def yes_no(text: str) -> bool | None:
    """A yes/no word read from a short phrase ("YES", "Incorrect.", "passed"); None if unclear."""
    text = _NOTHING_WRONG.sub("correct", text)
    no = _NO.search(text)
    yes = _YES.search(text)
    if no and (not yes or no.start() <= yes.start()):
        return False
    if yes:
        return True
    return None


def as_bool(value: Any) -> bool | None:
    """A JSON value meant as a yes/no ("pass", "fail", 1, true) as a bool; None if unclear."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return yes_no(value)
    return None


def require_text(text: str) -> str:
    """The reply itself, stripped; an empty reply is unusable."""
    if text is None or not str(text).strip():
        raise OutputError("empty response")
    return str(text).strip()


_CODE_START = re.compile(r"^\s*(def |class |import |from \w+ import |@)", re.MULTILINE)


def extract_code(text: str) -> str:
    """The Python code in a reply: its fenced block(s), else the text itself.

    Blocks tagged python/py (or untagged, when none is tagged) are taken; of several, those that
    define something are joined, since the others are usually example calls. A fence left open
    (a reply cut off at max_tokens) runs to the end of the text.
    """
    blocks = code_blocks(text)
    if not blocks:
        return text.strip() + "\n" if text.strip() else ""
    tagged = [code for lang, code in blocks if lang in ("python", "py", "python3")]
    chosen = tagged or [code for lang, code in blocks if not lang] or [code for _, code in blocks]
    if len(chosen) > 1:
        defining = [code for code in chosen if _CODE_START.search(code)]
        chosen = defining or chosen
    return "\n\n".join(code.strip("\n") for code in chosen).strip("\n") + "\n"
