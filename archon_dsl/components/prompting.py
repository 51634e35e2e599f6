"""Prompt templates: placeholder filling, the tagged blocks components show a model, CallSpec building."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..architecture import Layer, ModelSpec
from .base import CallSpec, Candidate

# `{name}` with a plain identifier inside; `{{` and `}}` are literal braces. Anything else in
# braces (a JSON example such as {"ranking": [2, 1]}) is left alone, so prompts may show JSON.
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


def render(template: str, values: dict[str, Any]) -> str:
    """`template` with each known `{name}` replaced; unknown names stay as written."""

    def substitute(match: re.Match) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        return str(values[name]) if name in values else token

    return _PLACEHOLDER.sub(substitute, template)


def placeholders(template: str) -> list[str]:
    """The `{name}` placeholders a template uses, in order of first use."""
    seen: dict[str, None] = {}
    for match in _PLACEHOLDER.finditer(template):
        if match.group(1):
            seen.setdefault(match.group(1), None)
    return list(seen)


def query_block(query: str) -> str:
    return f"<query>\n{query}\n</query>"


def candidate_block(candidate: Candidate, number: int | None = None) -> str:
    """One candidate in the tagged form every prompt uses (1-based `number`, or none for a lone one)."""
    label = f' id="{number}"' if number is not None else ""
    return f"<candidate{label}>\n{candidate.text.strip()}\n</candidate>"


def candidates_block(candidates: Iterable[Candidate]) -> str:
    return "\n\n".join(candidate_block(c, i) for i, c in enumerate(candidates, 1))


def critiques_block(candidates: Iterable[Candidate]) -> str:
    """A heading and one tagged critique per criticised candidate; empty when there are none."""
    blocks = [
        f'<critique id="{i}">\n{c.critique.strip()}\n</critique>'
        for i, c in enumerate(candidates, 1)
        if c.critique
    ]
    if not blocks:
        return ""
    return "Critiques of the candidates (strengths and weaknesses):\n\n" + "\n\n".join(blocks)


def tests_block(tests: Iterable[str]) -> str:
    return "\n".join(f'<test id="{i}">{t.strip()}</test>' for i, t in enumerate(tests, 1))


def json_schema(name: str, schema: dict) -> dict:
    """A `response_format` value as litellm passes it on to providers that accept JSON schemas."""
    return {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": schema}}


def call_spec(
    layer: Layer,
    model: ModelSpec,
    *,
    default_system: str,
    default_prompt: str,
    values: dict[str, Any],
    parse: Callable[[str], Any],
    tag: str,
    sample: int = 0,
    response_format: dict | None = None,
    then: Callable[[Any], CallSpec] | None = None,
    instruction: str = "",
) -> CallSpec:
    """A CallSpec for one call of `layer`: its prompt overrides applied, sampling options resolved.

    Temperature and max_tokens: the layer's value, else the model's, else None (the executor
    then applies the architecture's defaults). `instruction` is added after the prompt, even an
    overridden one (a layer option such as a fuser's length_control). With the layer's
    `no_system`, the system text leads the user message instead of being sent as its own message.
    """
    system = layer.system if layer.system is not None else default_system
    prompt = layer.prompt if layer.prompt is not None else default_prompt
    user = render(prompt, values) + (f"\n\n{instruction}" if instruction else "")
    messages: list[dict[str, str]] = []
    if system and getattr(layer, "no_system", None):
        user = f"{render(system, values)}\n\n{user}"
    elif system:
        messages.append({"role": "system", "content": render(system, values)})
    messages.append({"role": "user", "content": user})
    return CallSpec(
        model=model,
        messages=tuple(messages),
        sample=sample,
        temperature=layer.temperature if layer.temperature is not None else model.temperature,
        max_tokens=layer.max_tokens if layer.max_tokens is not None else model.max_tokens,
        response_format=response_format,
        parse=parse,
        tag=tag,
        then=then,
    )


def tagged_models(layer: Layer, kind: str, groups: int) -> Iterator[tuple[int, ModelSpec, str]]:
    """(group, model, tag) for each call of `groups` x models, group-major, tagged `kind[i]` in call order."""
    for g in range(groups):
        for m, model in enumerate(layer.models):
            yield g, model, f"{kind}[{g * len(layer.models) + m}]"


def judge_calls(
    layer: Layer,
    kind: str,
    groups: list[dict[str, Any]],
    *,
    system: str,
    prompt: str,
    parse: Callable[[str], Any],
    response_format: dict | None,
) -> list[CallSpec]:
    """One call per model for each placeholder-values dict in `groups` (a whole list, or one candidate).

    What differs between the judging kinds (critic, ranker, verifier, unit-test evaluator) is passed
    in; the order (group-major), the tags and the prompt overrides are the same for all of them.
    """
    return [
        call_spec(
            layer,
            model,
            default_system=system,
            default_prompt=prompt,
            values=groups[g],
            parse=parse,
            tag=tag,
            response_format=response_format,
        )
        for g, model, tag in tagged_models(layer, kind, len(groups))
    ]


def source(index: int, model: ModelSpec, sample: int) -> str:
    """Where a new candidate came from, e.g. "L0:openai/gpt-4o#2"."""
    return f"L{index}:{model.id}#{sample}"


def check_results(results: list[Any], expected: int, kind: str) -> None:
    """Results must match the calls one to one; anything else is a bug in the caller, not the model."""
    if len(results) != expected:
        raise ValueError(f"{kind}.combine got {len(results)} results for {expected} calls")


def model_samples(layer: Layer) -> list[tuple[Any, int]]:
    """(model, sample index) for each call of a models x samples layer, model-major.

    A model listed twice (`models = [a, a, b]`) continues its sample numbering,
    so its second listing makes new calls instead of repeating the first's
    (the sample index is part of the cache key).
    """
    seen: dict[Any, int] = {}
    pairs = []
    for model in layer.models:
        offset = seen.get(model, 0)
        pairs.extend((model, offset + s) for s in range(layer.samples))
        seen[model] = offset + layer.samples
    return pairs
