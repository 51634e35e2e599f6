"""Builders shared by the component tests."""

from __future__ import annotations

from archon_dsl.architecture import Layer, ModelSpec
from archon_dsl.components import Candidate, State


def model(name: str = "m", temperature: float | None = None, max_tokens: int | None = None) -> ModelSpec:
    return ModelSpec(name=name, id=f"openai/{name}", temperature=temperature, max_tokens=max_tokens)


def layer(kind: str, *names: str, **options) -> Layer:
    return Layer(kind=kind, models=[model(n) for n in (names or ("m",))], **options)


def state(*texts: str, critiques: tuple[str | None, ...] = (), tests: tuple[str, ...] = ()) -> State:
    candidates = tuple(
        Candidate(text=t, source=f"L0:openai/m#{i}", critique=critiques[i] if i < len(critiques) else None)
        for i, t in enumerate(texts)
    )
    return State(query="What is 6 * 7?", candidates=candidates, tests=tests)


def user_prompt(spec) -> str:
    return next(m["content"] for m in spec.messages if m["role"] == "user")


def system_prompt(spec) -> str | None:
    return next((m["content"] for m in spec.messages if m["role"] == "system"), None)
