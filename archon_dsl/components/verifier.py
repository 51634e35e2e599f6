"""Verifier: per candidate, a reasoning call then a verdict call (or one structured call); keeps those judged correct.

Two steps (`steps = 2`, the default) is the original Archon's verifier: the model first reasons
about the candidate, then judges the candidate together with that reasoning. The layer's
`prompt` and `system` override the first call (with one step, the only call).
"""

from __future__ import annotations

import re
from typing import Any

from ..architecture import DEFAULT_VERIFIER_STEPS, Layer
from ..kinds import kind_spec
from .base import CallSpec, Degradation, OutputError, State
from .parsing import as_bool, extract_json, get_key, require_text, yes_no
from .prompting import call_spec, candidate_block, check_results, json_schema, judge_calls, tagged_models

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
PLACEHOLDERS = kind_spec("verifier").placeholders
# Two steps: the first call reasons about the candidate, the second judges it with that reasoning.
REASONING_SYSTEM = (
    "You write reasoning about a candidate response to a query: check every claim, each reasoning step "
    "and calculation and, for code, what it would do on typical and edge-case inputs."
)
REASONING_PROMPT = (
    "<query>\n{query}\n</query>\n\n"
    "{candidate}\n\n"
    "Reason about whether this candidate answers the query accurately and completely: its relevance, "
    "completeness and correctness. Give the reasoning only, with no preface and nothing after it."
)
VERDICT_SYSTEM = "You judge a candidate response to a query and the reasoning written about it."
VERDICT_PROMPT = (
    "<query>\n{query}\n</query>\n\n"
    "{candidate}\n\n"
    "<reasoning>\n{reasoning}\n</reasoning>\n\n"
    "Is the candidate response correct? Consider how it aligns with the query and whether the reasoning "
    "is itself correct and complete.\n"
    'Reply with JSON only: {"reasoning": "...", "correct": true} or {"reasoning": "...", "correct": false}'
)
RESPONSE_FORMAT = json_schema(
    "archon_verdict",
    {
        "type": "object",
        "properties": {"reasoning": {"type": "string"}, "correct": {"type": "boolean"}},
        "required": ["reasoning", "correct"],
        "additionalProperties": False,
    },
)

_VERDICT_LINE = re.compile(
    r"\b(?:verdict|judg(?:e)?ment|conclusion|final answer|correct\?)\s*[:=\-]\s*(.+)", re.I
)


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
    raise OutputError('no verdict found (expected JSON with "correct" or a YES/NO verdict line)')


class Verifier:
    """Keeps the candidates judged correct; if none is, keeps all, flagged, in their order."""

    kind = "verifier"

    def calls(self, layer: Layer, state: State, index: int) -> list[CallSpec]:
        groups = [{"query": state.query, "candidate": candidate_block(c)} for c in state.candidates]
        if (layer.steps or DEFAULT_VERIFIER_STEPS) != 2:
            return judge_calls(
                layer,
                self.kind,
                groups,
                system=SYSTEM,
                prompt=PROMPT,
                parse=parse_verdict,
                response_format=RESPONSE_FORMAT,
                history=state.history,
            )
        return [
            call_spec(
                layer,
                model,
                default_system=REASONING_SYSTEM,
                default_prompt=REASONING_PROMPT,
                values=groups[j],
                parse=require_text,
                tag=f"{tag}.reasoning",
                then=_verdict_call(layer, model, groups[j], tag, state.history),
                history=state.history,
            )
            for j, model, tag in tagged_models(layer, self.kind, len(groups))
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
                    degradations.append(
                        Degradation(
                            index,
                            self.kind,
                            f"verifier[{j * n_models + m}]",
                            "no usable verdict after retries",
                            f"candidate {j + 1} counted as unverified by {layer.models[m].id}",
                        )
                    )
            yes = sum(1 for v in votes if v is True)
            no = sum(1 for v in votes if v is False)
            verdict = None if yes == no == 0 else yes > no
            judged.append(candidate.with_(verdict=verdict))
        correct = [c for c in judged if c.verdict is True]
        if layer.first_k is not None and len(correct) >= layer.first_k:
            # The first k judged correct, in order (the original stops checking there).
            return state.with_(candidates=tuple(correct[: layer.first_k])), degradations
        # Unverified candidates (every verdict failed) are kept: a failed call is no evidence.
        kept = [c for c in judged if c.verdict is not False]
        if not kept:
            kept = judged  # none judged correct: keep all, each flagged verdict=False
        return state.with_(candidates=tuple(kept)), degradations


def _verdict_call(
    layer: Layer, model, values: dict[str, Any], tag: str, history: tuple[dict[str, str], ...] = ()
):
    """The second step: given the first call's reasoning, the call that judges the candidate."""
    # The verdict prompt is fixed: the layer's `prompt` and `system` shape the reasoning call.
    plain = layer.model_copy(update={"prompt": None, "system": None})

    def verdict(reasoning: str) -> CallSpec:
        return call_spec(
            plain,
            model,
            default_system=VERDICT_SYSTEM,
            default_prompt=VERDICT_PROMPT,
            values={**values, "reasoning": reasoning.strip()},
            parse=parse_verdict,
            tag=tag,
            response_format=RESPONSE_FORMAT,
            history=history,
        )

    return verdict
