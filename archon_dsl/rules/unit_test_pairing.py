"""A006 unit-test-pairing: unit-test generator and evaluator in consecutive layers, generator first (rule 6)."""

from __future__ import annotations

from .base import Context, Report, Rule


class UnitTestPairing(Rule):
    """Tests are written to be run: an evaluator needs them, a generator's tests need an evaluator."""

    code = "A006"
    name = "unit-test-pairing"
    summary = "A unit-test generator not directly followed by a unit-test evaluator, or the reverse."
    docs = """\
## What it checks
That every `unit_test_evaluator` layer comes right after a
`unit_test_generator` layer, and every `unit_test_generator` right before a
`unit_test_evaluator`.

## Why
Archon, Table 4: the two stand in consecutive layers, generator first. An
evaluator without tests has nothing to run; tests no evaluator runs cost a
call and change nothing (a fuser does not read them).

## Example
```
layer generator { model = a; samples = 10 }
layer unit_test_evaluator { model = a }
```

## Instead
```
layer generator { model = a; samples = 10 }
layer unit_test_generator { model = a; count = 5 }
layer unit_test_evaluator { model = a; top_k = 1 }
```
"""

    def check(self, ctx: Context, report: Report) -> None:
        layers = ctx.arch.layers
        kinds = {layer.kind for layer in layers}
        if not kinds & {"unit_test_generator", "unit_test_evaluator"}:
            return
        # Tests flow along `tests` edges of the data-flow graph; the pair is right
        # when that edge joins two consecutive layers.
        graph = ctx.graph
        for index, layer in enumerate(layers):
            if layer.kind == "unit_test_evaluator":
                sources = [u for u, _, d in graph.in_edges(index, data=True) if d["data"] == "tests"]
                if sources != [index - 1]:
                    report(
                        f"the unit-test evaluator in layer {index + 1} does not follow a unit-test generator",
                        layer.span,
                        "put `layer unit_test_generator { ... }` right before it",
                    )
            elif layer.kind == "unit_test_generator":
                readers = [v for _, v, d in graph.out_edges(index, data=True) if d["data"] == "tests"]
                if index + 1 not in readers:
                    report(
                        f"the unit tests written in layer {index + 1} are not evaluated in the next layer",
                        layer.span,
                        "put `layer unit_test_evaluator { ... }` right after it",
                    )
