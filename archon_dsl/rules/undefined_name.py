"""S005 undefined-name: an expression reads a name no declaration defines."""

from __future__ import annotations

from ..diagnostics import did_you_mean
from ..language import ast
from .base import Rule
from .walk import expressions, names_in


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

    def check_template(self, template, report) -> None:
        module = template.module
        declared = {
            s.name for s in module.included + module.statements
            if isinstance(s, (ast.ModelDecl, ast.PoolDecl, ast.ParamDecl))
        }
        for statement in module.statements:
            self._statement(statement, declared, frozenset(), report)

    def _statement(self, statement, declared: set[str], loop_vars: frozenset[str], report) -> None:
        if isinstance(statement, ast.ParamDecl):
            # A choice domain may name models; other domains hold literals (checked elsewhere).
            if statement.type == "choice" and isinstance(statement.domain, ast.SetDomain):
                for item in statement.domain.values:
                    for name in names_in(item):
                        self._check(name, declared, loop_vars, report)
            if statement.default is not None:
                for name in names_in(statement.default):
                    self._check(name, declared, loop_vars, report)
            return
        for expr in expressions(statement):
            for name in names_in(expr):
                self._check(name, declared, loop_vars, report)
        if isinstance(statement, ast.Repeat):
            inner = loop_vars | {statement.var} if statement.var else loop_vars
            for child in statement.body:
                self._statement(child, declared, inner, report)
        elif isinstance(statement, ast.If):
            for child in statement.then + (statement.otherwise or []):
                self._statement(child, declared, loop_vars, report)

    @staticmethod
    def _check(name: ast.Name, declared: set[str], loop_vars: frozenset[str], report) -> None:
        if name.id in declared or name.id in loop_vars:
            return
        guess = did_you_mean(name.id, declared | loop_vars)
        report(
            f"'{name.id}' is not defined", name.span,
            f"did you mean '{guess}'?" if guess else "declare it with `model`, `pool` or `param`",
        )
