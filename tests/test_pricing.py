"""Prices and context windows from litellm's table, read without importing litellm."""

from __future__ import annotations

import subprocess
import sys

import pytest

from archon_dsl.architecture import ModelSpec
from archon_dsl.pricing import known_provider, model_info, provider_names, spec_info, table


def test_the_table_is_litellms_json():
    assert len(table()) > 1000 and "sample_spec" not in table()
    assert all(isinstance(entry, dict) for entry in table().values())


def test_a_provider_prefix_is_dropped_where_the_entry_is_that_providers():
    info = model_info("openai/gpt-4o")
    assert (info.key, info.provider) == ("gpt-4o", "openai")
    assert info.input_cost_per_token > 0 and info.output_cost_per_token > info.input_cost_per_token
    assert info.max_input_tokens >= 128_000 and info.priced
    assert model_info("gpt-4o") == info


def test_a_full_id_matches_first():
    key = next(
        k for k, v in table().items() if k.startswith("together_ai/") and v.get("input_cost_per_token")
    )
    info = model_info(key)
    assert info.key == key and info.provider == "together_ai"


def test_a_providers_variant_names_match():
    key, entry = next(
        (k, v)
        for k, v in table().items()
        if "/" not in k and str(v.get("litellm_provider", "")).startswith("vertex_ai-")
    )
    info = model_info(f"vertex_ai/{key}")
    assert info is not None and info.key == key and info.provider == entry["litellm_provider"]


def test_case_is_ignored_as_a_last_resort():
    assert model_info("openai/GPT-4o").key == "gpt-4o"


def test_unknown_models_and_wrong_providers_have_no_info():
    assert model_info("openai/Qwen2-72B-Instruct-on-my-laptop") is None
    assert (
        model_info("anthropic/gpt-4o") is None
    )  # gpt-4o is OpenAI's: another provider's id must not price it
    assert model_info("nonsense") is None


def test_sim_models_have_simulated_prices_by_skill():
    info = model_info("sim/strong")
    assert info.priced and info.cost(1000, 1000) > 0 and info.max_input_tokens is None
    weak = spec_info(ModelSpec(name="w", id="sim/w", params={"skill": 0.2}))
    strong = spec_info(ModelSpec(name="s", id="sim/s", params={"skill": 0.9}))
    assert 0 < weak.cost(1000, 1000) < strong.cost(1000, 1000)
    declared = spec_info(ModelSpec(name="d", id="sim/d", cost_in=0.0, cost_out=0.0, params={"skill": 0.9}))
    assert declared.cost(1000, 1000) == 0.0


def test_model_prices_and_window_override_the_table():
    listed = spec_info(ModelSpec(name="g", id="openai/gpt-4o", cost_in=1.0, context_window=4096))
    assert listed.input_cost_per_token == pytest.approx(1e-6)
    assert listed.output_cost_per_token == model_info("openai/gpt-4o").output_cost_per_token
    assert listed.max_input_tokens == 4096
    local = spec_info(ModelSpec(name="q", id="openai/qwen-local", cost_in=0.5, cost_out=1.5))
    assert local.cost(1_000_000, 1_000_000) == pytest.approx(2.0)
    assert (
        spec_info(ModelSpec(name="q", id="openai/qwen-local", cost_in=0.5)).priced is False
    )  # output price unknown
    assert spec_info(ModelSpec(name="q", id="openai/qwen-local")) is None


@pytest.mark.parametrize(
    "name",
    [
        "openai",
        "anthropic",
        "together_ai",
        "groq",
        "bedrock",
        "gemini",
        "vertex_ai",
        "hosted_vllm",
        "ollama",
        "openrouter",
        "sim",
    ],
)
def test_known_providers(name):
    assert known_provider(name)


@pytest.mark.parametrize("name", ["opnai", "antropic", "", "one of https://docs.litellm.ai/docs/providers"])
def test_unknown_providers(name):
    assert not known_provider(name)
    assert name not in provider_names()


def test_lookups_never_import_litellm():
    code = (
        "import sys; from archon_dsl.pricing import model_info, known_provider; "
        "assert model_info('openai/gpt-4o') and known_provider('groq'); "
        "assert not any(m == 'litellm' or m.startswith('litellm.') for m in sys.modules), 'litellm imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_prices_agree_with_litellm():
    import os

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    for model_id in ("openai/gpt-4o", "anthropic/claude-sonnet-4-5", "openai/gpt-4o-mini"):
        ours = model_info(model_id)
        if ours is None:
            continue
        theirs = litellm.get_model_info(model_id)
        assert ours.input_cost_per_token == theirs["input_cost_per_token"]
        assert ours.output_cost_per_token == theirs["output_cost_per_token"]
        assert ours.max_input_tokens == theirs["max_input_tokens"]
