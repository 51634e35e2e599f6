"""A003 generators-first-only: generators stand in the first layer only (paper rule 2)."""

from __future__ import annotations

from .base import Context, Report, Rule


class GeneratorsFirstOnly(Rule):
    """A later generator would discard everything the layers before it did."""

    code = "A003"
    name = "generators-first-only"
    summary = "A generator layer after the first layer."
    docs = """\
## What it checks
That no layer after the first is a generator layer.

## Why
A generator reads only the query and writes new candidates, so a generator
in layer 3 throws away the work of layers 1 and 2 (Archon, Table 4). To
sample more, raise `samples` or add models to the first layer; to refine,
use a fuser.

## Example
```
layer generator { models = [a, b] }
layer fuser { model = a }
layer generator { model = b }
```

## Instead
```
layer generator { models = [a, b] }
layer fuser { models = [a, b] }
```
"""

    def check(self, ctx: Context, report: Report) -> None:
        for index, layer in enumerate(ctx.arch.layers[1:], start=2):
            if layer.kind == "generator":
                report(
                    f"layer {index} is a generator; generators belong in the first layer only",
                    layer.span,
                    "use a fuser to refine candidates, or move these models to the first layer",
                )
