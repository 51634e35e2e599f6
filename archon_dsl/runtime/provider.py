"""The one module that calls model providers: it picks the transport and keeps retries, limits, cache and cost.

Transports (runtime/transports/): the openai SDK for OpenAI-compatible endpoints, litellm for
every other provider, the simulator for `sim/` models. Which one a call takes is decided here
(`transport_for`); everything around the attempt (limits, retries with backoff or Retry-After,
error classification, fallbacks, prices, the cache) is shared by all three.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import anyio

from ..architecture import Defaults, EnvVar, ModelSpec, ProviderLimits
from ..components.base import CallSpec
from ..pricing import spec_info
from .cache import Cache, CachedReply, cache_key
from .keys import credential_for, is_custom_host, load_env_file, redact
from .limits import Limits
from .transports import Reply, Request, Transport
from .transports.endpoints import default_base, speaks_openai, with_path
from .transports.litellm import litellm_module  # noqa: F401  (imported on first call; kept for callers)

# HTTP statuses worth another attempt: timeouts, conflicts, rate limits and server errors.
RETRY_STATUSES = frozenset({408, 409, 425, 429})
# A provider asking us to wait longer than this has an outage or a quota spent: give up.
MAX_RETRY_AFTER = 120.0
ERROR_CHARS = 500
_DEFAULTS = Defaults()


def transport_for(model: ModelSpec, api_base: str | None = None) -> str:
    """Which transport a call to `model` takes: "sim", "openai" or "litellm".

    `sim/` models go to the simulator. A model's `transport` option decides next. Otherwise a
    model with an `api_base` and providers that speak the OpenAI chat API (openai, together_ai,
    groq, deepseek, fireworks_ai, openrouter, mistral, vLLM, Ollama, LM Studio, ...) take the openai
    SDK, and everything else litellm. `api_base` is where the call goes (a provider block's, if set).
    """
    if model.provider == "sim":
        return "sim"
    if model.transport is not None:
        return model.transport
    base = api_base if api_base is not None else _resolve(model.api_base)
    if speaks_openai(model.provider, base) and (base is not None or default_base(model.provider) is not None):
        return "openai"
    return "litellm"


def _resolve(value):
    return value.resolve() if isinstance(value, EnvVar) else value


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
    simulated_s: float | None = None  # a simulated model's latency, summed over its attempts


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
        self._transports: dict[str, Any] = {}

    @classmethod
    def for_architecture(
        cls, architecture, *, cache: Cache | None = None, limits: Limits | None = None, **options
    ) -> Provider:
        """A Provider with the architecture's provider blocks, limits and model specs."""
        models = {m.id: m for layer in architecture.layers for m in layer.models}
        return cls(
            limits=limits if limits is not None else Limits.configure(architecture),
            cache=cache,
            providers=architecture.providers,
            models=models.values(),
            **options,
        )

    # -- one call ---------------------------------------------------------------------

    async def complete(
        self,
        spec: CallSpec,
        *,
        defaults: Defaults | None = None,
        metadata: dict | None = None,
        refresh: bool = False,
        on_text: Callable[[str], None] | None = None,
    ) -> CallResult:
        """Run one call: from the cache if there (unless `refresh`), else the model, then its fallbacks.

        `on_text(text so far)` sees the reply as it streams, where the transport streams (the openai
        SDK's); a retry starts the text over. A cache hit or another transport calls it not at all.
        """
        model = spec.model
        self.transport(transport_for(model, self._api_base(model)))  # loaded before the clock starts
        start = time.perf_counter()
        defaults = defaults or _DEFAULTS
        temperature = _first(spec.temperature, model.temperature, defaults.temperature)
        max_tokens = _first(spec.max_tokens, model.max_tokens, defaults.max_tokens)
        key = None
        if self.cache is not None:
            key = cache_key(
                model.id,
                spec.messages,
                api_base=self._api_base(model),
                temperature=temperature,
                max_tokens=max_tokens,
                response_format=spec.response_format,
                params=_resolved(model.params),
                sample=spec.sample,
            )
            if not refresh:
                hit = self.cache.get(key)
                if hit is not None:
                    return CallResult(
                        hit.text,
                        hit.model,
                        hit.input_tokens,
                        hit.output_tokens,
                        0.0,
                        time.perf_counter() - start,
                        cached=True,
                    )
        result = CallResult(None, model.id)
        errors: list[str] = []
        simulated: float | None = None
        candidate = model
        fallbacks = iter(model.fallbacks)
        while True:
            attempt = await self._attempts(
                candidate, spec, defaults, temperature, max_tokens, metadata, result, on_text=on_text
            )
            if attempt.simulated_s is not None:
                simulated = (simulated or 0.0) + attempt.simulated_s
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
        # A simulated call reports the latency it simulates (it is not slept unless asked): the
        # trace and the records then show what the real models would take.
        result.latency_s = simulated if simulated is not None else time.perf_counter() - start
        if result.error is None and result.text is not None and key is not None and self.cache is not None:
            self.cache.put(
                key,
                CachedReply(
                    result.text, result.model, result.input_tokens, result.output_tokens, result.cost_usd
                ),
            )
        return result

    def transport(self, name: str):
        """The transport called `name` ("openai", "litellm", "sim"), created on first use."""
        found = self._transports.get(name)
        if found is None:
            make: Callable[[], Transport]
            if name == "openai":
                from .transports.openai_sdk import OpenAITransport as make
            elif name == "sim":
                from .transports.sim import SimTransport as make
            else:
                from .transports.litellm import LiteLLMTransport as make, litellm_module

                litellm_module()  # its import (seconds) is no call's latency
            found = self._transports[name] = make()
        return found

    async def _attempts(
        self,
        model: ModelSpec,
        spec: CallSpec,
        defaults: Defaults,
        temperature,
        max_tokens,
        metadata,
        result: CallResult,
        on_text: Callable[[str], None] | None = None,
    ) -> _Attempt:
        """Up to 1 + retries attempts on one model; backoff with full jitter, or Retry-After."""
        api_base = self._api_base(model)
        transport = self.transport(transport_for(model, api_base))
        provider_options = self.providers.get(model.provider)
        timeout = _first(
            model.timeout,
            provider_options.timeout if provider_options else None,
            _set(defaults.timeout, _DEFAULTS.timeout),
            self.timeout,
        )
        retries = _set(defaults.retries, _DEFAULTS.retries)
        retries = self.retries if retries is None else max(0, retries)
        estimate = _estimate_tokens(spec.messages, max_tokens)
        limits = self.limits
        request = self._request(model, spec, transport, api_base, temperature, max_tokens, timeout, metadata)
        request.on_text = on_text
        outcome = _Attempt()
        for attempt in range(retries + 1):
            result.attempts += 1
            error: BaseException | None = None
            try:
                if limits is None:
                    reply = await transport.send(request)
                else:
                    async with limits.slot(model, estimate) as slot:
                        reply = await transport.send(request)
                        slot.report(reply.input_tokens + reply.output_tokens)
            except Exception as e:  # a provider's failure: retried or reported, never raised
                error = e
            if error is None:
                if reply.latency_s is not None:
                    outcome.simulated_s = (outcome.simulated_s or 0.0) + reply.latency_s
                if reply.text is None:
                    outcome.error = f"{model.id}: the reply has no text"
                    return outcome
                outcome.text = reply.text
                outcome.input_tokens, outcome.output_tokens = reply.input_tokens, reply.output_tokens
                outcome.cost_usd = _cost(model, reply)
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

    def _request(
        self,
        model: ModelSpec,
        spec: CallSpec,
        transport,
        api_base: str | None,
        temperature,
        max_tokens,
        timeout,
        metadata,
    ) -> Request:
        """One attempt's request: where it goes, with which key (keys.credential_for) and what it asks."""
        params = _resolved(model.params)
        params.pop("api_key", None)  # sent as the credential, never as a body field
        custom = is_custom_host(model.provider, api_base)
        key = credential_for(model, api_base)
        if transport.name == "openai":
            api_base = with_path(model.provider, api_base) if api_base else default_base(model.provider)
        response_format = spec.response_format
        if response_format is not None and not transport.takes_response_format(model):
            response_format = None
        return Request(
            model=model,
            messages=list(spec.messages),
            temperature=temperature,
            max_tokens=max_tokens,
            timeout=timeout,
            api_base=api_base,
            api_key=key,
            custom_endpoint=custom,
            params=params,
            response_format=response_format,
            # Only the sim reads metadata (sample, kind, attempt); for every other provider
            # litellm's handling of it costs about 1.5 ms of CPU a call (bench_throughput.py).
            metadata=dict(metadata) if metadata is not None and transport.name == "sim" else None,
        )

    def _api_base(self, model: ModelSpec) -> str | None:
        value = model.api_base
        if value is None:
            options = self.providers.get(model.provider)
            value = options.api_base if options else None
        return value.resolve() if isinstance(value, EnvVar) else value

    def _fallback(self, fallback_id: str) -> ModelSpec:
        known = self.models.get(fallback_id)
        return known if known is not None else ModelSpec(name=fallback_id, id=fallback_id)


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


def _cost(model: ModelSpec, reply: Reply) -> float | None:
    """Declared prices first (`cost_in`/`cost_out`; a sim model's simulated ones), else the transport's
    own figure (litellm's), else the price table's; None when no price is known."""
    info = spec_info(model)
    declared = model.cost_in is not None or model.cost_out is not None or model.provider == "sim"
    if not declared and reply.cost_usd is not None:
        return reply.cost_usd
    if info is None or not info.priced:
        return None
    return info.cost(reply.input_tokens, reply.output_tokens)


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
    if names & {
        "Timeout",
        "APITimeoutError",
        "APIConnectionError",
        "TimeoutException",
        "ConnectError",
        "ServiceUnavailableError",
        "InternalServerError",
        "RateLimitError",
        "MalformedReply",
    }:
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
