"""A004 critic-without-consumer: a critic's critiques must reach a ranker or fuser (paper rule 3)."""

from __future__ import annotations

from .base import Rule

# Layers that keep candidates (and so their critiques) in place.
_PASS_THROUGH = frozenset({"verifier", "unit_test_generator", "unit_test_evaluator", "critic"})


class CriticBeforeConsumer(Rule):
    """Critiques cost a call; without a ranker or fuser after the critic, nothing reads them."""

    code = "A004"
    name = "critic-without-consumer"
    summary = "A critic whose critiques no ranker or fuser reads."
    docs = """\
## What it checks
That every critic is followed, before the candidates are replaced, by a
ranker or fuser that consumes its critiques. Verifiers and unit-test layers
may stand between them: they keep candidates, and critiques follow their
candidate. A second critic before any consumer replaces the first critic's
critiques, so the first is wasted.

## Why
Archon, Table 4: a critic comes before a ranker or fuser, which use the
strengths and weaknesses it writes. A critic at the end, or one whose
critiques are overwritten, spends calls for nothing.

## Example
```
layer generator { models = [a, b, c] }
layer critic { model = a }
```

## Instead
```
layer generator { models = [a, b, c] }
layer critic { model = a }
layer fuser { model = a }
```
"""

    def check(self, ctx, report) -> None:
        layers = ctx.arch.layers
        for index, layer in enumerate(layers):
            if layer.kind != "critic":
                continue
            consumer = None
            for later in layers[index + 1:]:
                if later.kind in ("ranker", "fuser"):
                    consumer = later
                    break
                if later.kind == "critic":
                    report(
                        f"the critiques of layer {index + 1} are replaced by the critic after it before any "
                        "ranker or fuser reads them",
                        layer.span, "remove one of the two critics",
                    )
                    consumer = later
                    break
                if later.kind not in _PASS_THROUGH:
                    break
            if consumer is None:
                report(
                    f"no ranker or fuser reads the critiques of layer {index + 1}",
                    layer.span, "add a ranker or fuser after the critic, or remove the critic",
                )
