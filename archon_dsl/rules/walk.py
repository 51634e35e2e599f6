"""The AST walks the rules share, built on Node.walk."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..language import ast

if TYPE_CHECKING:
    from ..architecture import ModelSpec
    from ..diagnostics import Span
    from ..template import Template
    from .base import Context

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


def declared_models(template: Template) -> Iterator[tuple[ModelSpec, Span | None]]:
    """This file's own model declarations, once each, with their spans (an included file is checked on its own).

    One pass over the statements, not a list search per declaration (which made validate quadratic).
    """
    for decl in template.module.statements:
        model = template.models.get(decl.name) if isinstance(decl, ast.ModelDecl) else None
        if model is not None:
            yield model, decl.span


def inline_models(ctx: Context) -> Iterator[tuple[ModelSpec, Span | None]]:
    """Models written inline as strings (`models = ["openai/gpt-4o"]`), once each, with their layer's span."""
    declared = set(ctx.template.models.values()) if ctx.template is not None else set()
    seen: set[str] = set()
    for layer in ctx.arch.layers:
        for model in layer.models:
            if model in declared or model.id in seen:
                continue
            seen.add(model.id)
            yield model, layer.span
