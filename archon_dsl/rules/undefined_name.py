"""S005 undefined-name: an expression reads a name no declaration defines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..diagnostics import did_you_mean
from ..language import ast
from .base import Report, Rule
from .walk import names_in

if TYPE_CHECKING:
    from ..template import Template


class UndefinedName(Rule):
    """Names are resolved statically, so a typo in a branch the default never takes is still caught."""

    code = "S005"
    name = "undefined-name"
    summary = "A name that is not a declared model, pool, parameter or loop variable."
    docs = """\
## What it checks
Every name in an expression: it must be a `model`, `pool` or `param`
declared in the file (or an included one), or the variable of an enclosing
`repeat i in ...`. Checked over every branch of every `if`, whatever the
parameter values.

## Why
A misspelt pool or parameter in an `if` branch that the default
configuration does not take would otherwise surface only when a search
reaches it.

## Example
```
pool proposers = [a, b, c]
layer generator { models = proposer[:2] }
```

## Instead
```
layer generator { models = proposers[:2] }
```
"""

    def check_template(self, template: Template, report: Report) -> None:
        module = template.module
        declared = {
            s.name
            for s in module.included + module.statements
            if isinstance(s, (ast.ModelDecl, ast.PoolDecl, ast.ParamDecl))
        }
        _Resolver(declared, report).visit(module, frozenset())


class _Resolver(ast.Visitor):
    """Reports each name that is neither declared nor the variable of an enclosing `repeat`."""

    def __init__(self, declared: set[str], report: Report) -> None:
        self.declared = declared
        self.report = report

    def visit_ParamDecl(self, decl: ast.ParamDecl, loop_vars: frozenset[str]) -> None:
        # A choice domain may name models; other domains hold literals (checked elsewhere).
        if decl.type == "choice" and isinstance(decl.domain, ast.SetDomain):
            self.visit(decl.domain, loop_vars)
        if decl.default is not None:
            self.visit(decl.default, loop_vars)
        if decl.when is not None:
            self.visit(decl.when, loop_vars)

    def visit_Repeat(self, repeat: ast.Repeat, loop_vars: frozenset[str]) -> None:
        for bound in (repeat.count, repeat.range):
            if bound is not None:
                self.visit(bound, loop_vars)
        inner = loop_vars | {repeat.var} if repeat.var else loop_vars
        for statement in repeat.body:
            self.visit(statement, inner)

    def visit_LayerDecl(self, decl: ast.LayerDecl, loop_vars: frozenset[str]) -> None:
        # Most of a big file: its names straight from walk(), without a visit per node.
        for name in names_in(decl):
            self.visit_Name(name, loop_vars)

    def visit_Name(self, name: ast.Name, loop_vars: frozenset[str]) -> None:
        if name.id in self.declared or name.id in loop_vars:
            return
        guess = did_you_mean(name.id, self.declared | loop_vars)
        self.report(
            f"'{name.id}' is not defined",
            name.span,
            f"did you mean '{guess}'?" if guess else "declare it with `model`, `pool` or `param`",
        )
