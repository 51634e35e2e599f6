"""Which key a call carries: a provider's own variable only to its own endpoints, else the one the file names."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from ...architecture import ModelSpec

# The variables litellm reads a provider's key from, the one to name first. A provider
# listed with none needs no key; a provider not listed (bedrock, vertex_ai, azure: cloud
# credentials, profiles) is not checked before the run.
PROVIDER_KEYS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "text-completion-openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "together_ai": ("TOGETHERAI_API_KEY", "TOGETHER_API_KEY", "TOGETHER_AI_API_KEY", "TOGETHER_AI_TOKEN"),
    "groq": ("GROQ_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "mistral": ("MISTRAL_API_KEY",),
    "cohere": ("COHERE_API_KEY", "CO_API_KEY"),
    "cohere_chat": ("COHERE_API_KEY", "CO_API_KEY"),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "fireworks_ai": (
        "FIREWORKS_API_KEY",
        "FIREWORKS_AI_API_KEY",
        "FIREWORKSAI_API_KEY",
        "FIREWORKS_AI_TOKEN",
    ),
    "openrouter": ("OPENROUTER_API_KEY", "OR_API_KEY"),
    "xai": ("XAI_API_KEY",),
    "perplexity": ("PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"),
    "deepinfra": ("DEEPINFRA_API_KEY",),
    "cerebras": ("CEREBRAS_API_KEY",),
    "sambanova": ("SAMBANOVA_API_KEY",),
    "huggingface": ("HF_TOKEN", "HUGGINGFACE_API_KEY"),
    "nvidia_nim": ("NVIDIA_NIM_API_KEY",),
    "sim": (),
    "ollama": (),
    "ollama_chat": (),
    "hosted_vllm": (),
    "lm_studio": (),
    "llamafile": (),
}
# The hosts of each provider's own endpoints: an api_base there is not a custom host.
PROVIDER_HOSTS: dict[str, frozenset[str]] = {
    "openai": frozenset({"api.openai.com"}),
    "text-completion-openai": frozenset({"api.openai.com"}),
    "anthropic": frozenset({"api.anthropic.com"}),
    "together_ai": frozenset({"api.together.xyz", "api.together.ai"}),
    "groq": frozenset({"api.groq.com"}),
    "gemini": frozenset({"generativelanguage.googleapis.com"}),
    "mistral": frozenset({"api.mistral.ai"}),
    "cohere": frozenset({"api.cohere.ai", "api.cohere.com"}),
    "cohere_chat": frozenset({"api.cohere.ai", "api.cohere.com"}),
    "deepseek": frozenset({"api.deepseek.com"}),
    "fireworks_ai": frozenset({"api.fireworks.ai"}),
    "openrouter": frozenset({"openrouter.ai"}),
    "xai": frozenset({"api.x.ai"}),
    "perplexity": frozenset({"api.perplexity.ai"}),
    "deepinfra": frozenset({"api.deepinfra.com"}),
    "cerebras": frozenset({"api.cerebras.ai"}),
    "sambanova": frozenset({"api.sambanova.ai"}),
    "huggingface": frozenset({"api-inference.huggingface.co", "router.huggingface.co"}),
    "nvidia_nim": frozenset({"integrate.api.nvidia.com"}),
}
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


def host_of(api_base: str) -> str:
    """The lower-case host name of a URL ("" when it has none)."""
    try:
        return (urlsplit(api_base if "//" in api_base else f"//{api_base}").hostname or "").lower()
    except ValueError:
        return ""


def is_loopback(api_base: str) -> bool:
    """An address on this machine (a local Ollama or vLLM server)."""
    host = host_of(api_base)
    return host in _LOOPBACK or host.startswith("127.") or host.endswith(".localhost")


def is_custom_host(provider: str, api_base: str | None) -> bool:
    """True when `api_base` is set and is not one of the provider's own endpoints."""
    return bool(api_base) and host_of(api_base or "") not in PROVIDER_HOSTS.get(provider, frozenset())


@dataclass(frozen=True)
class Credential:
    """The key one call carries, and where it comes from.

    `variable` names the environment variable it is read from (None for a literal in the
    file, or when no key is sent); `value` is None when no key is sent or the variable is
    unset; `inherited` is True for a provider's own variable (not named by the file).
    """

    variable: str | None
    value: str | None
    inherited: bool = False

    @property
    def missing(self) -> bool:
        """A key is needed from a variable and none of its variables is set."""
        return self.variable is not None and self.value is None


def credential(
    model: ModelSpec, api_base: str | None = None, environ: Mapping[str, str] | None = None
) -> Credential:
    """The key a call to `model` at `api_base` (resolved: the model's, else its provider block's) carries.

    The one policy for which key goes where. An `api_key` the file gives (a literal or
    `env("NAME")`) goes with the model wherever it points. Else a provider's key from the
    environment goes only to that provider's own endpoints: a custom `api_base` gets no key,
    so a shared .arch file cannot send your key to its own server (the transport sends a
    placeholder where its client insists on one).
    """
    from ...architecture import EnvVar

    environ = os.environ if environ is None else environ
    explicit = (model.params or {}).get("api_key")
    if isinstance(explicit, EnvVar):
        return Credential(explicit.env, environ.get(explicit.env, explicit.default) or None)
    if explicit is not None:
        return Credential(None, str(explicit))
    provider = model.provider
    if is_custom_host(provider, api_base):
        return Credential(None, None)
    names = PROVIDER_KEYS.get(provider, ())
    for name in names:
        if environ.get(name):
            return Credential(name, environ[name], inherited=True)
    return Credential(names[0], None, inherited=True) if names else Credential(None, None)


def credential_for(model: ModelSpec, api_base: str | None = None) -> str | None:
    """The key a call to `model` at `api_base` (None: the model's own) sends; None: no key of ours."""
    return credential(model, api_base if api_base is not None else api_base_of(model)).value


def api_base_of(model: ModelSpec, providers: Mapping[str, Any] | None = None) -> str | None:
    """The address a model's calls go to: its own `api_base`, else its provider block's (env() resolved)."""
    from ...architecture import EnvVar

    value = model.api_base
    if value is None and providers:
        block = providers.get(model.provider)
        value = getattr(block, "api_base", None)
    return value.resolve() if isinstance(value, EnvVar) else value


def inherits_key_at_custom_host(model: ModelSpec, api_base: str | None) -> str | None:
    """The provider variable a model on a non-loopback custom host would have inherited, else None.

    Such a model now gets no key there: the file must name one (`api_key = env("...")`).
    """
    if api_base is None or "api_key" in (model.params or {}) or not is_custom_host(model.provider, api_base):
        return None
    if is_loopback(api_base):
        return None
    names = PROVIDER_KEYS.get(model.provider, ())
    return names[0] if names else None
