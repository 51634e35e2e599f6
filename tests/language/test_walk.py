"""Node.children/walk and the Visitor: one way to walk the AST."""

from __future__ import annotations

from dataclasses import fields

from archon_testing import ROOT

from archon_dsl.language import ast
from archon_dsl.language.parser import parse


def _preorder(node) -> list:
    """Every node below `node`, read straight from the dataclass fields (an independent walk)."""
    out = [node]

    def descend(value):
        if isinstance(value, ast.Node):
            out.extend(_preorder(value))
        elif isinstance(value, (list, tuple)):
            for item in value:
                descend(item)

    for f in fields(node):
        if f.compare:
            descend(getattr(node, f.name))
    return out


def test_walk_yields_every_node_of_an_example_in_source_order():
    module = parse((ROOT / "examples" / "general_search.arch").read_text(encoding="utf-8"))
    walked = list(module.walk())
    assert [id(n) for n in walked] == [id(n) for n in _preorder(module)]
    assert len(walked) > 50
    starts = [(n.span.line, n.span.column) for n in walked[1:] if n.span is not None]
    assert starts == sorted(starts)


def test_walk_of_a_small_file_node_by_node():
    module = parse(
        "param n: int = 2 in 1..3\n"
        "constraint not (n > 1) or -n < 0\n"
        "if n == 2 { layer critic { model = a } } else { repeat i in 0..n { layer fuser { models = p[:i] } } }\n"
    )
    assert [type(n).__name__ for n in module.walk()] == [
        "Module",
        "ParamDecl",
        "Int",
        "Range",
        "Int",
        "Int",
        "Constraint",
        "BoolOp",
        "Unary",
        "Compare",
        "Name",
        "Int",
        "Compare",
        "Unary",
        "Name",
        "Int",
        "If",
        "Compare",
        "Name",
        "Int",
        "LayerDecl",
        "Option",
        "Name",
        "Repeat",
        "Range",
        "Int",
        "Name",
        "LayerDecl",
        "Option",
        "Slice",
        "Name",
        "Name",
    ]


def test_children_skip_strings_and_flatten_lists_and_pairs():
    compare = parse("constraint a < b <= 3").statements[0].expr
    assert compare.children() == [ast.Name("a"), ast.Name("b"), ast.Int(3)]
    assert ast.LayerDecl("critic", []).children() == []
    assert ast.Call("max", [ast.Int(1), ast.Name("x")]).children() == [ast.Int(1), ast.Name("x")]


def test_prune_keeps_the_walk_out_of_a_subtree():
    module = parse("layer critic { model = a }\nif x { layer fuser { model = b } }")
    kept = [type(n).__name__ for n in module.walk(prune=lambda n: isinstance(n, ast.LayerDecl))]
    assert kept == ["Module", "LayerDecl", "If", "Name", "LayerDecl"]


class _NameCounter(ast.Visitor):
    def __init__(self):
        self.counts: dict[str, int] = {}

    def visit_Name(self, node: ast.Name) -> None:
        self.counts[node.id] = self.counts.get(node.id, 0) + 1


def test_a_toy_visitor_counts_names():
    module = parse(
        "pool p = [a, b, a]\n"
        "layer generator { models = p[:n]; samples = max(n, 2) }\n"
        "repeat k { layer fuser { model = a } }\n"
    )
    counter = _NameCounter()
    counter.visit(module)
    # `max` is a function name, not a Name: it is not counted.
    assert counter.counts == {"a": 3, "b": 1, "p": 1, "n": 2, "k": 1}


class _Depth(ast.Visitor):
    """A visitor whose methods return values and take an extra argument."""

    def visit_Binary(self, node: ast.Binary, depth: int) -> int:
        return max(self.visit(node.left, depth + 1), self.visit(node.right, depth + 1))

    def generic_visit(self, node: ast.Node, depth: int) -> int:
        return depth


def test_visitor_methods_return_values_and_pass_arguments():
    expr = parse("constraint 1 + 2 * (3 - x) == 0").statements[0].expr
    assert _Depth().visit(expr.first, 0) == 3
    assert _Depth().visit(ast.Int(1), 5) == 5


def test_each_visitor_class_keeps_its_own_dispatch():
    name = ast.Name("x")
    _NameCounter().visit(name)
    assert _Depth().visit(name, 7) == 7  # _Depth has no visit_Name: generic_visit, not _NameCounter's method
