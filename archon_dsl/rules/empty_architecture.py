"""S011 empty-architecture: an architecture with no layers."""

from __future__ import annotations

from .base import Context, Report, Rule


class EmptyArchitecture(Rule):
    """With no layer there is no answer; often a `repeat 0` or an `if` that is never true."""

    code = "S011"
    name = "empty-architecture"
    summary = "The architecture (for some parameter values) has no layers."
    docs = """\
## What it checks
That the concrete architecture has at least one layer, at every point of a
template's space.

A file with no `layer` statement at all is a library of declarations for
`include` (models, pools, providers) and is exempt.

## Why
Nothing would answer the query. In a template this usually comes from a
`repeat` count that can be 0 or an `if` with no `else`, around every layer.

## Example
```
param depth: int = 1 in 0..3
repeat depth { layer generator { model = a } }
```

## Instead
```
param depth: int = 1 in 1..3
```
"""

    def check(self, ctx: Context, report: Report) -> None:
        # A file of declarations only is a library for `include`, not an architecture.
        if ctx.template is not None and not ctx.template.body:
            return
        if not ctx.arch.layers:
            report("the architecture has no layers", None, "add `layer generator { model = ... }`")
