"""The state passed between layers and the contract every component kind implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ..architecture import Layer, ModelSpec


@dataclass(frozen=True)
class Candidate:
    """One candidate response and what later layers attached to it."""

    text: str
    source: str  # where it came from, e.g. "L0:openai/gpt-4o#2"
    critique: str | None = None
    verdict: bool | None = None  # set by a verifier
    tests_passed: tuple[bool, ...] | None = None  # set by a unit-test evaluator

    def with_(self, **changes: Any) -> Candidate:
        return replace(self, **changes)


@dataclass(frozen=True)
class State:
    """What flows from layer to layer for one query; never mutated in place."""

    query: str  # the turn to answer: a plain question, or the user's last message of a conversation
    candidates: tuple[Candidate, ...] = ()
    tests: tuple[str, ...] = ()
    # The conversation before `query` (system, user and assistant messages, oldest first); empty
    # for a plain question, whose prompts are then exactly those of a single-turn query.
    history: tuple[dict[str, str], ...] = ()

    def with_(self, **changes: Any) -> State:
        return replace(self, **changes)


class OutputError(ValueError):
    """Model output that does not parse for the component that asked for it."""


@dataclass(frozen=True)
class CallSpec:
    """One LLM call a layer needs: who, what, and how to read the reply.

    `parse` turns the reply text into a value or raises OutputError; the
    executor retries a bounded number of times, then passes `None` as the
    value and the component degrades in its defined way.
    """

    model: ModelSpec
    messages: tuple[dict[str, str], ...]
    sample: int = 0  # sample index: part of the cache key, so n samples are n calls
    temperature: float | None = None
    max_tokens: int | None = None
    response_format: dict | None = None  # JSON schema where the provider supports it
    parse: Callable[[str], Any] = field(default=lambda text: text, compare=False, repr=False)
    tag: str = ""  # e.g. "critic[0]": for traces
    # A call that needs this one's reply (a verifier's verdict on its reasoning): the executor
    # makes it once this call's reply parses, and its value replaces this call's.
    then: Callable[[Any], CallSpec] | None = field(default=None, compare=False, repr=False)


@dataclass
class Degradation:
    """A defined fallback taken because output would not parse; recorded in the trace."""

    layer: int
    kind: str
    call: str
    reason: str
    action: str


class Component(Protocol):
    """A component kind: builds the calls of a layer, then combines their parsed results."""

    def calls(self, layer: Layer, state: State, index: int) -> list[CallSpec]: ...

    def combine(
        self, layer: Layer, state: State, index: int, results: list[Any]
    ) -> tuple[State, list[Degradation]]: ...
