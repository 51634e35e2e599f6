"""S014 key-to-custom-host: a custom api_base with no api_key, where the provider's key would have gone."""

from archon_testing import findings

from archon_dsl.checker import check_text

LAYER = "\nlayer generator { models = [m] }"


def test_a_remote_custom_host_without_api_key_warns_and_says_what_to_write():
    text = 'model m = "openai/gpt-4o" { api_base = "https://llm-proxy.example.com/v1" }' + LAYER
    [d] = check_text(text, "test.arch", select=["S014"]).diagnostics
    assert (d.severity.value, d.span.line) == ("warning", 1)
    assert "https://llm-proxy.example.com/v1" in d.message and "OPENAI_API_KEY" in d.message
    assert 'api_key = env("OPENAI_API_KEY")' in d.hint and 'api_key = "none"' in d.hint


def test_a_provider_block_api_base_counts_and_env_is_judged_by_its_default():
    text = (
        'provider "anthropic" { api_base = env("GATEWAY", "https://gw.example.net") }\n'
        'model m = "anthropic/claude-sonnet-4-5"' + LAYER
    )
    [f] = findings(text, "S014")
    assert "ANTHROPIC_API_KEY" in f["message"] and 'provider "anthropic" block' in f["message"]


def test_inline_models_are_checked_per_architecture():
    text = 'provider "groq" { api_base = "https://evil.example/v1" }\nlayer generator { models = ["groq/llama-3.1-8b"] }'
    [f] = findings(text, "S014")
    assert "GROQ_API_KEY" in f["message"]


def test_named_keys_local_servers_own_endpoints_and_keyless_providers_pass():
    text = "\n".join(
        [
            'model a = "openai/gpt-4o" { api_base = "https://proxy.example/v1"; api_key = env("PROXY_KEY") }',
            'model b = "openai/qwen" { api_base = env("VLLM_BASE", "http://localhost:8000/v1") }',
            'model c = "openai/gpt-4o-mini" { api_base = "https://api.openai.com/v1" }',
            'model d = "ollama/llama3" { api_base = "http://gpu-box.lan:11434" }',
            'model e = "openai/x" { api_base = env("SOME_BASE") }',
            'model f = "openai/y" { api_base = "https://proxy.example/v1"; api_key = "none" }',
            'model g = "sim/alpha"',
            "layer generator { models = [a, b, c, d, e, f, g] }",
        ]
    )
    assert findings(text, "S014") == []
