"""What every request shares: one provider (its rate limits), one cache and one cost account, and the executors."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from ..architecture import Architecture
from ..runtime.trace import QueryResult, add_costs
from .models import ParamsError, ServedModel
from .protocol import ApiError, ChatRequest

# Executors kept (one per model, point and sampling options); each is small, but a client
# varying temperature per request must not grow the server without bound.
EXECUTORS_KEPT = 256


def query_for(messages: list[dict[str, Any]], query_id: str) -> Any:
    """The executor's query for a conversation: its last user turn is answered, with the earlier turns
    as context (runtime.executor.Query.of; conversation.MessagesError names a bad field). OpenAI's
    `developer` role is the system prompt of newer models: it is sent as `system`."""
    from ..runtime.executor import Query

    turns = [{**m, "role": "system"} if m.get("role") == "developer" else m for m in messages]
    return Query.of(turns, query_id)


def check(model: ServedModel, chat: ChatRequest) -> None:
    """ApiError(400) for params outside the model's space or messages the executor cannot take."""
    from ..conversation import MessagesError

    try:
        model.architecture(chat.params)
        query_for(chat.messages, "check")
    except ParamsError as e:
        raise ApiError(400, str(e), param=e.param) from None
    except MessagesError as e:
        raise ApiError(400, str(e), param=e.field) from None


class ServerBusy(Exception):
    """The server's own limit of requests in flight is reached (HTTP 429)."""


@dataclass
class Account:
    """What the server has spent since it started, over every request (GET /health)."""

    requests: int = 0
    failed: int = 0
    calls: int = 0
    cached_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0

    def add(self, results: list[QueryResult], failed: bool) -> None:
        self.requests += 1
        self.failed += failed
        for result in results:
            self.calls += result.calls
            self.cached_calls += result.cached_calls
            self.prompt_tokens += result.input_tokens
            self.completion_tokens += result.output_tokens
            self.cost_usd = add_costs([self.cost_usd, result.cost_usd])

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Options:
    """How the engine runs: the cache, keys, and the server's own limits."""

    sim: bool = False
    cache: Any = True  # True: .archon/cache.sqlite; False: none; a directory or .sqlite path
    env_file: str | Path | None = ".env"
    max_requests: int = 256  # requests in flight at most; more are refused with 429
    timeout: float | None = 600.0  # seconds a request may run before it is cancelled (504)
    concurrency: int | None = None  # calls in flight per executor (None: the architecture's)


# The stream of the request this task answers: (text so far) of its final call. A context variable,
# so the executors (shared by every request) pass it only to calls made for this request.
_FINAL_TEXT: ContextVar[Callable[[str], None] | None] = ContextVar("archon_final_text", default=None)


@dataclass
class _Completer:
    """The shared provider as one executor calls it. `fresh` never reads the cache (it still writes it):
    the 2nd..nth choice of a request with n > 1 must be independent draws, not the first's cached
    replies. `streams_at` is the layer whose lone call streams its reply to the request's stream."""

    provider: Any
    fresh: bool = False
    streams_at: int | None = None

    async def complete(self, spec, *, defaults=None, metadata=None, refresh=False):
        refresh = refresh or self.fresh
        sink = _FINAL_TEXT.get()
        layer = ((metadata or {}).get("archon") or {}).get("layer")
        if sink is not None and layer is not None and layer == self.streams_at:
            return await self.provider.complete(
                spec, defaults=defaults, metadata=metadata, refresh=refresh, on_text=sink
            )
        return await self.provider.complete(spec, defaults=defaults, metadata=metadata, refresh=refresh)

    def __getattr__(self, name: str) -> Any:  # transport(), cache, limits: the shared provider's
        return getattr(self.provider, name)


def streamed_layer(arch: Architecture) -> int | None:
    """The final layer's index when its one call's reply is the answer (a generator or fuser making
    one call), so that reply can stream as it arrives; else None (the answer arrives whole)."""
    if not arch.layers or arch.layers[-1].kind not in ("generator", "fuser"):
        return None
    from ..planner import plan

    last = plan(arch).layers[-1]
    return len(arch.layers) - 1 if last.calls_max == 1 else None


class Engine:
    """Runs chat requests through served architectures on one shared Provider (limits, cache, cost)."""

    def __init__(self, models: list[ServedModel], options: Options | None = None):
        from ..api import open_cache
        from ..runtime.keys import load_env_file, require_credentials
        from ..runtime.limits import Limits
        from ..runtime.provider import Provider

        self.options = options or Options()
        self.models = {m.id: m for m in models}
        self.account = Account()
        self.in_flight = 0
        self.started = time.time()
        defaults = [m.architecture() for m in models]
        load_env_file(self.options.env_file)
        if not self.options.sim:
            for arch in defaults:
                require_credentials(arch)  # a missing key is said at start-up, not at the first request
        self._cache = open_cache(self.options.cache)
        self._owns_cache = self._cache is not None and self._cache is not self.options.cache
        providers: dict[str, Any] = {}
        for arch in defaults:
            for name, block in arch.providers.items():
                providers.setdefault(name, block)
        merged = _Providers(providers, defaults[0].path if defaults else None)
        self.provider = Provider(
            limits=Limits.configure(merged),
            cache=self._cache,
            providers=providers,
            models=[m for arch in defaults for layer in arch.layers for m in layer.models],
            env_file=None if self.options.env_file is None else str(self.options.env_file),
        )
        self._executors: OrderedDict[tuple, Any] = OrderedDict()

    # -- one request -----------------------------------------------------------------

    def admit(self) -> None:
        """Count a request in, or raise ServerBusy when `max_requests` are in flight already."""
        if self.in_flight >= self.options.max_requests:
            raise ServerBusy(f"the server is answering {self.in_flight} requests, its limit; retry shortly")
        self.in_flight += 1

    def release(self) -> None:
        self.in_flight -= 1

    def architecture(
        self, model: ServedModel, params: dict[str, Any] | None, sampling: dict[str, Any]
    ) -> Architecture:
        """The architecture a request runs: the model at `params`, with the request's temperature and
        max_tokens in place of the architecture's `defaults` (a model or layer that sets its own keeps it)."""
        arch = model.architecture(params)
        if sampling:
            arch = arch.model_copy(update={"defaults": arch.defaults.model_copy(update=sampling)})
        return arch

    def executor(self, arch: Architecture, key: tuple, fresh: bool) -> Any:
        from ..runtime.executor import Executor

        key = (*key, fresh)
        found = self._executors.get(key)
        if found is None:
            provider = _Completer(self.provider, fresh=fresh, streams_at=streamed_layer(arch))
            found = Executor(arch, provider, concurrency=self.options.concurrency)
            self._executors[key] = found
            if len(self._executors) > EXECUTORS_KEPT:
                self._executors.popitem(last=False)
        else:
            self._executors.move_to_end(key)
        return found

    async def answer(
        self,
        model: ServedModel,
        messages: list[dict[str, Any]],
        *,
        params: dict[str, Any] | None = None,
        sampling: dict[str, Any] | None = None,
        n: int = 1,
        request_id: str = "0",
        on_result: Callable[[int, QueryResult], Any] | None = None,
        on_text: Callable[[int, str], None] | None = None,
    ) -> list[QueryResult]:
        """Run the conversation `n` times (choice 0 may come from the cache; the others are fresh
        draws), concurrently; the results in choice order. `on_result(i, result)` sees each as it
        finishes; `on_text(i, text so far)` sees choice i's final call stream, when it is the answer
        (`streamed_layer`) and its transport streams. Cancelling the caller cancels every call in
        flight. TimeoutError past the limit."""
        sampling = sampling or {}
        arch = self.architecture(model, params, sampling)
        key = (model.id, _key(params), _key(sampling))
        results: list[QueryResult | None] = [None] * n

        async def one(i: int) -> None:
            executor = self.executor(arch, key, fresh=i > 0)
            # this task's context: the calls it starts see it, no other request's
            token = _FINAL_TEXT.set(None if on_text is None else lambda text: on_text(i, text))
            try:
                result = await executor.run_query(query_for(messages, f"{request_id}/{i}"))
            finally:
                _FINAL_TEXT.reset(token)
            results[i] = result
            if on_result is not None:
                outcome = on_result(i, result)
                if outcome is not None:
                    await outcome

        timeout = self.options.timeout if self.options.timeout else math.inf
        with anyio.fail_after(timeout):
            if n == 1:
                await one(0)
            else:
                async with anyio.create_task_group() as group:
                    for i in range(n):
                        group.start_soon(one, i)
        return [r for r in results if r is not None]

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "models": len(self.models),
            "in_flight": self.in_flight,
            "uptime_s": round(time.time() - self.started, 3),
            "served": self.account.to_dict(),
        }

    def close(self) -> None:
        """Commit the cache (when this engine opened it) and let go of it."""
        if self._owns_cache and self._cache is not None:
            self._cache.close()
            self._cache = None


@dataclass
class _Providers:
    """The provider blocks of every served architecture, as Limits.configure reads an architecture's."""

    providers: dict[str, Any]
    path: str | None


def _key(values: dict[str, Any] | None) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in (values or {}).items()))
