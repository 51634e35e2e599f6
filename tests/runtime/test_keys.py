"""API keys: .env parsing, which key goes where, the check before the first call, redaction."""

from __future__ import annotations

import json

import pytest

from archon_dsl.architecture import EnvVar, ModelSpec
from archon_dsl.loader import load_text
from archon_dsl.runtime.keys import (
    REDACTED,
    MissingCredentials,
    Redactor,
    credential,
    credential_for,
    is_secret_name,
    load_env_file,
    parse_env,
    redact,
    require_credentials,
)
from tests.support.openai_server import Reply

ENV_TEXT = r"""
# a comment
OPENAI_API_KEY=sk-plain-value
export ANTHROPIC_API_KEY = "sk-ant-quoted"   # trailing comment
SINGLE='literal $HOME \n kept'
DOUBLE="tab\there \"quoted\""
HASH_IN_VALUE=abc#def
SPACED_HASH=abc #comment
EMPTY=
MULTI="line one
line two"
not an assignment
"""


def test_parse_env_handles_quotes_comments_and_export():
    assert parse_env(ENV_TEXT) == {
        "OPENAI_API_KEY": "sk-plain-value",
        "ANTHROPIC_API_KEY": "sk-ant-quoted",
        "SINGLE": r"literal $HOME \n kept",
        "DOUBLE": 'tab\there "quoted"',
        "HASH_IN_VALUE": "abc#def",
        "SPACED_HASH": "abc",
        "EMPTY": "",
        "MULTI": "line one\nline two",
    }


def test_load_env_file_never_overrides_the_environment(tmp_path):
    path = tmp_path / ".env"
    path.write_text("OPENAI_API_KEY=from-file\nGROQ_API_KEY=groq-from-file\n")
    environ = {"OPENAI_API_KEY": "from-env"}
    assert load_env_file(path, environ) == ["GROQ_API_KEY"]
    assert environ == {"OPENAI_API_KEY": "from-env", "GROQ_API_KEY": "groq-from-file"}


def test_a_missing_env_file_is_no_error(tmp_path):
    environ: dict[str, str] = {}
    assert load_env_file(tmp_path / "absent.env", environ) == [] and environ == {}
    assert load_env_file(None, environ) == []


def test_secret_names():
    assert all(map(is_secret_name, ["OPENAI_API_KEY", "api_key", "HF_TOKEN", "db_password", "client_secret"]))
    assert not any(map(is_secret_name, ["temperature", "top_p", "OPENAI_BASE_URL", "seed"]))


def test_redact_removes_secret_values_and_key_shapes():
    environ = {"MY_SERVICE_TOKEN": "tok-1234567890", "HOME": "/root"}
    text = (
        "auth tok-1234567890 failed; key sk-abcdefghijkl1234 rejected; Bearer abc.def.ghijklmnop; home /root"
    )
    assert redact(text, environ) == f"auth {REDACTED} failed; key {REDACTED} rejected; {REDACTED}; home /root"


def test_redact_leaves_short_values_alone():
    assert redact("temperature 1", {"SOME_KEY": "1"}) == "temperature 1"


# -- which key a call carries, and the check before the first call ------------------------

ENV = {
    "OPENAI_API_KEY": "sk-openai-secret-1",
    "TOGETHER_API_KEY": "tog-secret-22",
    "PROXY_KEY": "proxy-secret-3",
}


def spec(model_id: str, api_base=None, **params) -> ModelSpec:
    return ModelSpec(name="m", id=model_id, api_base=api_base, params=params)


def test_a_providers_key_goes_only_to_its_own_endpoints():
    assert credential(spec("openai/gpt-4o"), None, ENV).value == "sk-openai-secret-1"
    assert credential(spec("openai/gpt-4o"), "https://api.openai.com/v1", ENV).value == "sk-openai-secret-1"
    # A custom host gets no key unless the file names one.
    stranger = credential(spec("openai/gpt-4o"), "https://collector.example/v1", ENV)
    assert (stranger.variable, stranger.value, stranger.missing) == (None, None, False)
    named = credential(
        spec("openai/gpt-4o", api_key=EnvVar(env="PROXY_KEY")), "https://collector.example/v1", ENV
    )
    assert (named.variable, named.value, named.inherited) == ("PROXY_KEY", "proxy-secret-3", False)
    assert (
        credential(spec("openai/x", api_key="literal-key"), "http://127.0.0.1:1/v1", ENV).value
        == "literal-key"
    )


def test_credential_for_is_the_value_a_transport_sends(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-secret-1")
    assert credential_for(spec("openai/gpt-4o")) == "sk-openai-secret-1"
    assert credential_for(spec("openai/gpt-4o", "https://collector.example/v1")) is None
    assert credential_for(spec("openai/gpt-4o"), "https://collector.example/v1") is None


def test_any_of_a_providers_variables_will_do():
    found = credential(spec("together_ai/meta-llama/x"), None, ENV)
    assert (found.variable, found.value) == ("TOGETHER_API_KEY", "tog-secret-22")
    assert credential(spec("together_ai/x"), None, {}).variable == "TOGETHERAI_API_KEY"


def arch(text: str):
    return load_text(text).instantiate()


def test_require_credentials_names_each_variable_and_its_models():
    architecture = arch(
        'model gpt4o = "openai/gpt-4o"\nmodel mini = "openai/gpt-4o-mini"\n'
        'model claude = "anthropic/claude-sonnet-4-5" { fallbacks = ["groq/llama-3.1-8b-instant"] }\n'
        'model named = "openai/q" { api_base = "https://proxy.example/v1"; api_key = env("PROXY_KEY") }\n'
        "layer generator { models = [gpt4o, mini, claude, named] }\nlayer fuser { model = gpt4o }"
    )
    with pytest.raises(MissingCredentials) as caught:
        require_credentials(architecture, {})
    assert caught.value.missing == {
        "OPENAI_API_KEY": ("gpt4o = openai/gpt-4o", "mini = openai/gpt-4o-mini"),
        "ANTHROPIC_API_KEY": ("claude = anthropic/claude-sonnet-4-5",),
        "PROXY_KEY": ("named = openai/q",),
        "GROQ_API_KEY": ("groq/llama-3.1-8b-instant",),
    }
    one = arch('model gpt4o = "openai/gpt-4o"\nlayer generator { model = gpt4o }')
    with pytest.raises(MissingCredentials) as caught:
        require_credentials(one, {})
    assert str(caught.value) == (
        "OPENAI_API_KEY is not set (model gpt4o = openai/gpt-4o): export it, put it in .env, or run offline with --sim"
    )
    require_credentials(one, {"OPENAI_API_KEY": "sk-x"})


def test_sim_local_keyless_and_literal_key_models_need_no_key():
    require_credentials(
        arch(
            'model a = "sim/alpha"\nmodel b = "openai/qwen" { api_base = "http://localhost:8000/v1" }\n'
            'model c = "ollama/llama3"\nmodel d = "openai/e" { api_base = "https://x.example"; api_key = "none" }\n'
            'model e = "bedrock/anthropic.claude-v2"\n'
            "layer generator { models = [a, b, c, d, e] }"
        ),
        {},
    )


# -- one redactor for everything written ------------------------------------------------


def test_redactor_covers_credential_names_named_keys_literals_and_json_data():
    environ = {
        "LLM_PASS": "hunter2-long",
        "DB_SECRET": "s3cr3t-value",
        "MY_CRED": "named-by-file",
        "HOME": "/root",
    }
    redactor = Redactor(environ)
    redactor.protect(
        arch(
            'model m = "openai/x" { api_base = "https://h.example"; api_key = env("MY_CRED") }\n'
            'model n = "openai/y" { api_base = "https://h.example"; api_key = "literal-secret-9" }\n'
            "layer generator { models = [m, n] }"
        )
    )
    text = "401: key named-by-file, hunter2-long, s3cr3t-value or literal-secret-9 rejected at /root"
    assert redactor.text(text) == "401: key ***, ***, *** or *** rejected at /root"
    data = {"answer": ["named-by-file", {"q": 'say "hunter2-long"'}], "n": 3, "none": None}
    assert redactor.data(data) == {"answer": ["***", {"q": 'say "***"'}], "n": 3, "none": None}
    assert "hunter2-long" not in redactor.json({"x": "a\nhunter2-long"})


def test_redactor_reads_values_when_used():
    environ: dict[str, str] = {}
    redactor = Redactor(environ)
    assert redactor.text("late-key-123456") == "late-key-123456"
    environ["LATE_API_KEY"] = "late-key-123456"  # e.g. loaded from .env after start-up
    assert redactor.text("late-key-123456") == "***"


# -- the run path checks keys before the first call (loopback server) ----------------------


@pytest.fixture
def clean_env(monkeypatch):
    """No provider key in the environment, and openai/ models without api_base sent to `server`."""
    for name in ("OPENAI_API_KEY", "LOOPBACK_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_a_missing_key_stops_the_run_before_any_call(server, clean_env, tmp_path):
    from archon_dsl import api

    server.reset()
    clean_env.setenv("OPENAI_BASE_URL", server.base_url)  # the user's own endpoint for openai/ models
    text = f"""
model gpt4o = "openai/g1"
model named = "openai/g2" {{ api_base = "{server.base_url}"; api_key = env("LOOPBACK_KEY") }}
layer generator {{ models = [gpt4o, named] }}
"""
    trace = tmp_path / "trace.jsonl"
    with pytest.raises(MissingCredentials) as caught:
        api.run(text, "What is 2 + 2?", cache=False, env_file=None, trace=trace)
    assert caught.value.missing == {
        "OPENAI_API_KEY": ("gpt4o = openai/g1",),
        "LOOPBACK_KEY": ("named = openai/g2",),
    }
    with pytest.raises(MissingCredentials):
        api.run_dataset(text, ["q1", "q2"], cache=False, env_file=None, out=tmp_path / "out.jsonl")
    out = tmp_path / "out.jsonl"
    assert server.total_hits == 0 and not trace.exists() and (not out.exists() or out.read_bytes() == b"")
    # The same run with the keys in an --env-file reaches the server.
    env_file = tmp_path / "keys.env"
    env_file.write_text("OPENAI_API_KEY=sk-from-env-file-123\nLOOPBACK_KEY=loopback-secret-456\n")
    result = api.run(text, "What is 2 + 2?", cache=False, env_file=env_file)
    assert result.error is None and server.total_hits == 2


def test_sim_runs_need_no_key(clean_env):
    from archon_dsl import api

    result = api.run(
        'model gpt4o = "openai/gpt-4o"\nlayer generator { model = gpt4o }',
        "What is 2 + 2?",
        sim=True,
        cache=False,
        env_file=None,
    )
    assert result.error is None


# -- secrets stay out of everything written (loopback server) ------------------------------

SECRET = "loopback-secret-value-7731"


def test_a_key_in_a_question_or_reply_is_in_no_output_cache_or_trace(server, clean_env, tmp_path):
    from archon_dsl import api
    from archon_dsl.runtime.cache import Cache

    server.reset()
    clean_env.setenv("LOOPBACK_CRED", SECRET)  # not a credential-shaped name: the file names it as a key
    server.set("g1", Reply.ok(f"Your key is {SECRET}, keep it safe."))
    text = f"""
model g = "openai/g1" {{ api_base = "{server.base_url}"; api_key = env("LOOPBACK_CRED") }}
layer generator {{ model = g }}
"""
    out, trace, cache_dir = tmp_path / "out.jsonl", tmp_path / "trace.jsonl", tmp_path / "cache"
    rows = [{"id": "1", "question": f"Is {SECRET} a valid key?"}]
    [result] = api.run_dataset(
        text, rows, cache=cache_dir, env_file=None, out=out, trace=trace, include_messages=True
    )
    assert result.error is None and server.total_hits == 1
    assert server.requests[0].headers.get("authorization") == f"Bearer {SECRET}"  # it went where it was named
    Cache(cache_dir / "cache.sqlite").close()  # every pending write committed
    written = {path.name: path.read_bytes() for path in [out, trace, *cache_dir.iterdir()]}
    written["--json"] = json.dumps(result.to_dict()).encode()
    assert all(SECRET.encode() not in data for data in written.values())
    assert (
        b"Your key is ***, keep it safe." in written["out.jsonl"]
        and b"Is *** a valid key?" in written["out.jsonl"]
    )
    # A second run answers from the cache, still redacted.
    [again] = api.run_dataset(text, rows, cache=cache_dir, env_file=None)
    assert again.cached_calls == 1 and SECRET not in json.dumps(again.to_dict())


def test_a_401_quoting_the_key_is_redacted(server, clean_env, tmp_path):
    from archon_dsl import api

    server.reset()
    clean_env.setenv("LLM_PASS", SECRET)
    body = json.dumps(
        {"error": {"message": f"Incorrect API key provided: {SECRET}", "type": "invalid_request_error"}}
    )
    server.set("g1", Reply(status=401, body=body))
    text = f"""
model g = "openai/g1" {{ api_base = "{server.base_url}"; api_key = env("LLM_PASS") }}
layer generator {{ model = g }}
"""
    trace = tmp_path / "trace.jsonl"
    result = api.run(text, "What is 2 + 2?", cache=False, env_file=None, trace=trace)
    assert server.total_hits == 1 and "401" in result.error or "Authentication" in result.error
    assert SECRET not in result.error and REDACTED in result.error
    assert SECRET.encode() not in trace.read_bytes()


def test_many_models_missing_one_key_stay_one_line():
    error = MissingCredentials({"TOGETHERAI_API_KEY": [f"m{i} = together_ai/x{i}" for i in range(8)]})
    assert str(error).startswith(
        "TOGETHERAI_API_KEY is not set (models m0 = together_ai/x0, m1 = together_ai/x1, m2 = together_ai/x2 and 5 more)"
    )
    assert len(error.missing["TOGETHERAI_API_KEY"]) == 8


def test_a_search_says_which_key_is_missing_before_its_first_trial(server, clean_env, tmp_path):
    from archon_dsl import api

    server.reset()
    clean_env.setenv("OPENAI_BASE_URL", server.base_url)
    clean_env.chdir(tmp_path)  # no .env here
    text = """
model a = "openai/g1"
model b = "anthropic/claude-sonnet-4-5"
param gen: choice = a in {a, b}
layer generator { model = gen }
"""
    rows = [{"id": "1", "question": "What is 2 + 2?", "answer": "4"}]
    with pytest.raises(MissingCredentials) as caught:
        api.search(text, rows, strategy="random", trials=2, cache=False)
    assert set(caught.value.missing) == {"OPENAI_API_KEY", "ANTHROPIC_API_KEY"}
    assert server.total_hits == 0


def test_an_internal_error_quoting_a_key_prints_it_redacted(clean_env, capsys):
    from archon_dsl import cli

    clean_env.setenv("LLM_PASS", SECRET)
    assert cli._report_failure(RuntimeError(f"the server refused {SECRET}")) == 2
    err = capsys.readouterr().err
    assert SECRET not in err and "the server refused ***" in err
