"""Walks over a module's statements and expressions, for the rules that read the AST."""

from __future__ import annotations

from typing import Iterator

from ..language import ast


def layer_decls(module: ast.Module) -> Iterator[ast.LayerDecl]:
    """Every layer statement, inside repeat and if blocks too."""
    stack = list(reversed(module.statements))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.LayerDecl):
            yield node
        elif isinstance(node, ast.Repeat):
            stack.extend(reversed(node.body))
        elif isinstance(node, ast.If):
            stack.extend(reversed((node.otherwise or [])))
            stack.extend(reversed(node.then))


def expressions(node) -> Iterator[ast.Expr]:
    """Every expression directly held by a statement (not descending into sub-expressions)."""
    if isinstance(node, (ast.Defaults, ast.ModelDecl, ast.ProviderDecl, ast.LayerDecl)):
        for option in node.options:
            yield option.value
    elif isinstance(node, ast.PoolDecl):
        yield node.value
    elif isinstance(node, ast.ParamDecl):
        if node.default is not None:
            yield node.default
        if isinstance(node.domain, ast.Range):
            yield node.domain.low
            yield node.domain.high
        elif isinstance(node.domain, ast.SetDomain):
            yield from node.domain.values
    elif isinstance(node, ast.Constraint):
        yield node.expr
    elif isinstance(node, ast.Budget):
        yield node.limit
    elif isinstance(node, ast.Repeat):
        if node.count is not None:
            yield node.count
        if node.range is not None:
            yield node.range.low
            yield node.range.high
    elif isinstance(node, ast.If):
        yield node.condition


def names_in(expr: ast.Expr) -> Iterator[ast.Name]:
    """Every name an expression reads (function names excluded)."""
    stack = [expr]
    while stack:
        e = stack.pop()
        if isinstance(e, ast.Name):
            yield e
        elif isinstance(e, ast.Call):
            stack.extend(e.args)
        elif isinstance(e, ast.ListExpr):
            stack.extend(e.items)
        elif isinstance(e, ast.Index):
            stack.extend((e.target, e.index))
        elif isinstance(e, ast.Slice):
            stack.extend(x for x in (e.target, e.start, e.stop) if x is not None)
        elif isinstance(e, ast.Unary):
            stack.append(e.operand)
        elif isinstance(e, ast.Binary):
            stack.extend((e.left, e.right))
        elif isinstance(e, ast.Compare):
            stack.append(e.first)
            stack.extend(x for _, x in e.rest)
        elif isinstance(e, ast.BoolOp):
            stack.extend(e.values)


def children(node) -> list:
    """Statements nested in a block statement."""
    if isinstance(node, ast.Repeat):
        return node.body
    if isinstance(node, ast.If):
        return node.then + (node.otherwise or [])
    return []
