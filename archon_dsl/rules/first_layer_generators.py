"""A002 first-layer-generators: the first layer is a generator layer (paper rules 2, 4, 5)."""

from __future__ import annotations

from .base import Context, Report, Rule


class FirstLayerGenerators(Rule):
    """Every other kind reads candidates, and only a generator makes them from the query."""

    code = "A002"
    name = "first-layer-generators"
    summary = "The first layer is not a generator layer."
    docs = """\
## What it checks
That the first layer is `generator`. Critics, rankers, fusers, verifiers and
unit-test evaluators read candidates, which do not exist before the first
layer; a unit-test generator first (as some published configs do, to show
tests to the generators) is not a pattern the framework runs.

## Why
Archon, section 3 and Table 4: generators in the first layer only; ranker,
critic, verifier, unit-test generator and evaluator never first; fusers in
any layer but the first.

## Example
```
layer unit_test_generator { model = gpt4o }
layer generator { model = gpt4o; samples = 10 }
```

## Instead
```
layer generator { model = gpt4o; samples = 10 }
layer unit_test_generator { model = gpt4o }
layer unit_test_evaluator { model = gpt4o }
```
"""

    def check(self, ctx: Context, report: Report) -> None:
        layers = ctx.arch.layers
        if layers and layers[0].kind != "generator":
            report(
                f"the first layer is a {layers[0].kind}; the first layer must be generators",
                layers[0].span,
                "start with `layer generator { ... }`",
            )
