"""Verifier: one structured call per candidate (reasoning, then verdict); keeps those judged correct."""

from __future__ import annotations

import re
from typing import Any

from ..architecture import Layer, PROMPT_PLACEHOLDERS
from .base import CallSpec, Degradation, OutputError, State
from .parsing import as_bool, extract_json, get_key, yes_no
from .prompting import call_spec, candidate_block, check_results, json_schema

SYSTEM = (
    "You verify one candidate response to a query. Check every claim, each reasoning step and "
    "calculation and, for code, what it would do on typical and edge-case inputs. Decide whether the "
    "response answers the query correctly and completely. Reason first, then give your verdict."
)
PROMPT = (
    "<query>\n{query}\n</query>\n\n"
    "{candidate}\n\n"
    "Is this candidate response correct? Reason briefly, then give your verdict.\n"
    'Reply with JSON only: {"reasoning": "...", "correct": true} or {"reasoning": "...", "correct": false}'
)
PLACEHOLDERS = PROMPT_PLACEHOLDERS["verifier"]
RESPONSE_FORMAT = json_schema("archon_verdict", {
    "type": "object",
    "properties": {"reasoning": {"type": "string"}, "correct": {"type": "boolean"}},
    "required": ["reasoning", "correct"],
    "additionalProperties": False,
})

_VERDICT_LINE = re.compile(r"\b(?:verdict|judg(?:e)?ment|conclusion|final answer|correct\?)\s*[:=\-]\s*(.+)", re.I)


def parse_verdict(text: str) -> bool:
    """True if the reply judges the candidate correct: JSON, a "Verdict: ..." line or a YES/NO line."""
    data = extract_json(text, dict)
    value = get_key(data, "correct", "is_correct", "verdict", "valid", "passed") if data else None
    if value is not None:
        verdict = as_bool(value)
        if verdict is None:
            raise OutputError(f"verdict {value!r} is neither correct nor incorrect")
        return verdict
    lines = [line.strip(" *#`_") for line in text.strip().splitlines() if line.strip(" *#`_")]
    for line in reversed(lines):
        match = _VERDICT_LINE.search(line)
        if match:
            verdict = yes_no(match.group(1))
            if verdict is not None:
                return verdict
    for line in (lines[-1:] + lines[:1]) if lines else []:
        words = line.split()
        if len(words) <= 6:  # a bare "YES", "Incorrect.", "The answer is correct" closing the reply
            verdict = yes_no(line)
            if verdict is not None:
                return verdict
        first = re.match(r"^(yes|no)\b", line, re.IGNORECASE)
        if first:
            return first.group(1).lower() == "yes"
    raise OutputError("no verdict found (expected JSON with \"correct\" or a YES/NO verdict line)")


class Verifier:
    """Keeps the candidates judged correct; if none is, keeps all, flagged, in their order."""

    kind = "verifier"

    def calls(self, layer: Layer, state: State, index: int) -> list[CallSpec]:
        return [
            call_spec(
                layer, model, default_system=SYSTEM, default_prompt=PROMPT,
                values={"query": state.query, "candidate": candidate_block(candidate)},
                parse=parse_verdict, tag=f"verifier[{j * len(layer.models) + m}]",
                response_format=RESPONSE_FORMAT,
            )
            for j, candidate in enumerate(state.candidates)
            for m, model in enumerate(layer.models)
        ]

    def combine(
        self, layer: Layer, state: State, index: int, results: list[Any]
    ) -> tuple[State, list[Degradation]]:
        n_models = len(layer.models)
        check_results(results, len(state.candidates) * n_models, self.kind)
        degradations, judged = [], []
        for j, candidate in enumerate(state.candidates):
            votes = results[j * n_models : (j + 1) * n_models]
            for m, vote in enumerate(votes):
                if vote is None:
                    degradations.append(Degradation(
                        index, self.kind, f"verifier[{j * n_models + m}]", "no usable verdict after retries",
                        f"candidate {j + 1} counted as unverified by {layer.models[m].id}",
                    ))
            yes = sum(1 for v in votes if v is True)
            no = sum(1 for v in votes if v is False)
            verdict = None if yes == no == 0 else yes > no
            judged.append(candidate.with_(verdict=verdict))
        # Unverified candidates (every verdict failed) are kept: a failed call is no evidence.
        kept = [c for c in judged if c.verdict is not False]
        if not kept:
            kept = judged  # none judged correct: keep all, each flagged verdict=False
        return state.with_(candidates=tuple(kept)), degradations
