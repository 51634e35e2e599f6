"""The original Archon's `model_type` values and the litellm model ids they correspond to."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..architecture import EnvVar, ModelSpec

# model_type -> litellm provider prefix, for the hosted APIs.
PREFIXES = {
    "Together_API": "together_ai",
    "OpenAI_API": "openai",
    "Anthropic_API": "anthropic",
    "Groq_API": "groq",
    "Google_API": "gemini",
    "Bedrock_API": "bedrock",
}
MODEL_TYPES = {prefix: model_type for model_type, prefix in PREFIXES.items()}
LOCAL_MODEL_TYPES = ("vLLM", "tgi")
KNOWN_MODEL_TYPES = tuple(PREFIXES) + LOCAL_MODEL_TYPES

# The original loads vLLM models in its own process; here they are served by
# `vllm serve MODEL`, an OpenAI-compatible server, found through this variable.
VLLM_ENV = "VLLM_API_BASE"
VLLM_DEFAULT_BASE = "http://localhost:8000/v1"
# TGI's OpenAI-compatible route answers to any model name; the original sends "tgi".
TGI_MODEL = "tgi"
# The one ranker the original runs in-process without a model_type (a reward model, not an LLM).
PAIRRM = "llm-blender/PairRM"


class UnknownModelType(ValueError):
    """A model_type with no litellm equivalent."""


class NotExportable(ValueError):
    """A model the original runner has no way to call."""


@dataclass(frozen=True)
class Imported:
    """A model as imported, and what the reader should know about how it was mapped."""

    model: ModelSpec
    note: str | None = None


@lru_cache(maxsize=4096)  # a config names few models, each on many components; ModelSpec is frozen
def import_model(model: str, model_type: str) -> Imported:
    """The ModelSpec for an original (model, model_type) pair."""
    if model_type in PREFIXES:
        model_id = f"{PREFIXES[model_type]}/{model}"
        return Imported(ModelSpec(name=model_id, id=model_id))
    if model_type == "vLLM":
        model_id = f"openai/{model}"
        return Imported(
            ModelSpec(name=model_id, id=model_id, api_base=EnvVar(env=VLLM_ENV, default=VLLM_DEFAULT_BASE)),
            f"vLLM model '{model}' becomes an OpenAI-compatible server at ${VLLM_ENV} "
            f"(default {VLLM_DEFAULT_BASE}); start it with `vllm serve {model}`",
        )
    if model_type == "tgi":
        model_id = f"openai/{TGI_MODEL}"
        return Imported(
            ModelSpec(name=model_id, id=model_id, api_base=model),
            f"TGI endpoint '{model}' becomes an OpenAI-compatible model with api_base = \"{model}\"",
        )
    if model_type == "" and model == PAIRRM:
        return Imported(
            ModelSpec(name=PAIRRM, id=PAIRRM),
            "PairRM is a reward model the original runs in-process; no litellm provider serves it, "
            "so this ranker cannot run here: replace it with an LLM ranker",
        )
    raise UnknownModelType(model_type)


def export_model(model: ModelSpec) -> tuple[str, str, str | None]:
    """(model, model_type, note) for the original runner; raises NotExportable."""
    if model.id == PAIRRM:
        return PAIRRM, "", None
    provider, _, rest = model.id.partition("/")
    if not rest:
        raise NotExportable(
            f"model '{model.id}' has no provider prefix, so its model_type is unknown; write it as "
            f"'openai/{model.id}' (or another provider's prefix)"
        )
    if provider == "openai" and model.api_base is not None:
        if rest == TGI_MODEL:
            base = model.api_base
            if isinstance(base, EnvVar):
                if base.default is None:
                    raise NotExportable(
                        f"TGI model '{model.name}' takes its address from ${base.env}, which has no default; "
                        "the original needs the URL in the config"
                    )
                return base.default, "tgi", f"TGI address ${base.env} written as its default {base.default}"
            return base, "tgi", None
        return (
            rest,
            "vLLM",
            (
                f"model '{model.name}' (api_base set) exported as vLLM '{rest}': the original loads it "
                "in-process with vllm and ignores the api_base"
            ),
        )
    if provider in MODEL_TYPES:
        note = None
        if model.api_base is not None:
            note = f"api_base of model '{model.name}' dropped: the original calls {MODEL_TYPES[provider]} at its public address"
        return rest, MODEL_TYPES[provider], note
    raise NotExportable(
        f"model '{model.id}': provider '{provider}' has no model_type in the original Archon "
        f"(it knows {', '.join(sorted(MODEL_TYPES))}, and vLLM/tgi as openai/ models with api_base)"
    )
