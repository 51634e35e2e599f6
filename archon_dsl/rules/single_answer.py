"""S001 single-answer: the last layer yields one answer, or says how it picks one."""

from __future__ import annotations

from ..diagnostics import Severity
from ..kinds import kind_spec
from .base import Context, Report, Rule


class SingleAnswer(Rule):
    """The answer is the first candidate; that is only meaningful if the list is ordered or single."""

    code = "S001"
    name = "single-answer"
    severity = Severity.WARNING
    summary = "The last layer leaves several unordered candidates; the answer is an arbitrary one."
    docs = """\
## What it checks
That the last layer yields one answer: a single candidate (one fuser model
and sample, one generator sample), or an ordered list whose first candidate
is the best (a ranker or unit-test evaluator). A critic, verifier or
unit-test generator at the end keeps the candidates of the layer before, so
the same holds for that layer.

## Why
An architecture answers with its first final candidate. If the last layer
leaves five unranked samples, the "answer" is whichever came first, and
adding samples changes cost but not quality.

## Example
```
layer generator { model = gpt4o; samples = 5 }
```

## Instead
```
layer generator { model = gpt4o; samples = 5 }
layer ranker { model = gpt4o; top_k = 1 }
```
"""

    def check(self, ctx: Context, report: Report) -> None:
        layers = ctx.arch.layers
        if not layers:
            return
        # Walk back past layers that keep the candidates of the layer before them.
        index = len(layers) - 1
        while index > 0 and kind_spec(layers[index].kind).effect in ("pass", "filter"):
            index -= 1
        producer = layers[index]
        if kind_spec(producer.kind).effect == "rank":  # ordered: the first candidate is the best
            return
        count = producer.candidates_out(ctx.candidates_in[index])
        if count > 1:
            report(
                f"the last layer leaves {count} candidates from a {producer.kind} in no particular order; "
                "the first is taken as the answer",
                layers[-1].span,
                "end with a single-model fuser or a ranker with top_k = 1",
            )
