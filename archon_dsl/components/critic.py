"""Critic: one call per model writing strengths and weaknesses for each candidate, in order."""

from __future__ import annotations

import re
from typing import Any, cast

from ..architecture import Layer
from ..kinds import kind_spec
from .base import CallSpec, Degradation, OutputError, State
from .parsing import extract_json, get_key, numbered_items
from .prompting import candidates_block, check_results, json_schema, judge_calls

SYSTEM = (
    "You review candidate responses to a query. For every candidate, name its strengths and its "
    "weaknesses: check facts, each reasoning step, calculations, what code would actually do, and "
    "whether it answers what was asked. Be specific and brief. Do not rewrite the candidates and do "
    "not skip any."
)
PROMPT = (
    "<query>\n{query}\n</query>\n\n"
    "There are {n} candidate responses:\n\n"
    "{candidates}\n\n"
    "Critique every candidate, in order: {n} critiques in all, one per candidate.\n"
    'Reply with JSON only: {"critiques": [{"candidate": 1, "strengths": "...", "weaknesses": "..."}, ...]}'
)
PLACEHOLDERS = kind_spec("critic").placeholders
RESPONSE_FORMAT = json_schema(
    "archon_critiques",
    {
        "type": "object",
        "properties": {
            "critiques": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "candidate": {"type": "integer"},
                        "strengths": {"type": "string"},
                        "weaknesses": {"type": "string"},
                    },
                    "required": ["candidate", "strengths", "weaknesses"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["critiques"],
        "additionalProperties": False,
    },
)

# "Candidate 2:", "### Response [2]", "**Candidate 2**", '<critique id="2">' opening a section.
_HEADING = re.compile(
    r"^\s*(?:#+\s*)?(?:\*\*)?\s*(?:(?:critique\s+(?:of|for)\s+)?(?:candidate|response)\s*#?\s*\[?(\d+)\]?"
    r'|<critique\s+id="?(\d+)"?>)\s*(?:\*\*)?\s*[:.\-)]?\s*(?:\*\*)?',
    re.IGNORECASE | re.MULTILINE,
)


def _critique_text(item: Any) -> str | None:
    if isinstance(item, str):
        return item.strip() or None
    if not isinstance(item, dict):
        return None
    strengths = get_key(item, "strengths", "strength", "pros")
    weaknesses = get_key(item, "weaknesses", "weakness", "cons")
    if strengths is not None or weaknesses is not None:
        parts = []
        if strengths is not None:
            parts.append(f"Strengths: {_flat(strengths)}")
        if weaknesses is not None:
            parts.append(f"Weaknesses: {_flat(weaknesses)}")
        return "\n".join(parts)
    text = get_key(item, "critique", "feedback", "text", "review")
    return _flat(text) if text is not None else None


def _flat(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(str(v).strip() for v in value)
    return str(value).strip()


def _by_number(pairs: list[tuple[int, str]], n: int) -> list[str]:
    """Critiques keyed by 1-based candidate number: exactly one for each of 1..n."""
    numbers = [number for number, _ in pairs]
    missing = sorted(set(range(1, n + 1)) - set(numbers))
    extra = sorted({k for k in numbers if not 1 <= k <= n})
    repeated = sorted({k for k in numbers if numbers.count(k) > 1})
    if missing or extra or repeated:
        problems = []
        if missing:
            problems.append(f"no critique for candidate(s) {missing}")
        if repeated:
            problems.append(f"several critiques for candidate(s) {repeated}")
        if extra:
            problems.append(f"critique(s) for unknown candidate(s) {extra}")
        raise OutputError("; ".join(problems))
    return [text for _, text in sorted(pairs)]


def parse_critiques(text: str, n: int) -> list[str]:
    """Exactly `n` critiques, in candidate order, from JSON or from a numbered/headed list."""
    json_error = None
    data = extract_json(text)
    items = get_key(data, "critiques", "reviews", "candidates") if isinstance(data, dict) else data
    if isinstance(items, list) and items:
        try:
            return _critiques_from_json(items, n)
        except OutputError as e:
            json_error = e  # maybe bracketed bits of prose, not JSON: read the text instead
    try:
        return _critiques_from_text(text, n)
    except OutputError as e:
        raise (json_error or e) from None


def _critiques_from_json(items: list, n: int) -> list[str]:
    numbered = [
        (get_key(item, "candidate", "id", "index") if isinstance(item, dict) else None, _critique_text(item))
        for item in items
    ]
    if any(body is None for _, body in numbered):
        raise OutputError("a critique in the JSON reply has no text")
    if all(isinstance(k, int) and not isinstance(k, bool) for k, _ in numbered):
        return _by_number(cast("list[tuple[int, str]]", numbered), n)  # checked just above
    if len(items) != n:
        raise OutputError(f"{len(items)} critiques for {n} candidates")
    return [body for _, body in numbered if body is not None]  # none is None (above)


def _critiques_from_text(text: str, n: int) -> list[str]:
    headings = list(_HEADING.finditer(text))
    if headings:
        pairs = []
        for i, match in enumerate(headings):
            end = headings[i + 1].start() if i + 1 < len(headings) else len(text)
            body = re.sub(r"</critique>\s*$", "", text[match.end() : end].strip()).strip()
            pairs.append((int(match.group(1) or match.group(2)), body))
        if all(body for _, body in pairs):
            return _by_number(pairs, n)
    items = numbered_items(text)
    if items:
        return _by_number(items, n)
    raise OutputError("no critiques found (expected JSON or one numbered section per candidate)")


class Critic:
    """Attaches a critique to every candidate; a failed call leaves candidates without one."""

    kind = "critic"

    def calls(self, layer: Layer, state: State, index: int) -> list[CallSpec]:
        n = len(state.candidates)
        if n == 0:
            return []
        values = {"query": state.query, "candidates": candidates_block(state.candidates), "n": n}
        return judge_calls(
            layer,
            self.kind,
            [values],
            system=SYSTEM,
            prompt=PROMPT,
            parse=lambda text: parse_critiques(text, n),
            response_format=RESPONSE_FORMAT,
            history=state.history,
        )

    def combine(
        self, layer: Layer, state: State, index: int, results: list[Any]
    ) -> tuple[State, list[Degradation]]:
        if not state.candidates:
            return state, []
        check_results(results, len(layer.models), self.kind)
        degradations = []
        for m, (model, result) in enumerate(zip(layer.models, results, strict=True)):
            if result is None:
                degradations.append(
                    Degradation(
                        index,
                        self.kind,
                        f"critic[{m}]",
                        "no usable critiques after retries",
                        f"no critique from {model.id} on any candidate",
                    )
                )
        several = len(layer.models) > 1
        candidates = []
        for j, candidate in enumerate(state.candidates):
            parts = [
                f"[{model.name}]\n{result[j]}" if several else result[j]
                for model, result in zip(layer.models, results, strict=True)
                if result is not None
            ]
            candidates.append(candidate.with_(critique="\n\n".join(parts) if parts else None))
        return state.with_(candidates=tuple(candidates)), degradations
