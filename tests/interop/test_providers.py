"""model_type to litellm provider prefixes, and back."""

from __future__ import annotations

import pytest

from archon_dsl.architecture import EnvVar, ModelSpec
from archon_dsl.interop import providers


@pytest.mark.parametrize(
    "model_type, model, model_id",
    [
        ("Together_API", "meta-llama/Llama-3-70b-chat-hf", "together_ai/meta-llama/Llama-3-70b-chat-hf"),
        ("OpenAI_API", "gpt-4o", "openai/gpt-4o"),
        ("Anthropic_API", "claude-3-5-sonnet-20240620", "anthropic/claude-3-5-sonnet-20240620"),
        ("Groq_API", "llama3-70b-8192", "groq/llama3-70b-8192"),
        ("Google_API", "gemini-1.5-pro", "gemini/gemini-1.5-pro"),
        (
            "Bedrock_API",
            "anthropic.claude-3-sonnet-20240229-v1:0",
            "bedrock/anthropic.claude-3-sonnet-20240229-v1:0",
        ),
    ],
)
def test_hosted_model_types_map_to_prefixes_and_back(model_type, model, model_id):
    imported = providers.import_model(model, model_type)
    assert imported.model.id == model_id and imported.model.api_base is None and imported.note is None
    assert providers.export_model(imported.model)[:2] == (model, model_type)


def test_vllm_is_an_openai_compatible_server_found_through_an_environment_variable():
    imported = providers.import_model("facebook/opt-125m", "vLLM")
    assert imported.model.id == "openai/facebook/opt-125m"
    assert imported.model.api_base == EnvVar(env="VLLM_API_BASE", default="http://localhost:8000/v1")
    assert "vllm serve facebook/opt-125m" in imported.note
    assert providers.export_model(imported.model)[:2] == ("facebook/opt-125m", "vLLM")


def test_tgi_keeps_its_endpoint_as_api_base():
    imported = providers.import_model("http://tgi:8080/v1", "tgi")
    assert (imported.model.id, imported.model.api_base) == ("openai/tgi", "http://tgi:8080/v1")
    assert providers.export_model(imported.model)[:2] == ("http://tgi:8080/v1", "tgi")
    from_env = ModelSpec(name="t", id="openai/tgi", api_base=EnvVar(env="TGI", default="http://h/v1"))
    assert providers.export_model(from_env)[:2] == ("http://h/v1", "tgi")
    with pytest.raises(providers.NotExportable, match=r"\$TGI, which has no default"):
        providers.export_model(ModelSpec(name="t", id="openai/tgi", api_base=EnvVar(env="TGI")))


def test_pairrm_has_no_model_type():
    imported = providers.import_model("llm-blender/PairRM", "")
    assert imported.model.id == "llm-blender/PairRM" and "cannot run here" in imported.note
    assert providers.export_model(imported.model)[:2] == ("llm-blender/PairRM", "")


@pytest.mark.parametrize("model_type", ["", "Custom", "openai"])
def test_unknown_model_types_are_refused(model_type):
    with pytest.raises(providers.UnknownModelType):
        providers.import_model("gpt-4o", model_type)


def test_api_base_on_a_hosted_provider_is_dropped_with_a_note():
    model = ModelSpec(name="proxy", id="anthropic/claude-3-haiku-20240307", api_base="http://proxy")
    name, model_type, note = providers.export_model(model)
    assert (name, model_type) == ("claude-3-haiku-20240307", "Anthropic_API") and "api_base" in note
