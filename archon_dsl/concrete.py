"""Turns a concrete Architecture back into an AST, so it prints as .arch text."""

from __future__ import annotations

import re
from typing import Any

from .architecture import Architecture, Defaults, EnvVar, ModelSpec
from .language import ast
from .language.keywords import KEYWORDS as _KEYWORDS

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")


def literal(value: Any) -> ast.Expr:
    """The AST literal for a plain value."""
    if isinstance(value, bool):
        return ast.Bool(value)
    if isinstance(value, int):
        return ast.Int(value)
    if isinstance(value, float):
        return ast.Float(value)
    if isinstance(value, str):
        return ast.Str(value)
    if isinstance(value, EnvVar):
        args: list[ast.Expr] = [ast.Str(value.env)]
        args += [ast.Str(value.default)] if value.default is not None else []
        return ast.Call("env", args)
    if isinstance(value, (list, tuple)):
        return ast.ListExpr([literal(v) for v in value])
    raise TypeError(f"no .arch literal for {type(value).__name__}")


def model_identifier(model: ModelSpec, taken: set[str]) -> str:
    """A declared name for `model`: its own if it is an identifier, else one made from its id."""
    if _IDENT.match(model.name) and model.name not in _KEYWORDS:
        return model.name
    tail = model.id.rsplit("/", 1)[-1]
    base = re.sub(r"[^A-Za-z0-9_]+", "_", tail).strip("_").lower() or "model"
    if base[0].isdigit() or base in _KEYWORDS:
        base = f"m_{base}"
    name, i = base, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    return name


def _model_options(model: ModelSpec) -> list[ast.Option]:
    options = []
    for field in (
        "api_base",
        "temperature",
        "max_tokens",
        "rpm",
        "tpm",
        "concurrency",
        "timeout",
        "context_window",
        "cost_in",
        "cost_out",
        "transport",
    ):
        value = getattr(model, field)
        if value is not None:
            options.append(ast.Option(field, literal(value)))
    if model.fallbacks:
        options.append(ast.Option("fallbacks", literal(list(model.fallbacks))))
    for key, value in model.params.items():
        options.append(ast.Option(key, literal(value)))
    return options


def architecture_to_module(arch: Architecture) -> ast.Module:
    """A module that instantiates to `arch` (with no parameters left)."""
    statements: list[ast.Statement] = [ast.ArchonDecl(arch.name)]
    defaults = [
        ast.Option(name, literal(value))
        for name, value in arch.defaults.model_dump().items()
        if value != Defaults.model_fields[name].default
    ]
    if defaults:
        statements.append(ast.Defaults(defaults))
    for provider, limits in arch.providers.items():
        options = [ast.Option(k, literal(v)) for k, v in limits.model_dump(exclude_none=True).items()]
        statements.append(ast.ProviderDecl(provider, options))

    # Models equal in every option share a declaration (ModelSpec compares all its fields).
    names: dict[ModelSpec, str] = {}
    taken: set[str] = set()
    for layer in arch.layers:
        for model in layer.models:
            key = model
            if key in names:
                continue
            name = model_identifier(model, taken)
            if name in taken:  # the same name with other options: keep both apart
                name = model_identifier(model.model_copy(update={"name": f"{name}_"}), taken)
            taken.add(name)
            names[key] = name
            statements.append(ast.ModelDecl(name, model.id, _model_options(model)))

    for budget in arch.budgets:
        limit = (
            int(budget.limit)
            if float(budget.limit).is_integer() and budget.metric != "cost"
            else budget.limit
        )
        statements.append(ast.Budget(budget.metric, budget.op, literal(limit)))

    for layer in arch.layers:
        refs: list[ast.Expr] = [ast.Name(names[m]) for m in layer.models]
        options = (
            [ast.Option("model", refs[0])] if len(refs) == 1 else [ast.Option("models", ast.ListExpr(refs))]
        )
        for field in (
            "samples",
            "temperature",
            "max_tokens",
            "top_k",
            "count",
            "mode",
            "steps",
            "first_k",
            "length_control",
            "batch_size",
            "prompt",
            "system",
            "no_system",
        ):
            value = getattr(layer, field)
            if value is None or (field == "samples" and value == 1):
                continue
            options.append(ast.Option(field, literal(value)))
        options += [
            ast.Option(key, literal(value)) for key, value in layer.options.items()
        ]  # a registered kind's own
        statements.append(ast.LayerDecl(layer.kind, options))
    return ast.Module(statements, path=arch.path or "<expanded>")
