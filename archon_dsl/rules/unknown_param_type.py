"""E004 unknown-param-type: a parameter type other than int, float, bool or choice."""

from __future__ import annotations

from .base import DeclarationRule


class UnknownParamType(DeclarationRule):
    """Parameter types decide the domain syntax and how search explores the axis."""

    code = "E004"
    name = "unknown-param-type"
    summary = "A parameter's type is not int, float, bool or choice."
    docs = """\
## What it checks
That `param NAME: TYPE` uses one of the four types: `int` (a range `1..4` or a
set `{1, 2, 4}`), `float` (a range), `bool` (no domain) or `choice` (a set of
strings or declared models).

## Why
The type decides which values the search may try; an unknown type has none.

## Example
```
param n_gen: integer = 3 in 1..4
```

## Instead
```
param n_gen: int = 3 in 1..4
```
"""
