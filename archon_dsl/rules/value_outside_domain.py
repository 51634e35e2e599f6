"""S007 value-outside-domain: a parameter's default (or a given value) lies outside its domain."""

from __future__ import annotations

from .base import DeclarationRule


class ValueOutsideDomain(DeclarationRule):
    """The default configuration is the one `run` uses and search starts from: it must be in the space."""

    code = "S007"
    name = "value-outside-domain"
    summary = "A parameter default, or a value given with -p, outside the parameter's domain."
    docs = """\
## What it checks
That each parameter's default lies in its domain, and that a value given
with `-p name=value` does too.

## Why
The default configuration is the one `archonc run` uses and the one greedy
search starts from; a default outside the domain is a point the search can
never return to, and usually a typo in the range.

## Example
```
param n_gen: int = 12 in 1..10
```

## Instead
```
param n_gen: int = 10 in 1..10
```
"""
