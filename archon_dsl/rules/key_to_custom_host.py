"""S014 key-to-custom-host: a model on a custom api_base that names no key, where its provider's key would have gone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..diagnostics import Severity
from .base import Context, Report, Rule
from .walk import declared_models, inline_models

if TYPE_CHECKING:
    from ..architecture import ModelSpec
    from ..diagnostics import Span
    from ..template import Template


class KeyToCustomHost(Rule):
    """A shared file must not be able to send the user's provider key to a server of its choosing."""

    code = "S014"
    name = "key-to-custom-host"
    severity = Severity.WARNING
    summary = "A model on a custom `api_base` names no `api_key`: its provider's key from the environment is not sent there."
    docs = """\
## What it checks
Each model whose calls go to an `api_base` (its own, or its `provider`
block's) that is neither the provider's own endpoint nor this machine
(`localhost`, `127.0.0.1`), and that has no `api_key`, while its provider
reads a key from the environment (`OPENAI_API_KEY` for `openai/...`,
`ANTHROPIC_API_KEY`, ...). An `api_base = env("VAR", "default")` is judged
by its default; one without a default is the user's own choice, not the
file's. `sim/` models and keyless providers (`ollama`, `hosted_vllm`) are
exempt.

## Why
A provider's key from the environment goes only to that provider's own
endpoints: otherwise any shared `.arch` file could name its own server and
collect the key of whoever runs it. So such a model is called with no key,
and a server that needs one answers 401. If that host should get a key,
the file has to say which, where a reader sees it.

## Example
```
model gpt = "openai/gpt-4o" { api_base = "https://llm-proxy.example.com/v1" }
```

## Instead
```
model gpt = "openai/gpt-4o" { api_base = "https://llm-proxy.example.com/v1"; api_key = env("PROXY_API_KEY") }
# or, for a server that checks no key:
model gpt = "openai/gpt-4o" { api_base = "https://llm-proxy.example.com/v1"; api_key = "none" }
```
"""

    def check_template(self, template: Template, report: Report) -> None:
        """Declared models, once each, with the file's provider blocks."""
        for model, span in declared_models(template):
            self._model(model, template.providers, span, report)

    def check(self, ctx: Context, report: Report) -> None:
        """Models written inline as strings, per architecture."""
        for model, span in inline_models(ctx):
            self._model(model, ctx.arch.providers, span, report)

    @staticmethod
    def _model(model: ModelSpec, providers: dict[str, Any] | None, span: Span | None, report: Report) -> None:
        from ..runtime.keys import inherits_key_at_custom_host

        where, api_base = _static_api_base(model, providers)
        variable = inherits_key_at_custom_host(model, api_base) if api_base else None
        if variable is None:
            return
        label = model.id if model.name == model.id else f"'{model.name}' ({model.id})"
        report(
            f"model {label} calls {api_base}{where}, which is not {model.provider}'s own endpoint, "
            f"and names no api_key: {variable} from your environment is not sent there",
            span,
            f'if that host should get a key, add `api_key = env("{variable}")` (or the variable holding its key) '
            'to the model; if it checks none, add `api_key = "none"`',
        )


def _static_api_base(model: ModelSpec, providers: dict[str, Any] | None) -> tuple[str, str | None]:
    """Where a model's calls go as the file says it (an env() by its default), and whose setting that is."""
    from ..architecture import EnvVar

    value, where = model.api_base, ""
    if value is None:
        block = (providers or {}).get(model.provider)
        value = getattr(block, "api_base", None)
        where = f' (its provider "{model.provider}" block\'s api_base)'
    if isinstance(value, EnvVar):
        value = value.default
    return where, value
