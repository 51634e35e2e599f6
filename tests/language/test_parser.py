"""Parser: golden AST dumps for every file in golden/parse and every example."""

from __future__ import annotations

import pytest
from archon_testing import GOLDEN, ROOT, assert_golden

from archon_dsl.language import ast
from archon_dsl.language.parser import ParseError, parse

CASES = sorted((GOLDEN / "parse").glob("*.arch"))


def dump(node, indent: int = 0) -> str:
    """A stable, readable dump of AST nodes with their spans."""
    pad = "  " * indent
    if isinstance(node, list):
        return "".join(dump(n, indent) for n in node)
    if isinstance(node, tuple):
        return "".join(dump(n, indent) for n in node)
    if not hasattr(node, "__dataclass_fields__"):
        return f"{pad}{node!r}\n"
    span = getattr(node, "span", None)
    where = f" @{span.line}:{span.column}-{span.end_line}:{span.end_column}" if span else ""
    out = f"{pad}{type(node).__name__}{where}\n"
    for name, field in node.__dataclass_fields__.items():
        if not field.compare or name in ("span",):
            continue
        value = getattr(node, name)
        if isinstance(value, (list, tuple)) or hasattr(value, "__dataclass_fields__"):
            out += f"{pad}  .{name}:\n" + dump(value, indent + 2)
        else:
            out += f"{pad}  .{name} = {value!r}\n"
    return out


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_ast(path):
    module = parse(path.read_text(encoding="utf-8"), path.name)
    assert_golden(path.with_suffix(".ast"), dump(module.statements))


def test_every_example_parses():
    for path in sorted((ROOT / "examples").glob("*.arch")):
        assert parse(path.read_text(encoding="utf-8"), str(path)).statements


def test_operator_precedence_and_associativity():
    [pool] = parse("pool p = 1 - 2 - 3 * 4 // 2").statements
    assert pool.value == ast.Binary(
        "-",
        ast.Binary("-", ast.Int(1), ast.Int(2)),
        ast.Binary("//", ast.Binary("*", ast.Int(3), ast.Int(4)), ast.Int(2)),
    )
    [constraint] = parse("constraint not a and b or c < 3").statements
    assert constraint.expr == ast.BoolOp(
        "or",
        [
            ast.BoolOp("and", [ast.Unary("not", ast.Name("a")), ast.Name("b")]),
            ast.Compare(ast.Name("c"), [("<", ast.Int(3))]),
        ],
    )


def test_string_escapes():
    [decl] = parse(r'archon "a\"b\\c\n\t\u00e9"').statements
    assert decl.name == 'a"b\\c\n\té'


def test_ranges_and_floats_lex_apart():
    [param] = parse("param t: float = 0.5 in 0.0..1.5").statements
    assert (param.domain.low, param.domain.high) == (ast.Float(0.0), ast.Float(1.5))
    [param] = parse("param n: int in 1..4").statements
    assert (param.domain.low, param.domain.high, param.default) == (ast.Int(1), ast.Int(4), None)


def test_spans_are_one_based():
    [_, layer] = parse('model m = "x/y"\n  layer generator { model = m }').statements
    assert (layer.span.line, layer.span.column, layer.kind_span.column) == (2, 3, 9)


def test_comments_are_collected():
    module = parse("# one\nlayer generator { model = m }  # two\n")
    assert [(c.text, c.line, c.own_line) for c in module.comments] == [
        ("# one", 1, True),
        ("# two", 2, False),
    ]


def test_syntax_error_is_a_parse_error():
    with pytest.raises(ParseError) as error:
        parse("layer generator {", "x.arch")
    [diag] = error.value.diagnostics
    assert (diag.code, diag.path) == ("E001", "x.arch")
