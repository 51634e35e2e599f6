"""Option binding: `model`, `provider`, `defaults` and `layer` options checked and bound to their fields."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..architecture import MODEL_OPTIONS, REWARD_MODELS, TRANSPORTS, EnvVar, Layer, ModelSpec
from ..diagnostics import Span
from ..kinds import is_kind, kind_names, kind_spec
from ..language import ast
from ..rules.unknown_kind import UnknownKind
from .evaluate import EvalError, evaluate, invalid, number
from .values import format_value, type_name


def as_model(value: Any, span: Span | None) -> ModelSpec:
    if isinstance(value, ModelSpec):
        return value
    if isinstance(value, str):
        return ModelSpec.model_construct(name=value, id=value)
    raise invalid(
        f'expected a model (a declared name or a "provider/model" string), got {type_name(value)}', span
    )


def options(
    options: list[ast.Option], scope: dict[str, Any], allowed: frozenset[str], where: str
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for option in options:
        if option.name not in allowed:
            continue  # reported by the unknown-option rule
        values[option.name] = evaluate(option.value, scope)
    return values


# The type each model option must have (ints are accepted where floats are).
_MODEL_OPTION_TYPES: dict[str, tuple[str, tuple[type, ...]]] = {
    "temperature": ("a number", (int, float)),
    "rpm": ("a number", (int, float)),
    "tpm": ("a number", (int, float)),
    "timeout": ("a number", (int, float)),
    "cost_in": ("a number", (int, float)),
    "cost_out": ("a number", (int, float)),
    "max_tokens": ("an int", (int,)),
    "concurrency": ("an int", (int,)),
    "context_window": ("an int", (int,)),
    "api_base": ("a string or env(...)", (str, EnvVar)),
    "transport": ('"openai" or "litellm"', (str,)),
}


def model_from_decl(decl: ast.ModelDecl, scope: dict[str, Any], with_fallbacks: bool = True) -> ModelSpec:
    fields: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for option in decl.options:
        if option.name == "fallbacks" and not with_fallbacks:
            continue
        value = evaluate(option.value, scope)
        if option.name not in MODEL_OPTIONS:
            params[option.name] = value.model_dump() if isinstance(value, ModelSpec) else value
            continue
        if option.name in _MODEL_OPTION_TYPES:
            expected, types = _MODEL_OPTION_TYPES[option.name]
            if isinstance(value, bool) or not isinstance(value, types):
                raise invalid(
                    f"option `{option.name}` of model '{decl.name}' needs {expected}, got {type_name(value)}",
                    option.value.span,
                )
            if float in types and isinstance(value, int):
                value = float(value)
        if option.name == "transport" and value not in TRANSPORTS:
            raise invalid(
                f"option `transport` of model '{decl.name}' must be {' or '.join(repr(t) for t in TRANSPORTS)}, got {value!r}",
                option.value.span,
                "leave it out and the provider picks: the openai SDK for OpenAI-compatible "
                "endpoints, litellm for the rest",
            )
        fields[option.name] = value
    if "fallbacks" in fields:
        fallbacks = fields["fallbacks"]
        if not isinstance(fallbacks, list):
            fallbacks = [fallbacks]
        fields["fallbacks"] = tuple(as_model(f, decl.span).id for f in fallbacks)
    # Every field was checked above: construct without pydantic building its schema.
    return ModelSpec.model_construct(name=decl.name, id=decl.model_id, params=params, **fields)


def validated(model: type[BaseModel], values: dict[str, Any], decl, where: str):
    """`model` from `values`, a wrongly typed option reported at its declaration."""
    try:
        return model.model_validate(values)
    except Exception as e:  # pydantic's ValidationError
        raise invalid(f"{where}: {_first_error(e)}", decl.span) from None


def _first_error(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        first = errors()[0]
        location = ".".join(str(p) for p in first.get("loc", ()))
        return f"option '{location}': {first.get('msg', '')}".strip()
    return str(error)


def layer_from_decl(decl: ast.LayerDecl, scope: dict[str, Any]) -> Layer:
    if not is_kind(decl.kind):
        from ..diagnostics import did_you_mean

        guess = did_you_mean(decl.kind, kind_names())
        raise EvalError.of(
            UnknownKind,
            f"unknown component kind '{decl.kind}'",
            decl.kind_span,
            f"did you mean '{guess}'?" if guess else f"kinds are {', '.join(kind_names())}",
        )
    spec = kind_spec(decl.kind)
    fields: dict[str, Any] = {}
    models: list[ModelSpec] | None = None
    for option in decl.options:
        known = spec.option(option.name)
        if known is None:
            continue  # the unknown-option rule reports it, with the span
        value = evaluate(option.value, scope)
        span = option.value.span
        if option.name == "model":
            if isinstance(value, list):
                raise invalid("`model` takes one model; use `models` for a list", span)
            models = [as_model(value, span)]
            continue
        if option.name == "models":
            models = [as_model(v, span) for v in (value if isinstance(value, list) else [value])]
            if not models:
                raise invalid("`models` is empty", span, "a layer needs at least one model")
            continue
        if known.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise invalid(f"`{option.name}` needs an int, got {type_name(value)}", span)
            if value < 1:
                raise invalid(f"`{option.name}` must be at least 1, got {value}", span)
        elif known.type == "bool":
            if not isinstance(value, bool):
                raise invalid(f"`{option.name}` is true or false, got {type_name(value)}", span)
        elif known.type == "float":
            value = number(value, span, f"`{option.name}`")
            if option.name == "temperature" and not 0 <= value <= 2:
                raise invalid(f"`temperature` must be within 0..2, got {value}", span)
            value = float(value)
        elif not known.choices and not isinstance(value, str):
            raise invalid(f"`{option.name}` needs a string, got {type_name(value)}", span)
        if known.choices and value not in known.choices:
            raise invalid(known.choice_error.format(value=format_value(value)), span, known.choice_hint)
        fields[option.name] = value
    if models is None:
        raise invalid(
            f"layer {decl.kind} has no model",
            decl.span,
            "add `model = NAME` or `models = [A, B]`",
        )
    if "batch_size" in fields and any(m.id not in REWARD_MODELS for m in models):
        span = next(o.value.span for o in decl.options if o.name == "batch_size")
        raise invalid(
            "`batch_size` applies to reward-model rankers (llm-blender/PairRM) only; an LLM ranker "
            "reads every candidate in one call",
            span,
            "remove `batch_size`",
        )
    own = {k: fields.pop(k) for k in [k for k in fields if k not in Layer.model_fields]}
    return Layer.model_construct(kind=decl.kind, models=models, span=decl.span, options=own, **fields)
