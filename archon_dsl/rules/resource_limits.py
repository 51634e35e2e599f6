"""S015 over-limit: an architecture past the bounds of archon_dsl.limits (samples, calls per layer and per query)."""

from __future__ import annotations

from .base import Context, Report, Rule


class OverLimit(Rule):
    """A typo (or a hostile file) with a billion samples must fail at validate, not fill memory at run time."""

    code = "S015"
    name = "over-limit"
    summary = "A layer samples or calls more, or a query makes more calls, than the documented limits allow."
    docs = """\
## What it checks
Per layer: `samples` at most 1,000, and at most 1,000 LLM calls per query
(a generator or fuser calls each model `samples` times; a verifier or a
judging unit-test evaluator calls once per candidate). Per query: at most
10,000 calls over all layers. The limits are in `archon_dsl/limits.py` and
docs/language.md ("Limits").

## Why
Nothing real comes near them (the Archon paper's largest architectures make
a few dozen calls per query), but a typo or a hostile file can: `samples =
1000000000` would schedule a billion calls and fill memory before the first
one is made. `run`, `plan` and `search` check first, so the run never starts.

## Example
```
layer generator { model = gpt4o; samples = 1000000000 }
```

## Instead
```
layer generator { models = [gpt4o, sonnet, qwen]; samples = 5 }
```
"""

    def check(self, ctx: Context, report: Report) -> None:
        from ..limits import over_limits

        for index, message, hint in over_limits(ctx.arch):
            report(message, ctx.arch.layers[index].span, hint)
