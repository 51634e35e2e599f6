"""Ranker: one call per model ordering the candidates best first; keeps the top_k, critiques attached."""

from __future__ import annotations

import re
from typing import Any

from ..architecture import Layer
from ..kinds import kind_spec
from .base import CallSpec, Degradation, OutputError, State
from .parsing import extract_json, get_key, numbered_items
from .prompting import candidates_block, check_results, critiques_block, json_schema, judge_calls

SYSTEM = (
    "You rank candidate responses to a query from best to worst. Judge correctness first, then "
    "completeness, clarity and how directly each one answers the query. Use the critiques when they "
    "are given, but check them against the candidates yourself."
)
PROMPT = (
    "<query>\n{query}\n</query>\n\n"
    "There are {n} candidate responses:\n\n"
    "{candidates}\n\n"
    "{critiques}\n\n"
    "Rank all {n} candidates from best to worst, listing every candidate number exactly once.\n"
    'Reply with JSON only: {"ranking": [best, ..., worst]}, for example {"ranking": [2, 1, 3]} '
    "for three candidates."
)
PLACEHOLDERS = kind_spec("ranker").placeholders
RESPONSE_FORMAT = json_schema(
    "archon_ranking",
    {
        "type": "object",
        "properties": {"ranking": {"type": "array", "items": {"type": "integer"}}},
        "required": ["ranking"],
        "additionalProperties": False,
    },
)

_REF = re.compile(r"\[(\d+)\]|\b(?:candidate|response)\s*#?\s*\[?(\d+)\]?", re.IGNORECASE)
_NUMBER = re.compile(r"\b(\d+)\b")


def _refs(text: str, bare_numbers: bool) -> list[int]:
    """Candidate references in order: "[2]", "Candidate 2", and bare "2" when allowed."""
    found = [int(a or b) for a, b in _REF.findall(text)]
    if found or not bare_numbers:
        return found
    return [int(x) for x in _NUMBER.findall(text)]


def _ref(item: Any) -> int | None:
    if isinstance(item, bool):
        return None
    if isinstance(item, int):
        return item
    if isinstance(item, float) and item.is_integer():
        return int(item)
    if isinstance(item, str):
        refs = _refs(item, bare_numbers=True)
        return refs[0] if len(refs) == 1 else None
    if isinstance(item, dict):
        return _ref(get_key(item, "candidate", "id", "index"))
    return None


def _permutation(numbers: list[int], n: int) -> list[int]:
    """0-based indices from 1-based candidate numbers that name each of 1..n exactly once."""
    missing = sorted(set(range(1, n + 1)) - set(numbers))
    repeated = sorted({k for k in numbers if numbers.count(k) > 1})
    unknown = sorted({k for k in numbers if not 1 <= k <= n})
    if missing or repeated or unknown:
        problems = []
        if missing:
            problems.append(f"candidate(s) {missing} missing from the ranking")
        if repeated:
            problems.append(f"candidate(s) {repeated} ranked more than once")
        if unknown:
            problems.append(f"no candidate(s) {unknown} (there are {n})")
        raise OutputError("; ".join(problems))
    return [k - 1 for k in numbers]


def parse_ranking(text: str, n: int) -> list[int]:
    """A full ranking of `n` candidates as 0-based indices, best first.

    Reads {"ranking": [2, 1, 3]}, a bare JSON list, "[2] > [1] > [3]", "Ranking: 2, 1, 3" or a
    numbered list naming one candidate per item. Anything but a permutation raises OutputError.
    """
    json_error = None
    data = extract_json(text)
    sequence = get_key(data, "ranking", "rank", "order", "ranked") if isinstance(data, dict) else data
    if isinstance(sequence, list) and sequence:
        try:
            numbers = [_ref(item) for item in sequence]
            if any(k is None for k in numbers):
                raise OutputError(f"ranking entries that are not candidate numbers: {sequence!r}")
            return _permutation([k for k in numbers if k is not None], n)  # none is None (above)
        except OutputError as e:
            json_error = e  # maybe a bracketed "[2]" in prose, not JSON: read the text instead
    try:
        return _ranking_from_text(text, n)
    except OutputError as e:
        raise (json_error or e) from None


def _ranking_from_text(text: str, n: int) -> list[int]:
    lines = text.splitlines()
    labelled = [m.group(1) for m in re.finditer(r"\branking\b\s*(?:[:=]|is\b)[ \t]*(.*)", text, re.I)]
    for body in reversed(labelled):
        numbers = _refs(body, bare_numbers=True)
        if len(numbers) >= min(2, n):
            return _permutation(numbers, n)
    chains = [line for line in lines if re.search(r"[>≻]", line) and len(_refs(line, True)) >= 2]
    if chains:
        return _permutation(_refs(chains[-1], bare_numbers=True), n)
    items = numbered_items(text)
    if items:
        numbers = []
        for _, body in items:
            refs = _refs(body, bare_numbers=False) or _refs(body.split()[0] if body.split() else "", True)
            if not refs:
                break
            numbers.append(refs[0])
        else:
            return _permutation(numbers, n)
    numbers = _refs(text, bare_numbers=False)
    if numbers:
        return _permutation(numbers, n)
    raise OutputError('no ranking found (expected JSON like {"ranking": [2, 1, 3]} or [2] > [1] > [3])')


def keep_top(layer: Layer, n: int) -> int:
    """How many candidates a ranking layer keeps: top_k, or all when top_k is unset."""
    return n if layer.top_k is None else max(0, min(layer.top_k, n))


class Ranker:
    """Reorders candidates best first (several models: by mean rank) and keeps the top_k."""

    kind = "ranker"

    def calls(self, layer: Layer, state: State, index: int) -> list[CallSpec]:
        n = len(state.candidates)
        if n <= 1:
            return []  # nothing to order
        values = {
            "query": state.query,
            "candidates": candidates_block(state.candidates),
            "critiques": critiques_block(state.candidates),
            "n": n,
            "top_k": keep_top(layer, n),
        }
        return judge_calls(
            layer,
            self.kind,
            [values],
            system=SYSTEM,
            prompt=PROMPT,
            parse=lambda text: parse_ranking(text, n),
            response_format=RESPONSE_FORMAT,
            history=state.history,
        )

    def combine(
        self, layer: Layer, state: State, index: int, results: list[Any]
    ) -> tuple[State, list[Degradation]]:
        n = len(state.candidates)
        keep = keep_top(layer, n)
        if n <= 1:
            return state.with_(candidates=state.candidates[:keep]), []
        check_results(results, len(layer.models), self.kind)
        degradations = []
        rankings = []
        for m, (model, ranking) in enumerate(zip(layer.models, results, strict=True)):
            if ranking is None:
                degradations.append(
                    Degradation(
                        index,
                        self.kind,
                        f"ranker[{m}]",
                        "no usable ranking after retries",
                        f"ranking of {model.id} left out"
                        if len(layer.models) > 1
                        else f"kept the input order of the {n} candidates (first {keep} kept)",
                    )
                )
            else:
                rankings.append(ranking)
        if rankings:
            # Mean position over the models that answered; ties keep the input order.
            position = [0.0] * n
            for ranking in rankings:
                for place, j in enumerate(ranking):
                    position[j] += place
            order = sorted(range(n), key=lambda j: (position[j], j))
        else:
            order = list(range(n))
            if len(layer.models) > 1:
                degradations.append(
                    Degradation(
                        index,
                        self.kind,
                        "ranker",
                        "no model gave a usable ranking",
                        f"kept the input order of the {n} candidates (first {keep} kept)",
                    )
                )
        ranked = tuple(state.candidates[j] for j in order[:keep])
        return state.with_(candidates=ranked), degradations
