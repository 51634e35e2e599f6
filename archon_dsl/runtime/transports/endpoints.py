"""Providers that speak the OpenAI chat API and their own endpoints (which key goes where: keys.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a provider listens by default."""

    base_url: str | None  # None: a self-hosted server, the model names its api_base
    base_vars: tuple[str, ...] = ()  # variables of the user's environment that move the default endpoint
    path: str = ""  # appended to a base that lacks it (Ollama's OpenAI API is under /v1)


OPENAI_COMPATIBLE: dict[str, Endpoint] = {
    "openai": Endpoint("https://api.openai.com/v1", ("OPENAI_BASE_URL", "OPENAI_API_BASE")),
    "together_ai": Endpoint("https://api.together.xyz/v1", ("TOGETHER_AI_API_BASE",)),
    "groq": Endpoint("https://api.groq.com/openai/v1", ("GROQ_API_BASE",)),
    "deepseek": Endpoint("https://api.deepseek.com/v1", ("DEEPSEEK_API_BASE",)),
    "fireworks_ai": Endpoint(
        "https://api.fireworks.ai/inference/v1", ("FIREWORKS_AI_API_BASE", "FIREWORKS_API_BASE")
    ),
    "openrouter": Endpoint("https://openrouter.ai/api/v1", ("OPENROUTER_API_BASE",)),
    "mistral": Endpoint("https://api.mistral.ai/v1", ("MISTRAL_API_BASE",)),
    "hosted_vllm": Endpoint(None, ("HOSTED_VLLM_API_BASE",)),
    "vllm": Endpoint(None, ("HOSTED_VLLM_API_BASE",)),
    "ollama": Endpoint("http://localhost:11434/v1", ("OLLAMA_API_BASE",), "/v1"),
    "ollama_chat": Endpoint("http://localhost:11434/v1", ("OLLAMA_API_BASE",), "/v1"),
    "lm_studio": Endpoint("http://localhost:1234/v1", ("LM_STUDIO_API_BASE",)),
    "openai_like": Endpoint(None, ("OPENAI_LIKE_API_BASE",)),
    "custom_openai": Endpoint(None, ("OPENAI_LIKE_API_BASE",)),
}

# Providers with an API of their own (not OpenAI's): an api_base on them is a proxy of that API,
# so their calls stay with litellm.
NATIVE_APIS = frozenset(
    {
        "anthropic",
        "gemini",
        "vertex_ai",
        "vertex_ai_beta",
        "bedrock",
        "bedrock_converse",
        "sagemaker",
        "cohere",
        "cohere_chat",
        "azure",
        "azure_ai",
        "huggingface",
        "replicate",
        "watsonx",
        "cloudflare",
        "predibase",
        "triton",
        "clarifai",
        "ai21",
        "palm",
        "databricks",
        "snowflake",
    }
)


def speaks_openai(provider: str, api_base: str | None) -> bool:
    """Whether calls to `provider` (at `api_base`, if set) can go through the OpenAI chat API."""
    if provider in OPENAI_COMPATIBLE:
        return True
    return (
        api_base is not None and provider not in NATIVE_APIS and not provider.startswith(tuple(NATIVE_APIS))
    )


def default_base(provider: str) -> str | None:
    """The provider's own endpoint: the user's environment may move it (OPENAI_BASE_URL, ...)."""
    endpoint = OPENAI_COMPATIBLE.get(provider)
    if endpoint is None:
        return None
    for name in endpoint.base_vars:
        value = os.environ.get(name)
        if value:
            return with_path(provider, value)
    return endpoint.base_url


def with_path(provider: str, base_url: str) -> str:
    """`base_url` as the OpenAI SDK needs it (Ollama's server root gets /v1)."""
    endpoint = OPENAI_COMPATIBLE.get(provider)
    base = base_url.rstrip("/")
    if endpoint is not None and endpoint.path and urlsplit(base).path in ("", "/"):
        base += endpoint.path
    return base
