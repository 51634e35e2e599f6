"""S003 ranker-top-k: a ranker's or evaluator's top_k against the candidates it receives."""

from __future__ import annotations

from ..diagnostics import Severity
from .base import Context, Report, Rule


class RankerTopK(Rule):
    """A top_k at or above the input count filters nothing; a ranker of one candidate ranks nothing."""

    code = "S003"
    name = "ranker-top-k"
    severity = Severity.INFO
    summary = "A ranker or unit-test evaluator whose top_k keeps every candidate it receives."
    docs = """\
## What it checks
For each ranker and unit-test evaluator, the candidates it receives (from the
plan) against its `top_k`: a `top_k` at or above that count keeps them all,
and a ranker that receives one candidate has nothing to rank. For templates,
the diagnostic names the parameter values where this happens.

## Why
Such a layer spends a call and only reorders; usually `top_k` or the
generator count was meant to be different. It is a note rather than a
warning because search spaces (like the paper's, with a top-5 ranker before
every fusion layer) contain such points by design.

## Example
```
layer generator { models = [a, b, c] }
layer ranker { model = a; top_k = 5 }     # 3 candidates in
```

## Instead
```
layer generator { models = [a, b, c]; samples = 3 }
layer ranker { model = a; top_k = 5 }
```
"""

    def check(self, ctx: Context, report: Report) -> None:
        for index, layer in enumerate(ctx.arch.layers):
            if layer.kind not in ("ranker", "unit_test_evaluator"):
                continue
            incoming = ctx.candidates_in[index]
            if layer.kind == "ranker" and incoming == 1:
                report(
                    f"the ranker in layer {index + 1} receives a single candidate; there is nothing to rank",
                    layer.span,
                    "remove it, or generate more candidates before it",
                )
            elif layer.top_k is not None and incoming and layer.top_k >= incoming > 1:
                report(
                    f"top_k = {layer.top_k} keeps all {incoming} candidates the {layer.kind} in layer "
                    f"{index + 1} receives; it only reorders them",
                    layer.span,
                    f"use a top_k below {incoming}, or remove top_k if reordering is the intent",
                )
