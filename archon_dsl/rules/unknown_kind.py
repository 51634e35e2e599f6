"""E002 unknown-kind: a layer names a component kind that does not exist."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..diagnostics import did_you_mean
from ..kinds import is_kind, kind_names
from .base import Report, Rule
from .walk import layer_decls

if TYPE_CHECKING:
    from ..template import Template


class UnknownKind(Rule):
    """Every layer is one of the seven component kinds of the paper."""

    code = "E002"
    name = "unknown-kind"
    summary = "A layer's component kind is not one of the seven kinds."
    docs = """\
## What it checks
That each `layer KIND { ... }` uses one of: generator, critic, ranker, fuser,
verifier, unit_test_generator, unit_test_evaluator.

## Why
The kind decides what a layer reads and writes; a misspelt kind would
otherwise silently do nothing.

## Example
```
layer fusor { model = gpt4o }
```

## Instead
```
layer fuser { model = gpt4o }
```
"""

    def check_template(self, template: Template, report: Report) -> None:
        for decl in layer_decls(template.module):
            if not is_kind(decl.kind):
                guess = did_you_mean(decl.kind, kind_names())
                report(
                    f"unknown component kind '{decl.kind}'",
                    decl.kind_span,
                    f"did you mean '{guess}'?" if guess else f"kinds are {', '.join(kind_names())}",
                )
