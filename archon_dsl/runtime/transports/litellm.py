"""The transport for every other provider: litellm.acompletion (imported on first use, never at start-up)."""

from __future__ import annotations

import os
from typing import Any

from ...architecture import ModelSpec
from . import Reply, Request

# A custom endpoint with no key of the file's gets this, so litellm does not read the provider's
# key from the environment and send it there (keys.credential_for).
PLACEHOLDER_KEY = "sk-no-key"

_litellm = None


def litellm_module():
    """litellm, imported on first use, with its debug banner off.

    The local price table is used (else importing it fetches one over the network). The
    rest of litellm's per-call extras are off by default and stay so: no callbacks, no
    cache (ours is cache.py; litellm's crashes on a hit in current releases), no budget.
    Its retries are turned off per call (`max_retries=0`, `num_retries=0`): we retry.
    """
    global _litellm
    if _litellm is None:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm

        litellm.suppress_debug_info = True  # no "Give Feedback / Get Help" banner on stdout per error
        _litellm = litellm
    return _litellm


class LiteLLMTransport:
    """Calls through litellm, which knows every provider's API and where each one's key lives."""

    name = "litellm"

    def __init__(self):
        self._structured: dict[str, bool] = {}

    async def send(self, request: Request) -> Reply:
        litellm = litellm_module()
        response = await litellm.acompletion(**self._arguments(request))
        usage = getattr(response, "usage", None)
        hidden = getattr(response, "_hidden_params", None) or {}
        cost = hidden.get("response_cost") if isinstance(hidden, dict) else None
        return Reply(
            _text(response),
            int(getattr(usage, "prompt_tokens", 0) or 0) if usage is not None else 0,
            int(getattr(usage, "completion_tokens", 0) or 0) if usage is not None else 0,
            cost_usd=float(cost) if isinstance(cost, (int, float)) else None,
        )

    def _arguments(self, request: Request) -> dict[str, Any]:
        kwargs: dict[str, Any] = dict(request.params)
        kwargs.update(
            # Copies: litellm adds keys to the dicts it is given, and the caller's must stay as they were.
            model=request.model.id,
            messages=[dict(m) for m in request.messages],
            temperature=request.temperature,
            max_tokens=request.max_tokens,
            timeout=request.timeout,
            max_retries=0,
            num_retries=0,
            drop_params=True,  # a parameter the model does not take (temperature on o-series) is left out, not an error
        )
        if request.api_base:
            kwargs["api_base"] = request.api_base
        if request.api_key is not None:
            kwargs["api_key"] = request.api_key
        elif request.custom_endpoint:
            kwargs["api_key"] = PLACEHOLDER_KEY
        if request.response_format is not None:
            kwargs["response_format"] = request.response_format
        return kwargs

    def takes_response_format(self, model: ModelSpec) -> bool:
        """Only for models litellm knows to accept a JSON schema: an unknown one may reject it."""
        from ...pricing import model_info

        known = self._structured.get(model.id)
        if known is None:
            known = False
            info = model_info(model.id)
            if info is not None and info.provider != "sim":
                litellm = litellm_module()
                provider, _, name = model.id.partition("/")
                try:
                    known = bool(litellm.supports_response_schema(model=model.id)) and "response_format" in (
                        litellm.get_supported_openai_params(
                            model=name or model.id, custom_llm_provider=provider or None
                        )
                        or ()
                    )
                except Exception:  # litellm could not place the model: do not send a schema
                    known = False
            self._structured[model.id] = known
        return known


def _text(response) -> str | None:
    try:
        return response.choices[0].message.content
    except (AttributeError, IndexError, TypeError):
        return None
