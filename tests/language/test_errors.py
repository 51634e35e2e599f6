"""Friendly syntax errors: a table of broken inputs and what the user is told."""

from __future__ import annotations

import pytest

from archon_dsl.language.parser import ParseError, parse

CASES = [
    # (source, line, column, message, hint fragment)
    ('layer generator { model = "gpt }', 1, 27, "unterminated string", "close the string"),
    ("layer generator { model: m }", 1, 24, "expected '=' but found ':'", "name = value"),
    (
        "layer generator { model = m ",
        1,
        29,
        "missing '}': the block opened at line 1, column 17 is never closed",
        "add '}'",
    ),
    ("layer generator { model = m\nlayer fuser { model = m }", 2, 1, "missing '}'", "add '}'"),
    ("param n = 3 in 1..4", 1, 9, "expected ':' after the parameter name", "param name: int"),
    ("layer { model = m }", 1, 7, "expected a component kind before '{'", "generator, critic"),
    ("layer fuser { model = m } }", 1, 27, "unmatched '}'", "remove it"),
    ('archon "a\\qb"', 1, 10, "unknown escape sequence '\\q'", "known escapes"),
    ("layer fuser { model = 'm' }", 1, 23, "strings use double quotes", 'write "..."'),
    ("layer fuser { samples = 3 / 2 }", 1, 27, "unexpected '/'", "integer division is '//'"),
    ("layer fuser { model m }", 1, 21, "unexpected 'm'; expected '='", "name = value"),
    ("layer fuser { samples = 3 + }", 1, 29, "unexpected '}'", None),
    ("repeat { layer fuser { model = m } }", 1, 8, "unexpected '{'", None),
]


@pytest.mark.parametrize("source,line,column,message,hint", CASES, ids=[c[3][:30] for c in CASES])
def test_friendly_error(source, line, column, message, hint):
    with pytest.raises(ParseError) as error:
        parse(source, "bad.arch")
    [diag] = error.value.diagnostics
    assert (diag.span.line, diag.span.column) == (line, column)
    assert diag.message.startswith(message)
    if hint:
        assert hint in diag.hint
