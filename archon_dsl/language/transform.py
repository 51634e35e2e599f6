"""Turns Lark parse trees into typed AST nodes; no lark.Tree leaves this module."""

from __future__ import annotations

import re

from lark import Token, Transformer, v_args
from lark.exceptions import GrammarError, VisitError
from lark.visitors import _vargs_meta

from ..diagnostics import Span
from . import ast


def _span(meta) -> Span | None:
    if getattr(meta, "empty", True):
        return None
    return Span(meta.line, meta.column, meta.end_line, meta.end_column)


def _tok_span(tok: Token) -> Span:
    return Span(tok.line, tok.column, tok.end_line, tok.end_column)


_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "0": "\0"}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")


def unescape(raw: str) -> str:
    """The value of a STRING token (quotes included), resolving escapes."""
    body = raw[1:-1]
    if "\\" not in body:
        return body

    def replace(match: re.Match) -> str:
        code = match.group(1)
        if len(code) == 5:
            return chr(int(code[1:], 16))
        if code not in _ESCAPES:
            raise InvalidEscape(code, match.start() + 1)
        return _ESCAPES[code]

    return _ESCAPE.sub(replace, body)


class InvalidEscape(ValueError):
    """A backslash escape that the language does not define."""

    def __init__(self, char: str, offset: int):
        super().__init__(f"unknown escape sequence '\\{char}'")
        self.char = char
        self.offset = offset


class BadToken(Exception):
    """A token the grammar accepts but the language does not (raised out of the transformer)."""

    def __init__(self, span: Span, message: str, hint: str | None = None):
        super().__init__(message)
        self.span = span
        self.message = message
        self.hint = hint


def _string(tok: Token) -> str:
    from ..limits import MAX_STRING_CHARS, size_text

    if len(tok) - 2 > MAX_STRING_CHARS:
        raise BadToken(
            Span(tok.line, tok.column, tok.line, tok.column + 1),
            f"a string of {len(tok) - 2:,} characters, over the limit of {size_text(MAX_STRING_CHARS)} characters",
            "shorten it; a long prompt belongs in a dataset or a template file, not in the architecture",
        )
    try:
        return unescape(tok)
    except InvalidEscape as e:
        column = tok.column + e.offset
        raise BadToken(
            Span(tok.line, column, tok.line, column + 2),
            str(e),
            'write \\\\ for a backslash; known escapes are \\n \\t \\r \\" \\\\ \\0 \\uXXXX',
        ) from None


def _fold_binary(items, meta, node_type):
    """`a + b - c` arrives flat as [a, +, b, -, c]; fold it left-associatively."""
    left = items[0]
    for i in range(1, len(items), 2):
        op, right = items[i], items[i + 1]
        start = left.span or right.span
        span = start.to(right.span) if start and right.span else _span(meta)
        left = node_type(str(op), left, right, span=span)
    return left


@v_args(meta=True)
class ToAst(Transformer):
    """Builds ast.Module from the tree of grammar/archon.lark."""

    # -- file ---------------------------------------------------------------
    def start(self, meta, items):
        return ast.Module([s for s in items if s is not None])

    def empty(self, meta, items):
        return None

    def archon_decl(self, meta, items):
        return ast.ArchonDecl(_string(items[0]), span=_span(meta))

    def include_decl(self, meta, items):
        return ast.Include(_string(items[0]), span=_span(meta))

    def defaults_decl(self, meta, items):
        return ast.Defaults(items[0], span=_span(meta))

    def model_decl(self, meta, items):
        _, name, model_id, options = items
        return ast.ModelDecl(
            str(name), _string(model_id), options or [], span=_span(meta), name_span=_tok_span(name)
        )

    def provider_decl(self, meta, items):
        return ast.ProviderDecl(_string(items[0]), items[1], span=_span(meta))

    def pool_decl(self, meta, items):
        name, value = items
        return ast.PoolDecl(str(name), value, span=_span(meta), name_span=_tok_span(name))

    def param_decl(self, meta, items):
        name, type_, default, domain, when = items
        return ast.ParamDecl(
            str(name),
            str(type_),
            default,
            domain,
            when,
            span=_span(meta),
            name_span=_tok_span(name),
            type_span=_tok_span(type_),
        )

    def constraint_decl(self, meta, items):
        return ast.Constraint(items[0], span=_span(meta))

    def budget_decl(self, meta, items):
        metric, op, limit = items
        return ast.Budget(str(metric), str(op), limit, span=_span(meta))

    def range(self, meta, items):
        return ast.Range(items[0], items[1], span=_span(meta))

    def domain_set(self, meta, items):
        return ast.SetDomain([i for i in items if i is not None], span=_span(meta))

    # -- layers and control flow --------------------------------------------
    def layer_decl(self, meta, items):
        kind, options = items
        return ast.LayerDecl(str(kind), options, span=_span(meta), kind_span=_tok_span(kind))

    def repeat_count(self, meta, items):
        count, body = items
        return ast.Repeat(count, None, None, body, span=_span(meta))

    def repeat_range(self, meta, items):
        var, range_, body = items
        return ast.Repeat(None, str(var), range_, body, span=_span(meta))

    def if_stmt(self, meta, items):
        condition, then, otherwise = items
        if isinstance(otherwise, ast.If):
            otherwise = [otherwise]
        return ast.If(condition, then, otherwise, span=_span(meta))

    def block(self, meta, items):
        return list(items)

    def options(self, meta, items):
        return list(items)

    def option(self, meta, items):
        name, value = items
        return ast.Option(str(name), value, span=_span(meta))

    # -- expressions ----------------------------------------------------------
    # `?rule -> alias` still builds a node for a single child; unwrap those.
    def or_(self, meta, items):
        return items[0] if len(items) == 1 else ast.BoolOp("or", list(items), span=_span(meta))

    def and_(self, meta, items):
        return items[0] if len(items) == 1 else ast.BoolOp("and", list(items), span=_span(meta))

    def not_(self, meta, items):
        return ast.Unary("not", items[0], span=_span(meta))

    def compare(self, meta, items):
        if len(items) == 1:
            return items[0]
        rest = [(str(items[i]), items[i + 1]) for i in range(1, len(items), 2)]
        return ast.Compare(items[0], rest, span=_span(meta))

    def arith(self, meta, items):
        return _fold_binary(items, meta, ast.Binary)

    def neg(self, meta, items):
        operand = items[1]
        # Fold `-3` into a literal so printing and reparsing are stable.
        if isinstance(operand, (ast.Int, ast.Float)):
            return type(operand)(-operand.value, span=_span(meta))
        return ast.Unary("-", operand, span=_span(meta))

    def index(self, meta, items):
        return ast.Index(items[0], items[1], span=_span(meta))

    def slice(self, meta, items):
        target, start, stop = items
        return ast.Slice(target, start, stop, span=_span(meta))

    def int_(self, meta, items):
        return ast.Int(int(items[0]), span=_span(meta))

    def float_(self, meta, items):
        value = float(items[0])
        if value != value or value in (float("inf"), float("-inf")):
            raise BadToken(_tok_span(items[0]), f"the number {items[0]} is too large", "use a smaller number")
        return ast.Float(value, span=_span(meta))

    def string(self, meta, items):
        return ast.Str(_string(items[0]), span=_span(meta))

    def true(self, meta, items):
        return ast.Bool(True, span=_span(meta))

    def false(self, meta, items):
        return ast.Bool(False, span=_span(meta))

    def name(self, meta, items):
        return ast.Name(str(items[0]), span=_span(meta))

    def call(self, meta, items):
        func, *args = items
        return ast.Call(str(func), [a for a in args if a is not None], span=_span(meta))

    def list_(self, meta, items):
        return ast.ListExpr([i for i in items if i is not None], span=_span(meta))

    # Lark binds a fresh v_args wrapper to a method on every call (a
    # functools.update_wrapper each time, a fifth of the transform); the plain
    # functions, looked up once per rule, are called the same way.
    _plain: dict = {}

    def _call_userfunc(self, tree, new_children=None):
        function = self._plain.get(tree.data)
        if function is None:
            wrapped = type(self).__dict__.get(tree.data)
            if getattr(wrapped, "visit_wrapper", None) is not _vargs_meta:
                return super()._call_userfunc(tree, new_children)
            function = self._plain[tree.data] = wrapped.base_func
        try:
            return function(self, tree.meta, tree.children if new_children is None else new_children)
        except GrammarError:
            raise
        except Exception as e:
            raise VisitError(tree.data, tree, e) from e
