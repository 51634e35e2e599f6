"""Fuser: models x samples calls, each writing one response from all candidates; replaces them."""

from __future__ import annotations

from typing import Any

from ..architecture import Layer
from ..kinds import kind_spec
from .base import CallSpec, Candidate, Degradation, State
from .parsing import require_text
from .prompting import call_spec, candidates_block, check_results, critiques_block, model_samples, source

SYSTEM = (
    "You are given several candidate responses to a query. Write one response that is better than "
    "each of them: keep what is correct, fix what is wrong, settle disagreements by checking the "
    "reasoning rather than by counting votes, and leave out what does not help. Critiques, when "
    "given, point out strengths and weaknesses of the candidates.\n"
    "Reply with the final response only, in the form the query asks for. When it has one final "
    "result, finish with a last line 'Answer: <result>'; when it asks for code, give the complete "
    "code in a single ```python fenced block."
)
PROMPT = (
    "<query>\n{query}\n</query>\n\n"
    "Candidate responses ({n}):\n\n"
    "{candidates}\n\n"
    "{critiques}\n\n"
    "Write the single best response to the query, drawing on the candidates above."
)
PLACEHOLDERS = kind_spec("fuser").placeholders
# `length_control = true`: the original Archon's instruction, added after the prompt.
LENGTH_CONTROL = "The fused response can only be as long as the longest response among the candidates."


class Fuser:
    """Replaces the candidates by fused responses; critiques do not survive a fuser."""

    kind = "fuser"

    def calls(self, layer: Layer, state: State, index: int) -> list[CallSpec]:
        if not state.candidates:
            return []
        values = {
            "query": state.query,
            "candidates": candidates_block(state.candidates),
            "critiques": critiques_block(state.candidates),
            "n": len(state.candidates),
        }
        return [
            call_spec(
                layer,
                model,
                default_system=SYSTEM,
                default_prompt=PROMPT,
                values=values,
                parse=require_text,
                tag=f"fuser[{k}]",
                sample=s,
                instruction=LENGTH_CONTROL if layer.length_control else "",
                history=state.history,
            )
            for k, (model, s) in enumerate(model_samples(layer))
        ]

    def combine(
        self, layer: Layer, state: State, index: int, results: list[Any]
    ) -> tuple[State, list[Degradation]]:
        if not state.candidates:
            return state, []
        specs = model_samples(layer)
        check_results(results, len(specs), self.kind)
        fused, degradations = [], []
        for k, ((model, s), text) in enumerate(zip(specs, results, strict=True)):
            if text is None:
                degradations.append(
                    Degradation(
                        index,
                        self.kind,
                        f"fuser[{k}]",
                        "no usable response after retries",
                        f"fused response from {model.id} sample {s} left out",
                    )
                )
            else:
                fused.append(Candidate(text=text, source=source(index, model, s)))
        if not fused:
            # Pass the input on rather than lose the query; critiques go, as after any fuser.
            degradations.append(
                Degradation(
                    index,
                    self.kind,
                    "fuser",
                    "no fuser call gave a usable response",
                    f"passed the {len(state.candidates)} input candidates on unfused, critiques cleared",
                )
            )
            fused = [c.with_(critique=None) for c in state.candidates]
        return state.with_(candidates=tuple(fused)), degradations
