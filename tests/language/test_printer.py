"""Printer: golden formatting, round trips for every example and generated inputs."""

from __future__ import annotations

import pytest
from archon_testing import GOLDEN, ROOT, assert_golden
from hypothesis import given, settings, strategies as st

from archon_dsl.language import ast
from archon_dsl.language.parser import parse
from archon_dsl.language.printer import escape, expr_text, print_module

FMT_CASES = sorted((GOLDEN / "fmt").glob("*.input.arch"))
EXAMPLES = sorted((ROOT / "examples").rglob("*.arch"))


@pytest.mark.parametrize("path", FMT_CASES, ids=[p.name.split(".")[0] for p in FMT_CASES])
def test_golden_format(path):
    formatted = print_module(parse(path.read_text(encoding="utf-8")))
    assert_golden(path.with_name(path.name.replace(".input.arch", ".expected.arch")), formatted)


@pytest.mark.parametrize("path", FMT_CASES + EXAMPLES, ids=lambda p: p.name)
def test_round_trip_and_idempotence(path):
    text = path.read_text(encoding="utf-8")
    try:
        module = parse(text)
    except Exception:
        pytest.skip("a deliberately broken example")
    printed = print_module(module)
    assert parse(printed) == module
    assert print_module(parse(printed)) == printed


def test_examples_are_formatted():
    for path in sorted((ROOT / "examples").glob("*.arch")):
        text = path.read_text(encoding="utf-8")
        assert print_module(parse(text)) == text, f"{path} is not in canonical form (archonc fmt)"


def test_comments_survive_formatting():
    text = "# head\nlayer fuser {  # open\n  model = m  # the model\n  # inside\n  samples = 2\n}\n# tail\n"
    printed = print_module(parse(text))
    for comment in ("# head", "# open", "# the model", "# inside", "# tail"):
        assert comment in printed


# -- generated expressions: printing then parsing gives the same tree -------------

names = st.sampled_from(["a", "n_gen", "pool_x", "samples"])
leaves = st.one_of(
    st.integers(min_value=-50, max_value=10**6).map(ast.Int),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False).map(ast.Float),
    st.text(max_size=8).map(ast.Str),
    st.booleans().map(ast.Bool),
    names.map(ast.Name),
)


def _extend(children):
    return st.one_of(
        st.tuples(st.sampled_from(["+", "-", "*", "//", "%"]), children, children).map(
            lambda t: ast.Binary(*t)
        ),
        st.tuples(st.sampled_from(["and", "or"]), st.lists(children, min_size=2, max_size=3)).map(
            lambda t: ast.BoolOp(*t)
        ),
        children.map(lambda c: ast.Unary("not", c)),
        names.map(ast.Name).map(lambda n: ast.Unary("-", n)),
        st.tuples(
            children,
            st.lists(st.tuples(st.sampled_from(["<", "<=", "==", "!="]), children), min_size=1, max_size=2),
        ).map(lambda t: ast.Compare(*t)),
        st.lists(children, max_size=3).map(ast.ListExpr),
        st.tuples(names.map(ast.Name), children).map(lambda t: ast.Index(*t)),
        st.tuples(names.map(ast.Name), st.one_of(st.none(), children), st.one_of(st.none(), children)).map(
            lambda t: ast.Slice(*t)
        ),
        st.tuples(st.sampled_from(["min", "max", "len"]), st.lists(children, max_size=3)).map(
            lambda t: ast.Call(*t)
        ),
    )


expressions = st.recursive(leaves, _extend, max_leaves=12)


def _normalise(expr):
    """Negative literals print as `-n`, which parses back to a literal: compare on text instead."""
    return expr_text(expr)


@settings(max_examples=300, deadline=None)
@given(expressions)
def test_generated_expressions_round_trip(expr):
    text = f"pool p = {expr_text(expr)}\n"
    [decl] = parse(text).statements
    assert expr_text(decl.value) == expr_text(expr)
    assert print_module(parse(text)) == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_generated_strings_round_trip(value):
    [decl] = parse(f"archon {escape(value)}").statements
    assert decl.name == value
