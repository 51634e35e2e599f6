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


# What a judging call (critic, ranker, fuser, verifier, unit tests) is shown before its prompt when
# the query is the last turn of a conversation: the earlier messages, and which turn is answered.
CONVERSATION_INTRO = (
    "The query below is the user's last message in a conversation with an assistant. "
    "The conversation so far, oldest message first:"
)
CONVERSATION_OUTRO = (
    "Read the query in the context of that conversation: a response to the query is the assistant's "
    "reply to the user's last message."
)


def conversation_block(history: Iterable[dict[str, str]]) -> str:
    """The earlier messages of a conversation, tagged with their roles, oldest first."""
    messages = "\n".join(f'<message role="{m["role"]}">\n{m["content"].strip()}\n</message>' for m in history)
    return f"<conversation>\n{messages}\n</conversation>"


def conversation_preamble(history: tuple[dict[str, str], ...]) -> str:
    """What leads a judging prompt when the query ends a conversation; empty for a plain question."""
    if not history:
        return ""
    return f"{CONVERSATION_INTRO}\n\n{conversation_block(history)}\n\n{CONVERSATION_OUTRO}\n\n"


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
    history: tuple[dict[str, str], ...] = (),
    as_turns: bool = False,
) -> CallSpec:
    """A CallSpec for one call of `layer`: its prompt overrides applied, sampling options resolved.

    Temperature and max_tokens: the layer's value, else the model's, else None (the executor
    then applies the architecture's defaults). `instruction` is added after the prompt, even an
    overridden one (a layer option such as a fuser's length_control). With the layer's
    `no_system`, the system text leads the first user message instead of being sent as its own message.

    `history` is the conversation before the query (State.history). With `as_turns` (a generator)
    its turns are sent as the call's own messages before the prompt, and its system messages follow
    the layer's system text in the one system message; otherwise (a judge) the conversation is shown
    in the prompt, ahead of it (conversation_preamble). With no history the call is a single turn.
    """
    system = layer.system if layer.system is not None else default_system
    prompt = layer.prompt if layer.prompt is not None else default_prompt
    user = render(prompt, values) + (f"\n\n{instruction}" if instruction else "")
    systems = [render(system, values)] if system else []
    turns: list[dict[str, str]] = []
    if as_turns:
        systems += [m["content"] for m in history if m["role"] == "system" and m["content"]]
        turns = [{"role": m["role"], "content": m["content"]} for m in history if m["role"] != "system"]
    else:
        user = conversation_preamble(history) + user
    turns.append({"role": "user", "content": user})
    system_text = "\n\n".join(systems)
    messages: list[dict[str, str]] = []
    if systems and getattr(layer, "no_system", None):
        first = next(m for m in turns if m["role"] == "user")
        first["content"] = f"{system_text}\n\n{first['content']}"
    elif systems:
        messages.append({"role": "system", "content": system_text})
    messages.extend(turns)
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
    history: tuple[dict[str, str], ...] = (),
) -> list[CallSpec]:
    """One call per model for each placeholder-values dict in `groups` (a whole list, or one candidate).

    What differs between the judging kinds (critic, ranker, verifier, unit-test evaluator) is passed
    in; the order (group-major), the tags and the prompt overrides are the same for all of them.
    `history`, the conversation before the query, is shown ahead of each prompt.
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
            history=history,
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
    pairs: list[tuple[Any, int]] = []
    for model in layer.models:
        offset = seen.get(model, 0)
        pairs.extend((model, offset + s) for s in range(layer.samples))
        seen[model] = offset + layer.samples
    return pairs
