"""S013 prompt-placeholders: a prompt override names a placeholder its kind does not fill, or omits its input."""

from __future__ import annotations

import re

from ..diagnostics import Severity, did_you_mean
from ..kinds import kind_spec
from .base import Context, Report, Rule

# As the components read templates: `{name}` is a placeholder, `{{` and `}}` are braces.
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
# What a prompt of each kind must show the model to do its job at all.
_REQUIRED = {
    "critic": "candidates",
    "ranker": "candidates",
    "fuser": "candidates",
    "verifier": "candidate",
    "unit_test_evaluator": "candidate",
}


class PromptPlaceholders(Rule):
    """A misspelt `{candidates}` reaches the model as literal text, and the layer silently works blind."""

    code = "S013"
    name = "prompt-placeholders"
    severity = Severity.WARNING
    summary = (
        "A `prompt` or `system` override uses a placeholder its kind does not fill, or never shows its input."
    )
    docs = """\
## What it checks
Each layer's `prompt` and `system` overrides: every `{name}` must be one the
kind fills (generator: query; critic: query, candidates, n; ranker: query,
candidates, critiques, n, top_k; fuser: query, candidates, critiques, n;
verifier: query, candidate; unit_test_generator: query, count;
unit_test_evaluator: query, candidate, tests, n_tests). `{{` and `}}` are
literal braces, so a prompt may show JSON. A `prompt` for a kind that reads
candidates must show them (`{candidates}`, or `{candidate}` for verifiers
and evaluators).

## Why
An unknown placeholder is sent to the model as literal text, and a prompt
without its candidates asks the model to judge what it cannot see: both
fail quietly, as worse answers.

## Example
```
layer fuser { model = m; prompt = "Merge these: {candidate}" }
```

## Instead
```
layer fuser { model = m; prompt = "Merge these answers to {query}: {candidates}" }
```
"""

    def check(self, ctx: Context, report: Report) -> None:
        for index, layer in enumerate(ctx.arch.layers, start=1):
            known = kind_spec(layer.kind).placeholders
            for option in ("prompt", "system"):
                template = getattr(layer, option)
                if template is None:
                    continue
                used = {m.group(1) for m in _PLACEHOLDER.finditer(template) if m.group(1)}
                for name in sorted(used - set(known)):
                    guess = did_you_mean(name, known)
                    report(
                        f"the {option} of layer {index} ({layer.kind}) uses {{{name}}}, which a {layer.kind} "
                        "does not fill",
                        layer.span,
                        f"did you mean {{{guess}}}?"
                        if guess
                        else f"a {layer.kind} fills: "
                        + ", ".join(f"{{{k}}}" for k in known)
                        + "; write {{ and }} for literal braces",
                    )
                required = _REQUIRED.get(layer.kind)
                if option == "prompt" and required and required not in used:
                    report(
                        f"the prompt of layer {index} ({layer.kind}) never shows the model {{{required}}}",
                        layer.span,
                        f"include {{{required}}} where the model should read them",
                    )
