"""Random and mutated inputs to the parser and validator: diagnostics only, never another exception."""

from __future__ import annotations

from archon_testing import ROOT
from hypothesis import HealthCheck, given, settings, strategies as st

from archon_dsl.checker import check_text
from archon_dsl.diagnostics import Diagnostic

SEEDS = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "examples").rglob("*.arch"))]
TOKENS = [
    "layer",
    "generator",
    "fuser",
    "critic",
    "ranker",
    "verifier",
    "unit_test_generator",
    "unit_test_evaluator",
    "model",
    "models",
    "pool",
    "param",
    "int",
    "float",
    "bool",
    "choice",
    "repeat",
    "if",
    "else",
    "in",
    "constraint",
    "budget",
    "calls",
    "cost",
    "defaults",
    "include",
    "provider",
    "archon",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "=",
    ":",
    ";",
    ",",
    "..",
    "+",
    "-",
    "*",
    "//",
    "%",
    "<=",
    "==",
    "and",
    "or",
    "not",
    "true",
    "false",
    "0",
    "1",
    "25",
    "-3",
    "0.5",
    '"openai/gpt-4o"',
    '"x\\q"',
    "samples",
    "top_k",
    "count",
    "n",
    "p",
    "min(",
    "max(",
    "len(",
    "env(",
    "#c\n",
    "\n",
    " ",
    '"',
]
SETTINGS = settings(
    max_examples=int(__import__("os").environ.get("ARCHON_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _only_diagnostics(text: str) -> None:
    result = check_text(text, "fuzz.arch", max_points=200)
    assert all(isinstance(d, Diagnostic) and d.code and d.message for d in result.diagnostics)


@SETTINGS
@given(st.text(max_size=200))
def test_random_text(text):
    _only_diagnostics(text)


@SETTINGS
@given(st.lists(st.sampled_from(TOKENS), max_size=60))
def test_random_token_streams(tokens):
    _only_diagnostics(" ".join(tokens))


@SETTINGS
@given(st.sampled_from(SEEDS), st.data())
def test_mutated_examples(seed, data):
    text = seed
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["delete", "insert", "replace"]))
        if action == "delete":
            text = text[:position] + text[position + data.draw(st.integers(1, 20)) :]
        elif action == "insert":
            text = text[:position] + data.draw(st.sampled_from(TOKENS)) + text[position:]
        else:
            token = data.draw(st.sampled_from(TOKENS))
            text = text[:position] + token + text[position + len(token) :]
    _only_diagnostics(text)
