"""S002 fuser-fan-in: the candidates into a fuser fit its context (24 in the paper)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..kinds import kind_spec
from .base import Context, Report, Rule

if TYPE_CHECKING:
    from ..architecture import Layer

# Prompt text around the candidates, in tokens, for the context-window estimate.
_PROMPT_OVERHEAD_TOKENS = 600


class FuserFanIn(Rule):
    """Past a few dozen candidates a fuser's prompt overflows or its quality falls off."""

    code = "S002"
    name = "fuser-fan-in"
    summary = "More candidates reach a fuser than its context holds."
    docs = """\
## What it checks
That a fuser receives at most `defaults.fan_in` candidates (24, as in the
paper), and, where the fuser model's context window is known (from litellm's
model table or the model's `context_window` option), that the candidates at
their `max_tokens` plus the prompt fit in it.

## Why
The paper caps fusion at 24 candidates: beyond that the prompt exceeds the
context of most fusers, and providers reject or truncate it at run time,
after money was spent on the generators.

## Example
```
layer generator { models = proposers[:10]; samples = 5 }   # 50 candidates
layer fuser { model = gpt4o }
```

## Instead
```
layer generator { models = proposers[:10]; samples = 5 }
layer ranker { model = gpt4o; top_k = 10 }
layer fuser { model = gpt4o }
```
"""

    def check(self, ctx: Context, report: Report) -> None:
        arch = ctx.arch
        limit = arch.defaults.fan_in
        produced_tokens = arch.defaults.max_tokens
        for index, layer in enumerate(arch.layers):
            incoming = ctx.candidates_in[index]
            if layer.kind == "fuser":
                if incoming > limit:
                    report(
                        f"{incoming} candidates reach the fuser in layer {index + 1}; at most {limit} fit",
                        layer.span,
                        "rank them first (`layer ranker { ...; top_k = 10 }`) or sample fewer",
                    )
                else:
                    self._context(ctx, layer, index, incoming, produced_tokens, report)
            if kind_spec(layer.kind).effect == "replace":  # new candidates, at this layer's length
                produced_tokens = layer.max_tokens or _model_max_tokens(layer) or arch.defaults.max_tokens

    @staticmethod
    def _context(
        ctx: Context, layer: Layer, index: int, incoming: int, produced_tokens: int, report: Report
    ) -> None:
        from ..pricing import model_info

        for model in layer.models:
            window = model.context_window
            if window is None:
                info = model_info(model.id)
                window = info.max_input_tokens if info else None
            if not window:
                continue
            # Candidates, a critique of similar size each, and the prompt around them.
            needed = incoming * produced_tokens * 2 + _PROMPT_OVERHEAD_TOKENS
            if needed > window:
                report(
                    f"the fuser {model.name} in layer {index + 1} may read ~{needed:,} tokens "
                    f"({incoming} candidates of up to {produced_tokens} tokens, with critiques); "
                    f"its context holds {window:,}",
                    layer.span,
                    "lower max_tokens upstream, rank to fewer candidates, or use a longer-context fuser",
                )


def _model_max_tokens(layer: Layer) -> int | None:
    values = [m.max_tokens for m in layer.models if m.max_tokens]
    return max(values) if values else None
