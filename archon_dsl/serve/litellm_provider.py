"""A litellm custom provider: `litellm.completion(model="archon/PATH.arch", ...)` runs the architecture in-process.

    import archon_dsl.serve
    archon_dsl.serve.register_litellm(sim=True)
    litellm.completion(model="archon/examples/best_of_n.arch", messages=[{"role": "user", "content": "hi"}])

Template parameters ride in `extra_body={"params": {...}}` (or `params={...}`), as with `archonc serve`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

from ..runtime.transports.litellm import litellm_module
from .engine import Engine, Options, check
from .models import ModelsError, ServedModel, load_models
from .protocol import ApiError, completion, completion_id, failure, parse_body

litellm_module()  # litellm imported as the executor imports it: the local price table, no banner

from litellm.llms.custom_llm import CustomLLM, CustomLLMError  # noqa: E402


class ArchonLLM(CustomLLM):
    """Runs `.arch` files named by the model (`archon/<path>`), one Engine per file and event loop, all
    sharing one cache. Sync calls run on a loop of the handler's own, on a thread."""

    def __init__(self, **options: Any):
        super().__init__()
        from ..api import open_cache

        self.options = Options(**options)
        self.options.cache = open_cache(self.options.cache)  # one cache for every file and loop
        self._models: dict[str, ServedModel] = {}
        self._engines: dict[tuple[int, str], Engine] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- litellm's entry points ---------------------------------------------------------

    async def acompletion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
        return _model_response(await self._run(model, messages, kwargs.get("optional_params") or {}))

    def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Any:
        return self._sync(self.acompletion(model, messages, *args, **kwargs))

    async def astreaming(  # type: ignore[override]  # litellm iterates what it returns
        self, model: str, messages: list, *args: Any, **kwargs: Any
    ) -> AsyncIterator[Any]:
        data = await self._run(model, messages, kwargs.get("optional_params") or {})
        for chunk in _chunks(data):
            yield chunk

    def streaming(self, model: str, messages: list, *args: Any, **kwargs: Any) -> Iterator[Any]:
        data = self._sync(self._run(model, messages, kwargs.get("optional_params") or {}))
        yield from _chunks(data)

    # -- running ------------------------------------------------------------------------

    async def _run(self, path: str, messages: list, optional: dict[str, Any]) -> dict[str, Any]:
        body = {"model": path, "messages": messages, **_request_fields(optional)}
        try:
            chat = parse_body(body)
            engine, served = self._engine(path)
            check(served, chat)
            results = await engine.answer(
                served, chat.messages, params=chat.params, sampling=chat.sampling, n=chat.n
            )
        except ApiError as e:  # the field named, as the HTTP API's `param` names it
            message = f"{e.param}: {e.message}" if e.param else e.message
            raise CustomLLMError(status_code=e.status, message=message) from None
        except ModelsError as e:
            raise CustomLLMError(status_code=400, message=_models_message(e)) from None
        except TimeoutError:
            raise CustomLLMError(status_code=504, message="the architecture took too long") from None
        failed = failure(results)
        if failed is not None:
            raise CustomLLMError(status_code=failed.status, message=failed.message)
        engine.account.add(results, False)
        return completion(completion_id(), served.id, results)

    def _engine(self, path: str) -> tuple[Engine, ServedModel]:
        with self._lock:
            served = self._models.get(path)
            if served is None:
                served = self._models[path] = load_models([path], sim=self.options.sim)[0]
            key = (id(asyncio.get_running_loop()), path)
            engine = self._engines.get(key)
            if engine is None:
                engine = self._engines[key] = Engine([served], self.options)
        return engine, served

    def _sync(self, work: Any) -> Any:
        """Run a coroutine to its end on the handler's own loop (a thread), from synchronous code."""
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="archon-litellm", daemon=True).start()
                self._loop = loop
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()


def _request_fields(optional: dict[str, Any]) -> dict[str, Any]:
    """What litellm passes on (temperature, max_tokens, n, extra_body) as request fields."""
    names = ("temperature", "max_tokens", "max_completion_tokens", "n")
    fields: dict[str, Any] = {name: optional[name] for name in names if name in optional}
    extra = optional.get("extra_body") or {}
    params = extra.get("params", optional.get("params"))
    if params is not None:
        fields["params"] = params
    return fields


def _model_response(data: dict[str, Any]) -> Any:
    import litellm

    response = litellm.ModelResponse(
        id=data["id"],
        created=data["created"],
        model=data["model"],
        choices=[
            litellm.Choices(index=c["index"], message=litellm.Message(**c["message"]), finish_reason="stop")
            for c in data["choices"]
        ],
        usage=litellm.Usage(**data["usage"]),
    )
    response._hidden_params["archon"] = data["archon"]
    if data["archon"]["cost_usd"] is not None:
        response._hidden_params["response_cost"] = data["archon"]["cost_usd"]
    return response


def _chunks(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The answer as litellm's generic stream chunks: one per choice, the last with the usage."""
    usage = data["usage"]
    for i, choice in enumerate(data["choices"]):
        last = i == len(data["choices"]) - 1
        yield {
            "text": choice["message"]["content"],
            "tool_use": None,
            "is_finished": last,
            "finish_reason": "stop",
            "usage": usage if last else None,
            "index": choice["index"],
        }


def _models_message(error: ModelsError) -> str:
    first = next((d for r in error.results for d in r.diagnostics if d.is_error), None)
    where = f" {first.path}: {first.code} {first.message}" if first is not None else ""
    return f"{error}{where}"


_REGISTERED: dict[str, ArchonLLM] = {}


def register(provider: str = "archon", **options: Any) -> ArchonLLM:
    """Add the handler to `litellm.custom_provider_map` under `provider` (again: replaced); returns it."""
    import litellm

    handler = ArchonLLM(**options)
    litellm.custom_provider_map = [
        item for item in litellm.custom_provider_map if item.get("provider") != provider
    ] + [{"provider": provider, "custom_handler": handler}]
    _REGISTERED[provider] = handler
    return handler


__all__ = ["ArchonLLM", "register"]
