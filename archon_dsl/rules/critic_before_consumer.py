"""A004 critic-without-consumer: a critic's critiques must reach a ranker or fuser (paper rule 3)."""

from __future__ import annotations

from ..kinds import kind_spec
from .base import Context, Report, Rule


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

    def check(self, ctx: Context, report: Report) -> None:
        # In the data-flow graph a critic's critiques edge goes to the ranker or
        # fuser that reads them; a later critic takes over that edge.
        layers = ctx.arch.layers
        critics = [i for i, layer in enumerate(layers) if "critiques" in kind_spec(layer.kind).produces]
        if not critics:
            return
        graph = ctx.graph
        for index in critics:
            layer = ctx.arch.layers[index]
            readers = [n for _, n, data in graph.out_edges(index, data=True) if data["data"] == "critiques"]
            if readers:
                continue
            # The next layer that writes or reads critiques: another critic wastes these.
            later = next(
                (
                    j
                    for j in range(index + 1, len(layers))
                    if "critiques" in kind_spec(layers[j].kind).produces | kind_spec(layers[j].kind).consumes
                ),
                None,
            )
            if later is not None and "critiques" in kind_spec(layers[later].kind).produces:
                report(
                    f"the critiques of layer {index + 1} are replaced by the critic in layer {later + 1} "
                    "before any ranker or fuser reads them",
                    layer.span,
                    "remove one of the two critics",
                )
            else:
                report(
                    f"no ranker or fuser reads the critiques of layer {index + 1}",
                    layer.span,
                    "add a ranker or fuser after the critic, or remove the critic",
                )
