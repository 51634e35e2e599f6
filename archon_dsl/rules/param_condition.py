"""S016 param-condition: a parameter's `when` reads itself, a later parameter or a pool."""

from __future__ import annotations

from .base import DeclarationRule


class ParamCondition(DeclarationRule):
    """Raised where conditions are resolved (archon_dsl.template.conditions); forwarded here."""

    code = "S016"
    name = "param-condition"
    summary = "A parameter's `when` condition reads itself, a parameter declared after it, or a pool."
    docs = """\
## What it checks
That the condition of a conditional parameter, `param NAME: TYPE ... when
COND`, reads only parameters declared above it (and models). Whether a
parameter exists is decided in declaration order, so each condition is
evaluated once the parameters it depends on are known. A pool is computed
from the parameters, so a condition cannot read one.

## Why
A condition that reads a later parameter, or itself, has no order in which
it can be decided: the space would not be a tree of parameters, and a
search could not tell which parameters a point has. Such a condition is
ignored (the parameter always exists) until it is fixed.

## Example
```
param f2: int = 4 in {2, 4, 6} when layers >= 3
param layers: int = 2 in 1..4
```

## Instead
```
param layers: int = 2 in 1..4
param f2: int = 4 in {2, 4, 6} when layers >= 3
```
"""
