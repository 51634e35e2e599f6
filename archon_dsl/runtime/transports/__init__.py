"""How one request reaches a model: the openai SDK, litellm or the simulator (the provider chooses).

A transport makes one attempt and either returns a Reply or raises the client's own exception;
retries, Retry-After, limits, error classification, prices and the cache are the provider's
(runtime/provider.py), shared by every transport. Transport modules are imported on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ...architecture import ModelSpec

NAMES = ("openai", "litellm", "sim")


@dataclass(slots=True)
class Request:
    """One attempt at one call, as the provider resolved it."""

    model: ModelSpec
    messages: list[dict]
    temperature: float | None
    max_tokens: int | None
    timeout: float
    api_base: str | None  # None: the provider's own endpoint
    api_key: str | None  # what to send (keys.credential_for); None: no key of ours
    custom_endpoint: bool  # api_base is not the provider's own endpoint
    params: dict[str, Any] = field(
        default_factory=dict
    )  # the model's other options, resolved (api_key left out)
    response_format: Any = None
    metadata: dict | None = None
    on_text: Callable[[str], None] | None = None  # streams the reply (text so far) where the transport can


@dataclass(slots=True)
class Reply:
    """What one successful attempt returned."""

    text: str | None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None  # the transport's own figure (litellm's), else priced by the provider
    latency_s: float | None = None  # a simulated call's simulated latency; None: the measured one


class MalformedReply(Exception):
    """The endpoint answered with a body that is not a chat completion (a transient fault: retried)."""


class Transport(Protocol):
    name: str

    async def send(self, request: Request) -> Reply: ...

    def takes_response_format(self, model: ModelSpec) -> bool: ...
