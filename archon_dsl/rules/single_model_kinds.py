"""A005 single-model-kind: rankers, critics, verifiers and unit-test layers hold one model (paper rule 4)."""

from __future__ import annotations

from ..kinds import kind_spec
from .base import Context, Report, Rule


class SingleModelKind(Rule):
    """Two rankers would produce two rankings, and the layer's output would be undefined."""

    code = "A005"
    name = "single-model-kind"
    summary = "A ranker, critic, verifier or unit-test layer with more than one model."
    docs = """\
## What it checks
That a ranker, critic, verifier, unit-test generator or unit-test evaluator
layer has exactly one model. Generators and fusers may have several.

## Why
Archon, Table 4: these components each produce one judgement of the whole
candidate list (a ranking, one critique per candidate, a verdict, a test
suite); several models would give several, with no rule to merge them.

## Example
```
layer ranker { models = [gpt4o, sonnet]; top_k = 5 }
```

## Instead
```
layer ranker { model = gpt4o; top_k = 5 }
```
"""

    def check(self, ctx: Context, report: Report) -> None:
        for index, layer in enumerate(ctx.arch.layers, start=1):
            if kind_spec(layer.kind).single_model and len(layer.models) > 1:
                report(
                    f"layer {index} ({layer.kind}) has {len(layer.models)} models; a {layer.kind} holds one",
                    layer.span,
                    f"keep one model: `model = {layer.models[0].name}`",
                )
