"""Which transport a call takes, the `transport` option, client reuse, and the cold path that never imports litellm."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import anyio
import pytest

from archon_dsl.architecture import EnvVar, ModelSpec
from archon_dsl.checker import check_text
from archon_dsl.loader import load_text
from archon_dsl.runtime.provider import transport_for
from archon_dsl.runtime.transports.openai_sdk import OpenAITransport, wire_name

ROOT = Path(__file__).resolve().parents[2]


def spec(model_id: str, **options) -> ModelSpec:
    return ModelSpec(name="m", id=model_id, **options)


@pytest.mark.parametrize(
    "model, expected",
    [
        (spec("sim/alpha"), "sim"),
        (spec("sim/alpha", transport="litellm"), "sim"),  # the simulator is a provider of its own
        (spec("openai/gpt-4o"), "openai"),
        (spec("together_ai/meta-llama/Llama-3-70b-chat-hf"), "openai"),
        (spec("groq/llama-3.1-8b-instant"), "openai"),
        (spec("deepseek/deepseek-chat"), "openai"),
        (spec("fireworks_ai/accounts/fireworks/models/llama-v3-70b"), "openai"),
        (spec("openrouter/meta-llama/llama-3-70b"), "openai"),
        (spec("mistral/mistral-large-latest"), "openai"),
        (spec("ollama/llama3"), "openai"),
        (spec("lm_studio/qwen"), "openai"),
        (spec("hosted_vllm/llama", api_base="http://localhost:8000/v1"), "openai"),
        (
            spec("some_new_host/model", api_base="http://localhost:8000/v1"),
            "openai",
        ),  # any model with an api_base
        (spec("anthropic/claude-3-5-sonnet-20240620"), "litellm"),
        (
            spec("anthropic/claude-3-5-sonnet-20240620", api_base="https://proxy.example/v1"),
            "litellm",
        ),  # its own API
        (spec("gemini/gemini-1.5-pro"), "litellm"),
        (spec("bedrock/anthropic.claude-v2"), "litellm"),
        (spec("openai/gpt-4o", transport="litellm"), "litellm"),
        (spec("anthropic/claude-3-haiku", api_base="http://localhost:1/v1", transport="openai"), "openai"),
    ],
)
def test_the_provider_decides_the_transport(model, expected, monkeypatch):
    monkeypatch.delenv("HOSTED_VLLM_API_BASE", raising=False)
    assert transport_for(model) == expected


def test_a_self_hosted_provider_without_an_endpoint_stays_with_litellm(monkeypatch):
    monkeypatch.delenv("HOSTED_VLLM_API_BASE", raising=False)
    assert transport_for(spec("hosted_vllm/llama")) == "litellm"  # litellm says what is missing
    monkeypatch.setenv("HOSTED_VLLM_API_BASE", "http://localhost:8000/v1")
    assert transport_for(spec("hosted_vllm/llama")) == "openai"
    assert transport_for(spec("openai/x", api_base=EnvVar(env="NO_SUCH_VARIABLE_SET"))) == "openai"


def test_the_wire_name_drops_only_the_provider():
    assert wire_name(spec("together_ai/meta-llama/Llama-3-70b")) == "meta-llama/Llama-3-70b"
    assert wire_name(spec("openai/gpt-4o")) == "gpt-4o"


def test_the_transport_option_is_known_checked_and_round_trips():
    source = 'model a = "openai/gpt-4o" { transport = "litellm" }\nlayer generator { model = a }\n'
    arch = load_text(source).instantiate()
    assert (
        arch.layers[0].models[0].transport == "litellm" and "transport" not in arch.layers[0].models[0].params
    )
    assert 'transport = "litellm"' in arch.to_arch()
    assert load_text(arch.to_arch()).instantiate().same_as(arch)
    bad = check_text('model a = "openai/gpt-4o" { transport = "grpc" }\nlayer generator { model = a }\n')
    errors = [d for d in bad.diagnostics if d.is_error]
    message = " ".join(d.message for d in errors)
    assert "transport" in message and "'openai' or 'litellm'" in message and "'grpc'" in message


def test_one_client_per_endpoint_and_key_on_a_loop():
    transport = OpenAITransport()

    async def clients():
        a = transport.client("http://127.0.0.1:1/v1", "k1")
        return (
            a,
            transport.client("http://127.0.0.1:1/v1", "k1"),
            transport.client("http://127.0.0.1:1/v1", "k2"),
            transport.client("http://127.0.0.1:2/v1", "k1"),
        )

    a, same, other_key, other_base = anyio.run(clients)
    assert a is same and a is not other_key and a is not other_base
    assert anyio.run(clients)[0] is not a  # a new event loop gets its own (a pool belongs to its loop)


def test_the_clients_of_finished_loops_are_let_go(server):
    from archon_dsl.components.base import CallSpec
    from archon_dsl.runtime import provider as provider_module
    from archon_dsl.runtime.transports import openai_sdk

    model = spec("openai/m", api_base=server.base_url)
    for i in range(4):  # as ad.run does: a new event loop per query
        result = anyio.run(
            lambda i=i: provider_module.Provider(env_file=None).complete(
                CallSpec(model, ({"role": "user", "content": f"question {i}"},))
            )
        )
        assert result.error is None
    # Only the last loop's clients remain (with their sockets); the earlier ones were dropped.
    assert len(openai_sdk._CLIENTS) == 1


def test_a_run_on_an_openai_compatible_model_never_imports_litellm(server, tmp_path):
    server.reset()
    (tmp_path / "one.arch").write_text(
        textwrap.dedent(f"""
        model gen = "openai/gen" {{ api_base = "{server.base_url}" }}
        layer generator {{ model = gen; samples = 2 }}
        layer fuser {{ model = gen }}
    """),
        encoding="utf-8",
    )
    code = (
        "import sys\n"
        "from archon_dsl.cli import main\n"
        "sys.argv = ['archonc', 'run', 'one.arch', 'What is 2 + 2?', '--no-cache']\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    sys.stderr.write('LITELLM=%s\\n' % ('litellm' in sys.modules))\n"
        "    sys.stderr.flush()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
    )
    assert server.hits["gen"] == 3, done.stderr
    # cli.main may end the process itself once the output is flushed: then the line is not written.
    assert "LITELLM=True" not in done.stderr
    imported = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)},
    )
    assert "| litellm\n" not in imported.stderr and "| openai\n" in imported.stderr
