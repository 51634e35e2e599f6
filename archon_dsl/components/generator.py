"""Generator: answers the query afresh (a conversation's turns sent as they are), models x samples calls, one new candidate per call."""

from __future__ import annotations

from typing import Any

from ..architecture import Layer
from ..kinds import kind_spec
from .base import CallSpec, Candidate, Degradation, State
from .parsing import require_text
from .prompting import call_spec, check_results, model_samples, source

SYSTEM = (
    "You are a careful, knowledgeable assistant. Answer the user's request accurately and completely.\n"
    "Work through problems step by step before you commit to a result.\n"
    "When the request has one final result (a number, an option letter, a short phrase), finish with a "
    "last line of the form 'Answer: <result>'.\n"
    "When the request asks for code, give the complete code in a single ```python fenced block."
)
PROMPT = "{query}"
PLACEHOLDERS = kind_spec("generator").placeholders


class Generator:
    """New candidates from the query alone; a failed call leaves its candidate out."""

    kind = "generator"

    def calls(self, layer: Layer, state: State, index: int) -> list[CallSpec]:
        values = {"query": state.query}
        return [
            call_spec(
                layer,
                model,
                default_system=SYSTEM,
                default_prompt=PROMPT,
                values=values,
                parse=require_text,
                tag=f"generator[{k}]",
                sample=s,
                history=state.history,
                as_turns=True,
            )
            for k, (model, s) in enumerate(model_samples(layer))
        ]

    def combine(
        self, layer: Layer, state: State, index: int, results: list[Any]
    ) -> tuple[State, list[Degradation]]:
        specs = model_samples(layer)
        check_results(results, len(specs), "generator")
        candidates, degradations = [], []
        for k, ((model, s), text) in enumerate(zip(specs, results, strict=True)):
            if text is None:
                degradations.append(
                    Degradation(
                        index,
                        self.kind,
                        f"generator[{k}]",
                        "no usable response after retries",
                        f"candidate from {model.id} sample {s} left out",
                    )
                )
                continue
            candidates.append(Candidate(text=text, source=source(index, model, s)))
        return state.with_(candidates=tuple(candidates)), degradations
