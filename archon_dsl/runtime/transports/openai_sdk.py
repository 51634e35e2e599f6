"""The transport for OpenAI-compatible endpoints: the official openai SDK's AsyncOpenAI client."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

from ...architecture import ModelSpec
from . import MalformedReply, Reply, Request

# Keyword arguments `chat.completions.create` takes; any other model option goes in the body as is.
_SDK_PARAMS = frozenset(
    {
        "frequency_penalty",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "n",
        "presence_penalty",
        "seed",
        "stop",
        "top_p",
        "user",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "reasoning_effort",
        "service_tier",
        "max_completion_tokens",
        "modalities",
        "prediction",
        "audio",
        "store",
        "metadata",
        "stream_options",
    }
)
# Reasoning models take no temperature and count max_completion_tokens, not max_tokens.
_REASONING = re.compile(r"(?:^|/)(?:o\d(?:-[\w.-]+)?|gpt-5[\w.-]*)$")
_PLACEHOLDER_KEY = "sk-no-key"  # the client needs some key; the header is left out (_NO_AUTH)

_openai = None
# Clients by event loop, then (base URL, key): shared by every Provider of the process, so a
# second query (a new Provider, as the API makes one per run) reuses the first one's connections.
# Per loop because a client's connection pool belongs to the loop that opened it. Keyed by the
# loop's id with the loop kept beside its clients (their connections refer to it anyway): the
# clients of a loop that has closed are dropped, with their sockets, when the next loop needs one.
_CLIENTS: dict[int, tuple[Any, dict[tuple[str, str | None], Any]]] = {}


def openai_module():
    """The openai package, imported on first use."""
    global _openai
    if _openai is None:
        import openai

        _openai = openai
    return _openai


class OpenAITransport:
    """Calls through `AsyncOpenAI`: one client per (event loop, base URL, key) in the process, reused.

    The client's own retries are off (the provider retries); the per-call timeout is the SDK's.
    With no key to send (keys.credential_for), the request carries no Authorization header.
    """

    name = "openai"

    def __init__(self):
        openai_module()  # imported (seconds, cold) as the provider loads the transport: no call's latency
        self._no_auth = None

    @staticmethod
    def client(base_url: str, api_key: str | None):
        """The client for this endpoint and key on the running loop, created on first use."""
        try:
            loop: Any = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio): one set of clients
            loop = None
        entry = _CLIENTS.get(id(loop))
        if entry is None or entry[0] is not loop:
            for ident, (other, _) in list(_CLIENTS.items()):
                if other is not None and other.is_closed():
                    del _CLIENTS[ident]
            entry = _CLIENTS[id(loop)] = (loop, {})
        clients = entry[1]
        key = (base_url, api_key)
        found = clients.get(key)
        if found is None:
            openai = openai_module()
            found = clients[key] = openai.AsyncOpenAI(
                base_url=base_url,
                api_key=api_key or _PLACEHOLDER_KEY,
                max_retries=0,
            )
        return found

    async def send(self, request: Request) -> Reply:
        if request.api_base is None:
            raise ValueError(f"{request.model.id}: no endpoint to call (give the model an api_base)")
        client = self.client(request.api_base, request.api_key)
        kwargs = self._arguments(request)
        if request.on_text is not None:
            return await self._stream(client, kwargs, request.on_text)
        try:
            response = await client.chat.completions.create(**kwargs)
        except (
            ValueError
        ) as e:  # the body is not JSON, or not a completion (pydantic's errors are ValueErrors)
            raise MalformedReply(f"the reply is not a chat completion ({_first_line(e)})") from None
        usage = getattr(response, "usage", None)
        return Reply(
            _text(response),
            int(getattr(usage, "prompt_tokens", 0) or 0) if usage is not None else 0,
            int(getattr(usage, "completion_tokens", 0) or 0) if usage is not None else 0,
        )

    async def _stream(self, client, kwargs: dict[str, Any], on_text: Callable[[str], None]) -> Reply:
        """The reply streamed (`stream=True`), `on_text` called with the text so far at each delta."""
        text = ""
        usage = None
        try:
            stream = await client.chat.completions.create(
                **kwargs, stream=True, stream_options={"include_usage": True}
            )
            async for chunk in stream:
                usage = getattr(chunk, "usage", None) or usage
                delta = chunk.choices[0].delta.content if chunk.choices else None
                if delta:
                    text += delta  # grown in place: no quadratic join over a long reply
                    on_text(text)
        except ValueError as e:  # a chunk that is not JSON, or not a chunk
            raise MalformedReply(f"the stream is not chat completion chunks ({_first_line(e)})") from None
        return Reply(
            text,
            int(getattr(usage, "prompt_tokens", 0) or 0) if usage is not None else 0,
            int(getattr(usage, "completion_tokens", 0) or 0) if usage is not None else 0,
        )

    def _arguments(self, request: Request) -> dict[str, Any]:
        name = wire_name(request.model)
        kwargs: dict[str, Any] = {"model": name, "messages": request.messages, "timeout": request.timeout}
        reasoning = bool(_REASONING.search(name))
        if request.temperature is not None and not reasoning:
            kwargs["temperature"] = request.temperature
        if request.max_tokens is not None:
            kwargs["max_completion_tokens" if reasoning else "max_tokens"] = request.max_tokens
        if request.response_format is not None:
            kwargs["response_format"] = request.response_format
        extra: dict[str, Any] = {}
        for option, value in request.params.items():
            (kwargs if option in _SDK_PARAMS else extra)[option] = value
        if extra:
            kwargs["extra_body"] = extra
        if request.api_key is None:
            kwargs["extra_headers"] = self._without_auth()
        return kwargs

    def _without_auth(self) -> dict[str, Any]:
        if self._no_auth is None:
            self._no_auth = {"Authorization": openai_module().Omit()}
        return self._no_auth

    def takes_response_format(self, model: ModelSpec) -> bool:
        """Only for models the price table says accept a JSON schema: an unknown server may reject it."""
        from ...pricing import model_info

        info = model_info(model.id)
        return bool(info is not None and info.supports_response_schema)


def wire_name(model: ModelSpec) -> str:
    """The model name the endpoint knows: the id without its provider ("together_ai/x/y" -> "x/y")."""
    provider, _, rest = model.id.partition("/")
    return rest or provider


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:200] if text else type(error).__name__


def _text(response) -> str | None:
    try:
        return response.choices[0].message.content
    except (AttributeError, IndexError, TypeError):
        return None
