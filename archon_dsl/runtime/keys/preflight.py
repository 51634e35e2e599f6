"""The check before the first call: every key the architecture (or a search's space) will send is set."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from .policy import api_base_of, credential

if TYPE_CHECKING:
    from ...architecture import Architecture, ModelSpec
    from ...template import Template


def models_of(arch: Architecture) -> list[ModelSpec]:
    """Every model an architecture may call: each layer's models, then their fallbacks, once each."""
    from ...architecture import ModelSpec

    declared: dict[str, ModelSpec] = {}
    for layer in arch.layers:
        for model in layer.models:
            declared.setdefault(model.id, model)
    found = {(m.name, m.id): m for layer in arch.layers for m in layer.models}
    for model in list(found.values()):
        for fallback in model.fallbacks:
            spec = declared.get(fallback) or ModelSpec(name=fallback, id=fallback)
            found.setdefault((spec.name, spec.id), spec)
    return list(found.values())


class MissingCredentials(Exception):
    """Keys the architecture needs are not set: raised before the first call.

    `missing` maps each variable to the models (`name = provider/model`) that need it.
    """

    def __init__(self, missing: Mapping[str, Iterable[str]]):
        self.missing = {variable: tuple(models) for variable, models in missing.items()}
        super().__init__(str(self))

    @property
    def variables(self) -> list[str]:
        return list(self.missing)

    def __str__(self) -> str:
        parts = [f"{variable} is not set ({_listed(models)})" for variable, models in self.missing.items()]
        them = "it" if len(parts) == 1 else "them"
        return f"{'; '.join(parts)}: export {them}, put {them} in .env, or run offline with --sim"


def _listed(models: tuple[str, ...], shown: int = 3) -> str:
    """`model a = x/y`, or the first few models and how many more: the message stays one line."""
    head = ", ".join(models[:shown])
    more = f" and {len(models) - shown} more" if len(models) > shown else ""
    return f"{'model' if len(models) == 1 else 'models'} {head}{more}"


def _describe(model: ModelSpec) -> str:
    return model.id if model.name == model.id else f"{model.name} = {model.id}"


def require_credentials(arch: Architecture, environ: Mapping[str, str] | None = None) -> None:
    """Raise MissingCredentials when a key some model of `arch` will send is not set (load .env first).

    sim/ models, keyless providers (ollama, hosted_vllm), models with a literal `api_key`
    and models on a custom `api_base` that names no key need none.
    """
    missing: dict[str, list[str]] = {}
    for model in models_of(arch):
        found = credential(model, api_base_of(model, arch.providers), environ)
        if found.missing and found.variable is not None:  # missing: a variable is named
            described = _describe(model)
            models = missing.setdefault(found.variable, [])
            if described not in models:
                models.append(described)
    if missing:
        raise MissingCredentials(missing)


def require_space_credentials(template: Template, environ: Mapping[str, str] | None = None) -> None:
    """MissingCredentials for a search before its first trial: keys of every model the space may use."""
    from ...architecture import Architecture, Layer

    models = template.space_models()
    if models:  # require_credentials adds their fallbacks
        require_credentials(
            Architecture(
                name="space", layers=[Layer(kind="generator", models=models)], providers=template.providers
            ),
            environ,
        )
