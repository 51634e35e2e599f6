"""E003 unknown-option: an option a layer kind, `defaults` or `provider` does not take."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from ..architecture import DEFAULT_OPTIONS, PROVIDER_OPTIONS
from ..diagnostics import did_you_mean
from ..kinds import is_kind, kind_spec
from ..language import ast
from .base import Report, Rule
from .walk import layer_decls

if TYPE_CHECKING:
    from ..template import Template


class UnknownOption(Rule):
    """Options are checked per kind, so a typo or a misplaced option never goes unnoticed."""

    code = "E003"
    name = "unknown-option"
    summary = "An option that this layer kind, `defaults` or `provider` does not take."
    docs = """\
## What it checks
Each layer option against the options its kind takes: every kind takes
`model`/`models`, `temperature`, `max_tokens`, `prompt` and `system`;
generators and fusers take `samples`; rankers take `top_k`; unit-test
generators take `count`; unit-test evaluators take `top_k` and `mode`.
`defaults { }` takes temperature, max_tokens, timeout, retries, concurrency and
fan_in; `provider "name" { }` takes rpm, tpm, concurrency, api_base and timeout.
(Model declarations pass unknown options to the provider, e.g. `top_p`.)

## Why
An option the kind ignores (a ranker's `samples`, a misspelt `top_k`) would
silently change nothing.

## Example
```
layer ranker { model = gpt4o; topk = 5 }
```

## Instead
```
layer ranker { model = gpt4o; top_k = 5 }
```
"""

    def check_template(self, template: Template, report: Report) -> None:
        for decl in layer_decls(template.module):
            if not is_kind(decl.kind):
                continue  # unknown-kind says it
            allowed = kind_spec(decl.kind).option_names
            self._options(decl.options, allowed, f"a {decl.kind} layer", report)
            names = [o.name for o in decl.options]
            if "model" in names and "models" in names:
                option = decl.options[names.index("models")]
                report("a layer takes `model` or `models`, not both", option.span, "keep one of them")
            # One pass (a count per name was quadratic in a layer's options): each repeat, at its second use.
            seen: set[str] = set()
            reported: set[str] = set()
            for option in decl.options:
                if option.name in seen and option.name not in reported:
                    reported.add(option.name)
                    report(f"option `{option.name}` is given twice", option.span, "remove one")
                seen.add(option.name)
        for decl in template.module.of_type(ast.Defaults):
            self._options(decl.options, DEFAULT_OPTIONS, "`defaults`", report)
        for decl in template.module.of_type(ast.ProviderDecl):
            self._options(decl.options, PROVIDER_OPTIONS, "a provider", report)

    @staticmethod
    def _options(options: list[ast.Option], allowed: Collection[str], where: str, report: Report) -> None:
        for option in options:
            if option.name in allowed:
                continue
            guess = did_you_mean(option.name, allowed)
            hint = f"did you mean `{guess}`?" if guess else f"{where} takes: {', '.join(sorted(allowed))}"
            report(f"{where} has no option `{option.name}`", option.span, hint)
