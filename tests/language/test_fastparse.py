"""The fast parser builds exactly Lark's AST, spans included, and gives up on everything Lark rejects."""

from __future__ import annotations

from dataclasses import fields, is_dataclass

import pytest
from archon_testing import ROOT
from hypothesis import HealthCheck, given, settings, strategies as st

from archon_dsl.language import parser
from archon_dsl.language.fastparse import fast_parse
from archon_dsl.language.transform import ToAst

FILES = sorted(p for p in ROOT.rglob("*.arch") if ".venv" not in p.parts)
SNIPPETS = [
    'archon "x"\ninclude "shared.arch"\ndefaults { temperature = 0.5; max_tokens = 100 }',
    'model m = "openai/gpt-4o"\nmodel n = "openai/gpt-4o-mini" { temperature = 0.2; cost_in = 1e-1 }',
    'provider "openai" { rpm = 500; tpm = 1e6 }',
    "pool p = [a, b, c,]\npool q = p[:2] + p[1:] + p[a:b]\npool r = p[0][1]",
    'param n: int = 2 in 1..4\nparam c: choice = "a" in {"a", "b",}\nparam f: float in -1.5..2\nparam b: bool',
    "param f: int = 2 in {1, 2} when n >= 2 and not b\nparam g: bool when (f)\nparam h: int in 1..n when x < 1..3",
    "param f: int when a\nparam g: float = 1 in 0.0..1.0 when g[0] == m or len(p) > 2",
    "constraint (n + 1) * 2 <= 10 and not not (a or b)\nconstraint a < b <= c != d",
    "constraint -(-3) == - x // 2 % 3 - -1\nconstraint min(a, b,) >= max() or len([])",
    "budget cost <= 0.5\nbudget calls < 30",
    'layer generator { model = m; samples = 3 }\nlayer fuser { models = [m, "openai/x"]; prompt = "a\\tb\\u0041\\"q" }',
    "repeat i in 0..n - 1 { layer critic { model = m } }\nrepeat 2 { }\nrepeat n * 2 {\n}",
    "if a { layer ranker { model = m; top_k = 5 } } else if b { } else { layer critic { model = m } }",
    "if (x) { }",
    ';;\n# comment "not a string"\nlayer verifier { model = m } # after\r\nlayer x {}\r\n',
    "layer generator { models = pool[:k]; samples = [1, 2, 3][i] }",
    "constraint ((((1))))\nconstraint (a)[0]\nconstraint (a + b)[1:2] * (c)",
    # Rejected by Lark; the fast parser must give up on each.
    "layer",
    "layer x {",
    "model = 3",
    "layer x { if = 1 }",
    "constraint 1.5.3",
    "constraint a .. b",
    "repeat a or b { }",
    "layer x { a = 1 } }",
    '"unterminated',
    "constraint 1 +",
    "if a { ; }",
    'archon "bad \\q escape"',
    "constraint 1e999",
    "constraint \u00a0 1",
    "layer x { y = [1 2] }",
    "param f: int when",
    "param f: int = 1 when a in 1..3",
    "param f: int when a when b",
    "layer x { when = 1 }",
]


def _dump(node):
    """Everything a node holds, spans included (they take no part in AST equality)."""
    if is_dataclass(node) and not isinstance(node, type):
        return (type(node).__name__,) + tuple(
            (f.name, _dump(getattr(node, f.name)))
            for f in fields(node)
            if f.name not in ("comments", "included", "path")
        )
    if isinstance(node, (list, tuple)):
        return [_dump(item) for item in node]
    return node


def _lark(text: str):
    try:
        return _dump(ToAst().transform(parser._lark().parse(text)))
    except Exception:  # noqa: BLE001 -- any rejection: a syntax error, a bad escape, a number too large
        return None


def _agree(text: str) -> None:
    expected = _lark(text)
    fast = fast_parse(text)
    if expected is None:
        assert fast is None, f"the fast parser accepted what Lark rejects: {text!r}"
    else:
        assert fast is not None, f"the fast parser gave up on what Lark accepts: {text!r}"
        assert _dump(fast) == expected


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_every_arch_file_of_the_project_parses_the_same(path):
    _agree(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("text", SNIPPETS)
def test_every_construct_parses_the_same_or_is_left_to_lark(text):
    _agree(text)


def test_parse_uses_lark_for_errors_so_their_messages_stay():
    with pytest.raises(parser.ParseError) as info:
        parser.parse('layer generator { model = "openai/gpt-4o" ', "x.arch")
    assert info.value.diagnostics[0].code == "E001"


SEEDS = [p.read_text(encoding="utf-8") for p in FILES]
TOKENS = [
    "layer",
    "generator",
    "model",
    "models",
    "pool",
    "param",
    "int",
    "repeat",
    "if",
    "else",
    "in",
    "constraint",
    "budget",
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
    "<",
    "and",
    "or",
    "not",
    "when",
    "true",
    "false",
    "0",
    "1",
    "25",
    "0.5",
    "1e3",
    '"openai/gpt-4o"',
    '"x\\n"',
    "n",
    "min(",
    "#c\n",
    "\n",
    " ",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SEEDS), st.data())
def test_mutated_files_parse_the_same_or_are_left_to_lark(seed, data):
    text = seed
    for _ in range(data.draw(st.integers(1, 3))):
        position = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["delete", "insert", "replace"]))
        if action == "delete":
            text = text[:position] + text[position + data.draw(st.integers(1, 8)) :]
        elif action == "insert":
            text = text[:position] + " " + data.draw(st.sampled_from(TOKENS)) + " " + text[position:]
        else:
            text = text[:position] + data.draw(st.sampled_from(TOKENS)) + text[position + 1 :]
    _agree(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_token_streams_parse_the_same_or_are_left_to_lark(tokens):
    _agree("constraint " + " ".join(tokens))
    _agree(" ".join(tokens))


@pytest.mark.parametrize("text", SNIPPETS + [p.read_text(encoding="utf-8") for p in FILES])
def test_both_parsers_collect_the_same_comments(text):
    fast = fast_parse(text)
    if fast is None:
        return  # Lark's error path: no comments are kept for a file that does not parse
    collected: list = []
    parser._parse_collecting(text, collected)
    assert fast.comments == collected
    lines = text.split("\n")
    for comment in collected:  # each stands where it says, whole
        assert comment.text.startswith("#")
        assert lines[comment.line - 1][comment.column - 1 :].rstrip() == comment.text
    if "#" not in text:
        assert collected == []
