"""API keys: .env parsing, loading without overriding the environment, redaction."""

from __future__ import annotations

from archon_dsl.runtime.keys import REDACTED, is_secret_name, load_env_file, parse_env, redact

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
    text = "auth tok-1234567890 failed; key sk-abcdefghijkl1234 rejected; Bearer abc.def.ghijklmnop; home /root"
    assert redact(text, environ) == f"auth {REDACTED} failed; key {REDACTED} rejected; {REDACTED}; home /root"


def test_redact_leaves_short_values_alone():
    assert redact("temperature 1", {"SOME_KEY": "1"}) == "temperature 1"
