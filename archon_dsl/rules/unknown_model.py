"""S004 unknown-model: a model whose provider litellm does not know, or that no table lists."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..diagnostics import Severity
from .base import Context, Report, Rule
from .walk import declared_models, inline_models

if TYPE_CHECKING:
    from ..architecture import ModelSpec
    from ..diagnostics import Span
    from ..template import Template


class UnknownModel(Rule):
    """A typo in a model id fails only at run time, after other calls were paid for."""

    code = "S004"
    name = "unknown-model"
    summary = (
        "A model id with an unknown provider prefix (error) or absent from litellm's model table (note)."
    )
    docs = """\
## What it checks
Each model id is `provider/model`. The provider must be one litellm routes
to (openai, anthropic, together_ai, groq, gemini, bedrock, ... and `sim`,
the built-in simulator); an unknown provider is an error. A model that
litellm's price and context table does not list is a note: it may be new,
retired from the table or misspelt, and its cost will show as unknown. Models with an
`api_base` (a local vLLM or Ollama server) and `sim/` models are exempt
from the table check.

## Why
A misspelt model fails at run time, in the middle of a batch; a model with
no price makes cost budgets uncheckable.

## Example
```
model m = "opnai/gpt-4o"
```

## Instead
```
model m = "openai/gpt-4o"
# or, for a model litellm does not list, give its prices:
model n = "together_ai/new-model" { cost_in = 0.9; cost_out = 0.9 }
```
"""

    def check_template(self, template: Template, report: Report) -> None:
        """Declared models are checked once, even where no configuration instantiates."""
        for model, span in declared_models(template):
            self._model(model, span, report)

    def check(self, ctx: Context, report: Report) -> None:
        """Models written inline as strings, per architecture."""
        for model, span in inline_models(ctx):
            self._model(model, span, report)

    @staticmethod
    def _model(model: ModelSpec, span: Span | None, report: Report) -> None:
        from ..diagnostics import did_you_mean
        from ..pricing import known_provider, model_info, provider_names

        provider, _, rest = model.id.partition("/")
        if not rest:
            report(
                f"model '{model.id}' has no provider prefix",
                span,
                'write "provider/model", e.g. "openai/gpt-4o"',
            )
            return
        if not known_provider(provider):
            guess = did_you_mean(provider, provider_names())
            report(
                f"unknown provider '{provider}' in model '{model.id}'",
                span,
                f"did you mean '{guess}/{rest}'?" if guess else "see litellm's list of providers",
            )
            return
        if provider == "sim" or model.api_base is not None or model.cost_in is not None:
            return
        if model_info(model.id) is None:
            report(
                f"model '{model.id}' is not in litellm's model table; its cost is unknown",
                span,
                "check the spelling, or give `cost_in`/`cost_out` on the model",
                Severity.INFO,
            )
