"""The AST walks the rules share, built on Node.walk."""

from __future__ import annotations

from typing import Iterator

from ..language import ast

# Nodes whose children may be layer statements.
_BLOCKS = (ast.Module, ast.Repeat, ast.If)


def _not_block(node: ast.Node) -> bool:
    return not isinstance(node, _BLOCKS)


def layer_decls(module: ast.Module) -> Iterator[ast.LayerDecl]:
    """Every layer statement, inside repeat and if blocks too, in source order."""
    for node in module.walk(prune=_not_block):
        if isinstance(node, ast.LayerDecl):
            yield node


def names_in(node: ast.Node) -> Iterator[ast.Name]:
    """Every name read below `node`, in source order (function names are not names)."""
    for child in node.walk():
        if isinstance(child, ast.Name):
            yield child
