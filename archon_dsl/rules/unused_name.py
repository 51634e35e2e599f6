"""S006 unused-name: a declared model, pool or parameter that nothing reads."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..diagnostics import Severity
from ..language import ast
from .base import Report, Rule
from .walk import names_in

if TYPE_CHECKING:
    from ..template import Template


class UnusedName(Rule):
    """An unused parameter silently multiplies the search space; an unused model is often a typo."""

    code = "S006"
    name = "unused-name"
    severity = Severity.WARNING
    summary = "A model, pool or parameter declared and never used."
    docs = """\
## What it checks
That every declared `model`, `pool` and `param` is read by some expression
(a layer option, a pool, a constraint, a budget, a `repeat` or `if`).
Declarations that come from an `include`d file are exempt, and so is a file
with no layers (a library for `include`): a shared pool file may declare
more than one architecture uses.

## Why
An unused parameter multiplies the size of the search space without changing
any architecture, so a search wastes evaluations on identical points. An
unused model usually means a layer names the wrong one.

## Example
```
param samples: int = 1 in 1..5
layer generator { model = gpt4o }
```

## Instead
```
param samples: int = 1 in 1..5
layer generator { model = gpt4o; samples = samples }
```
"""

    def check_template(self, template: Template, report: Report) -> None:
        if not template.body:
            return  # a library of declarations for `include`: its users use them
        module = template.module
        # Declarations hold their names as strings, so every Name node is a read.
        used = {name.id for name in names_in(module)}
        for statement in module.statements:
            if not isinstance(statement, (ast.ModelDecl, ast.PoolDecl, ast.ParamDecl)):
                continue
            if statement.name in used:
                continue
            what = {ast.ModelDecl: "model", ast.PoolDecl: "pool", ast.ParamDecl: "parameter"}[type(statement)]
            report(f"{what} '{statement.name}' is never used", statement.name_span, "remove it, or use it")
