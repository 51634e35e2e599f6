"""The one module that calls model providers: litellm.acompletion with retries, limits, cache and cost."""

from __future__ import annotations

import os
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Awaitable, Callable, Iterable, Mapping

import anyio

from ..architecture import Defaults, EnvVar, ModelSpec, ProviderLimits
from ..components.base import CallSpec
from ..pricing import model_info, spec_info
from .cache import Cache, CachedReply, cache_key
from .keys import load_env_file, redact
from .limits import Limits

# HTTP statuses worth another attempt: timeouts, conflicts, rate limits and server errors.
RETRY_STATUSES = frozenset({408, 409, 425, 429})
# A provider asking us to wait longer than this has an outage or a quota spent: give up.
MAX_RETRY_AFTER = 120.0
ERROR_CHARS = 500
_DEFAULTS = Defaults()
# Providers whose client refuses to start without a key, even for a local server.
_NEEDS_SOME_KEY = frozenset({"openai"})
_PLACEHOLDER_KEY = "sk-no-key"  # for OpenAI-compatible local servers that check none

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


@dataclass(slots=True)
class CallResult:
    """The outcome of one call (after retries and fallbacks); `error` is set when it failed."""

    text: str | None
    model: str  # the model id that answered (a fallback's, if one did)
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None  # None: no known price; 0.0 for a cache hit
    latency_s: float = 0.0
    cached: bool = False
    attempts: int = 0
    error: str | None = None  # no secrets: credentials are redacted
    retry_after_waits: float = 0.0  # seconds spent waiting because a provider sent Retry-After

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(slots=True)
class _Attempt:
    """The state of one model's attempts within a call."""

    text: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    error: str | None = None


class Provider:
    """Makes every LLM call: limits, cache, retries with backoff, fallbacks, cost.

    `complete` never raises for a provider's failure: the CallResult carries the error.
    It raises only when cancelled. A value the architecture sets (`defaults`, a
    `provider` block or the model) wins over this object's `timeout` and `retries`.
    """

    def __init__(
        self,
        *,
        limits: Limits | None = None,
        cache: Cache | None = None,
        retries: int = 3,
        timeout: float = 120.0,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        env_file: str | None = ".env",
        providers: Mapping[str, ProviderLimits] | None = None,
        models: Iterable[ModelSpec] = (),
        max_retry_after: float = MAX_RETRY_AFTER,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
        jitter: Callable[[], float] = random.random,
    ):
        self.limits = limits
        self.cache = cache
        self.retries = max(0, retries)
        self.timeout = timeout
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.providers = dict(providers or {})
        self.models = {m.id: m for m in models}  # full specs for fallback ids (api_base, params)
        self.max_retry_after = max_retry_after
        self.jitter = jitter
        self.sleep = sleep if sleep is not None else anyio.sleep
        load_env_file(env_file)
        self._structured: dict[str, bool] = {}
        self._keys: dict[str, bool] = {}

    @classmethod
    def for_architecture(cls, architecture, *, cache: Cache | None = None, limits: Limits | None = None, **options) -> Provider:
        """A Provider with the architecture's provider blocks, limits and model specs."""
        models = {m.id: m for layer in architecture.layers for m in layer.models}
        return cls(
            limits=limits if limits is not None else Limits.configure(architecture),
            cache=cache, providers=architecture.providers, models=models.values(), **options,
        )

    # -- one call ---------------------------------------------------------------------

    async def complete(
        self,
        spec: CallSpec,
        *,
        defaults: Defaults | None = None,
        metadata: dict | None = None,
        refresh: bool = False,
    ) -> CallResult:
        """Run one call: from the cache if there (unless `refresh`), else the model, then its fallbacks."""
        start = time.perf_counter()
        model = spec.model
        defaults = defaults or _DEFAULTS
        temperature = _first(spec.temperature, model.temperature, defaults.temperature)
        max_tokens = _first(spec.max_tokens, model.max_tokens, defaults.max_tokens)
        key = None
        if self.cache is not None:
            key = cache_key(
                model.id, spec.messages, api_base=self._api_base(model), temperature=temperature,
                max_tokens=max_tokens, response_format=spec.response_format, params=_resolved(model.params),
                sample=spec.sample,
            )
            if not refresh:
                hit = self.cache.get(key)
                if hit is not None:
                    return CallResult(
                        hit.text, hit.model, hit.input_tokens, hit.output_tokens, 0.0,
                        time.perf_counter() - start, cached=True,
                    )
        result = CallResult(None, model.id)
        errors: list[str] = []
        candidate = model
        fallbacks = iter(model.fallbacks)
        while True:
            attempt = await self._attempts(candidate, spec, defaults, temperature, max_tokens, metadata, result)
            if attempt.error is None:
                result.text, result.model = attempt.text, candidate.id
                result.input_tokens, result.output_tokens = attempt.input_tokens, attempt.output_tokens
                result.cost_usd = attempt.cost_usd
                break
            errors.append(attempt.error if candidate is model else f"fallback {attempt.error}")
            fallback = next(fallbacks, None)
            if fallback is None:
                result.error = redact("; ".join(errors))[: ERROR_CHARS * len(errors)]
                break
            candidate = self._fallback(fallback)
        result.latency_s = time.perf_counter() - start
        if result.error is None and key is not None:
            self.cache.put(key, CachedReply(result.text, result.model, result.input_tokens, result.output_tokens,
                                            result.cost_usd))
        return result

    async def _attempts(
        self, model: ModelSpec, spec: CallSpec, defaults: Defaults, temperature, max_tokens, metadata, result: CallResult,
    ) -> _Attempt:
        """Up to 1 + retries attempts on one model; backoff with full jitter, or Retry-After."""
        litellm = litellm_module()
        if model.provider == "sim":
            from . import sim

            sim.register()  # idempotent: a file of sim/ models runs without --sim
        provider_options = self.providers.get(model.provider)
        timeout = _first(model.timeout, provider_options.timeout if provider_options else None,
                         _set(defaults.timeout, _DEFAULTS.timeout), self.timeout)
        retries = _set(defaults.retries, _DEFAULTS.retries)
        retries = self.retries if retries is None else max(0, retries)
        estimate = _estimate_tokens(spec.messages, max_tokens)
        limits = self.limits
        outcome = _Attempt()
        for attempt in range(retries + 1):
            result.attempts += 1
            error: BaseException | None = None
            kwargs = self._request(model, spec, temperature, max_tokens, timeout, metadata)  # fresh: litellm edits it
            # The per-call timeout is litellm's (it passes it to the HTTP client): a cancel
            # scope of ours around each call would cost more than the rest of this method.
            try:
                if limits is None:
                    response = await litellm.acompletion(**kwargs)
                else:
                    async with limits.slot(model, estimate) as slot:
                        response = await litellm.acompletion(**kwargs)
                        slot.report(sum(_usage(response)))
            except Exception as e:  # a provider's failure: retried or reported, never raised
                error = e
            if error is None:
                text = _text(response)
                if text is None:
                    outcome.error = f"{model.id}: the reply has no text"
                    return outcome
                outcome.text = text
                outcome.input_tokens, outcome.output_tokens = _usage(response)
                outcome.cost_usd = _cost(model, response, outcome.input_tokens, outcome.output_tokens)
                outcome.error = None
                return outcome
            outcome.error = f"{model.id}: {_describe(error)}"
            if not _retryable(error) or attempt == retries:
                return outcome
            wait = _retry_after(error)
            if wait is not None:
                if wait > self.max_retry_after:
                    outcome.error += f" (asked to retry after {wait:.0f}s; giving up)"
                    return outcome
                if limits is not None:
                    limits.defer(model, wait)
                result.retry_after_waits += wait
            else:
                wait = self.jitter() * min(self.backoff_max, self.backoff_base * 2**attempt)
            await self.sleep(wait)
        return outcome

    # -- the request ------------------------------------------------------------------

    def _request(self, model: ModelSpec, spec: CallSpec, temperature, max_tokens, timeout, metadata) -> dict[str, Any]:
        kwargs: dict[str, Any] = dict(_resolved(model.params))
        kwargs.update(
            # Copies: litellm adds keys to the dicts it is given, and the caller's must stay as they were.
            model=model.id, messages=[dict(m) for m in spec.messages], temperature=temperature, max_tokens=max_tokens,
            timeout=timeout, max_retries=0, num_retries=0,
            drop_params=True,  # a parameter the model does not take (temperature on o-series) is left out, not an error
        )
        api_base = self._api_base(model)
        if api_base:
            kwargs["api_base"] = api_base
            if model.provider in _NEEDS_SOME_KEY and "api_key" not in kwargs and not self._has_key(model.provider):
                kwargs["api_key"] = _PLACEHOLDER_KEY
        # Only the sim reads metadata (sample, kind, attempt); for every other provider
        # litellm's handling of it costs about 1.5 ms of CPU a call (bench_throughput.py).
        if metadata is not None and model.provider == "sim":
            kwargs["metadata"] = dict(metadata)
        if spec.response_format is not None and self._takes_response_format(model.id):
            kwargs["response_format"] = spec.response_format
        return kwargs

    def _api_base(self, model: ModelSpec) -> str | None:
        value = model.api_base
        if value is None:
            options = self.providers.get(model.provider)
            value = options.api_base if options else None
        return value.resolve() if isinstance(value, EnvVar) else value

    def _has_key(self, provider: str) -> bool:
        """Whether the environment holds the provider's key (looked up once per provider)."""
        has = self._keys.get(provider)
        if has is None:
            has = self._keys[provider] = bool(os.environ.get(f"{provider.upper()}_API_KEY"))
        return has

    def _fallback(self, fallback_id: str) -> ModelSpec:
        known = self.models.get(fallback_id)
        return known if known is not None else ModelSpec(name=fallback_id, id=fallback_id)

    def _takes_response_format(self, model_id: str) -> bool:
        """Only for models litellm knows to accept a JSON schema: an unknown one may reject it."""
        known = self._structured.get(model_id)
        if known is None:
            known = False
            info = model_info(model_id)
            if info is not None and info.provider != "sim":
                litellm = litellm_module()
                provider, _, name = model_id.partition("/")
                try:
                    known = bool(litellm.supports_response_schema(model=model_id)) and "response_format" in (
                        litellm.get_supported_openai_params(model=name or model_id, custom_llm_provider=provider or None)
                        or ()
                    )
                except Exception:  # litellm could not place the model: do not send a schema
                    known = False
            self._structured[model_id] = known
        return known


def _first(*values):
    for value in values:
        if value is not None:
            return value
    return None


def _set(value, default):
    """`value` if the architecture set it (it differs from the field's default), else None."""
    return None if value == default else value


def _resolved(params: Mapping[str, Any]) -> dict[str, Any]:
    if not params:
        return {}
    return {k: v.resolve() if isinstance(v, EnvVar) else v for k, v in params.items()}


def _estimate_tokens(messages, max_tokens: int | None) -> int:
    """Tokens a call may use, for tokens-per-minute limits: ~4 characters a token, plus the reply."""
    chars = sum(len(str(m.get("content") or "")) for m in messages)
    return chars // 4 + (max_tokens or 0)


def _text(response) -> str | None:
    try:
        return response.choices[0].message.content
    except (AttributeError, IndexError, TypeError):
        return None


def _usage(response) -> tuple[int, int]:
    usage = getattr(response, "usage", None)
    if usage is None:
        return 0, 0
    return int(getattr(usage, "prompt_tokens", 0) or 0), int(getattr(usage, "completion_tokens", 0) or 0)


def _cost(model: ModelSpec, response, input_tokens: int, output_tokens: int) -> float | None:
    """The model's own prices if it gives them, else litellm's (computed with the response), else None."""
    if model.cost_in is not None or model.cost_out is not None:
        info = spec_info(model)
        return info.cost(input_tokens, output_tokens) if info else None
    info = model_info(model.id)
    if info is None or not info.priced:
        return None
    hidden = getattr(response, "_hidden_params", None) or {}
    cost = hidden.get("response_cost") if isinstance(hidden, dict) else None
    if cost is None:
        return info.cost(input_tokens, output_tokens)
    return float(cost)


def _status(error: BaseException) -> int | None:
    status = getattr(error, "status_code", None)
    if status is None:
        response = getattr(error, "response", None)
        status = getattr(response, "status_code", None)
    return status if isinstance(status, int) else None


def _retryable(error: BaseException) -> bool:
    """Timeouts, connection failures, 408/409/425/429 and 5xx; not 400, 401, 403, 404, 422..."""
    if isinstance(error, (TimeoutError, ConnectionError)):
        return True
    names = {cls.__name__ for cls in type(error).__mro__}
    if names & {"Timeout", "APITimeoutError", "APIConnectionError", "TimeoutException", "ConnectError",
                "ServiceUnavailableError", "InternalServerError", "RateLimitError"}:
        return True
    status = _status(error)
    return status is not None and (status in RETRY_STATUSES or status >= 500)


def _retry_after(error: BaseException) -> float | None:
    """Seconds a provider asked us to wait (Retry-After: seconds or an HTTP date; retry-after-ms)."""
    headers = getattr(error, "litellm_response_headers", None)
    if headers is None:
        headers = getattr(getattr(error, "response", None), "headers", None)
    if not headers:
        return None
    try:
        milliseconds = headers.get("retry-after-ms")
        if milliseconds is not None:
            return max(0.0, float(milliseconds) / 1000)
        value = headers.get("retry-after")
    except (AttributeError, TypeError, ValueError):
        return None
    if value is None:
        return None
    value = str(value).strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _describe(error: BaseException) -> str:
    """One line saying what failed: the exception's kind and the first line of its message."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    kind = type(error).__name__
    if message.startswith("litellm."):
        message = message.split(":", 1)[-1].strip()
    if not message:
        message = "timed out" if isinstance(error, TimeoutError) else "no message"
    text = message if message.startswith(kind) else f"{kind}: {message}"
    return redact(text)[:ERROR_CHARS]
