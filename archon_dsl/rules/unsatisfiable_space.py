"""S009 unsatisfiable-space: no point of the space meets the constraints and budgets."""

from __future__ import annotations

from .base import Rule


class UnsatisfiableSpace(Rule):
    """Reported by the space check (archon_dsl.checker): it needs the whole space, not one point."""

    code = "S009"
    name = "unsatisfiable-space"
    summary = "A constraint or budget that no point of the template's space satisfies."
    docs = """\
## What it checks
That some point of the template's space satisfies every `constraint` and
`budget`, and names the first one that excludes every point left by the
ones before it. (A template without parameters has one point.)

## Why
A search over an empty space cannot start; usually a bound has the wrong
direction or a budget is far too small for the layers it covers.

## Example
```
param n_gen: int = 3 in 1..10
constraint n_gen > 10
```

## Instead
```
constraint n_gen > 5
```
"""
