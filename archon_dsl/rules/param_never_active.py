"""S017 param-never-active: a conditional parameter whose `when` holds at no point of the space."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..diagnostics import Severity
from .base import Report, Rule

if TYPE_CHECKING:
    from ..template import Template


class ParamNeverActive(Rule):
    """Decided over the values of the parameters the condition reads, not point by point."""

    code = "S017"
    name = "param-never-active"
    severity = Severity.WARNING
    summary = "A conditional parameter whose `when` is false for every value of the parameters above it."
    docs = """\
## What it checks
That each `param ... when COND` exists somewhere: COND holds for at least
one combination of the values of the parameters it reads (within their
domains, and given that those exist themselves).

## Why
A parameter that never exists is dead weight: nothing that reads it can
run, and it usually means the comparison has the wrong direction or the
domain of the parameter it reads is too narrow.

## Example
```
param layers: int = 2 in 1..4
param f4: int = 4 in {2, 4, 6} when layers > 4
```

## Instead
```
param layers: int = 2 in 1..5
param f4: int = 4 in {2, 4, 6} when layers > 4
```
"""

    def check_template(self, template: Template, report: Report) -> None:
        from ..template import EvalError

        try:
            dead = template.never_active()
        except EvalError:
            return  # the condition itself fails to evaluate: the space check reports where
        for param in dead:
            span = param.when.span if param.when is not None else None
            report(
                f"'{param.name}' never exists: its condition is false for every value of "
                f"{', '.join(repr(p) for p in param.parents) or 'the parameters above it'}",
                span,
                "check the comparison's direction and the domains it reads",
            )
