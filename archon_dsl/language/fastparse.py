"""A recursive-descent parser for well-formed .arch text, building exactly the AST that Lark and ToAst build.

Lark's LALR parser is most of `validate`'s time on a big file (a parse tree
node per reduction, positions propagated through each). This parser reads the
same grammar (grammar/archon.lark) straight into the AST through ToAst's own
functions, with the positions Lark would give. It handles only text that
parses: at the first thing it does not expect, it gives up (returns None) and
the caller parses with Lark, whose errors are the ones users see. The two are
held equal, spans included, by tests/language/test_fastparse.py.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from lark import Token

from . import ast
from .keywords import KEYWORDS as _KEYWORDS
from .transform import ToAst

_TOKEN = re.compile(
    r"""
    (?P<WS>[ \t\f\r\n]+)
  | (?P<COMMENT>\#[^\n]*)
  | (?P<STRING>"[^"\\\n]*(?:\\.[^"\\\n]*)*")
  | (?P<FLOAT>[0-9]+\.[0-9]+(?:[eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+)
  | (?P<INT>[0-9]+)
  | (?P<NAME>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<COMP_OP>==|!=|<=|>=|<(?!=)|>(?!=))
  | (?P<DOTDOT>\.\.)
  | (?P<MUL_OP>\*|//|%)
  | (?P<PLUS>\+)
  | (?P<MINUS>-)
  | (?P<PUNCT>[{}\[\]()=:;,])
""",
    re.VERBOSE,
)

_STATEMENTS = frozenset(
    {
        "archon",
        "include",
        "defaults",
        "model",
        "provider",
        "pool",
        "param",
        "constraint",
        "budget",
        "layer",
        "repeat",
        "if",
        ";",
    }
)
_BODY = frozenset({"layer", "repeat", "if"})


class _GiveUp(Exception):
    """Not well-formed (or not in the shape this parser knows): Lark parses it and explains."""


class _Meta:
    """The positions Lark's propagate_positions gives a node (what transform._span reads)."""

    __slots__ = ("line", "column", "end_line", "end_column")
    empty = False

    def __init__(self, start, end):
        self.line, self.column = start[0], start[1]
        self.end_line, self.end_column = end[0], end[1]


def lexemes(text: str) -> Iterator[tuple[str, int]]:
    """(text, offset) of each token of `text` up to the first that does not lex; whitespace and comments skipped."""
    pos, n = 0, len(text)
    match = _TOKEN.match
    while pos < n:
        m = match(text, pos)
        if m is None:
            return
        if m.lastgroup != "WS" and m.lastgroup != "COMMENT":
            yield m.group(), pos
        pos = m.end()


# A token: (kind, text, start, end, lark Token or None) where kind is the
# keyword or punctuation itself, or a terminal name (NAME, STRING, ...), and
# start and end are (line, column) pairs as Lark counts them. Comments are
# collected into `comments` in the same pass.
def _tokens(text: str, comments: list[ast.Comment]) -> list[tuple]:
    out: list[tuple] = []
    append = out.append
    line, line_start = 1, 0
    pos, n = 0, len(text)
    match = _TOKEN.match
    while pos < n:
        m = match(text, pos)
        if m is None:
            raise _GiveUp
        kind = m.lastgroup or ""  # every alternative of the lexer's pattern is a named group
        end = m.end()
        if kind == "COMMENT":
            comments.append(ast.Comment.at(text, pos, end, line, pos - line_start + 1))
            pos = end
            continue
        if kind == "WS":
            newlines = text.count("\n", pos, end)
            if newlines:
                line += newlines
                line_start = text.rindex("\n", pos, end) + 1
            pos = end
            continue
        value = m.group()
        column = pos - line_start + 1
        start_at, end_at = (line, column), (line, column + end - pos)
        if kind == "NAME" and value in _KEYWORDS:
            # `model` is a terminal of its own (MODEL) that reaches the transform; other keywords do not.
            token = (
                Token("MODEL", value, pos, line, column, line, column + end - pos, end)
                if value == "model"
                else None
            )
            append((value, value, start_at, end_at, token))
        elif kind == "PUNCT" or kind == "DOTDOT":
            append((value, value, start_at, end_at, None))
        else:
            append(
                (
                    kind,
                    value,
                    start_at,
                    end_at,
                    Token(kind, value, pos, line, column, line, column + end - pos, end),
                )
            )
        pos = end
    append(("$END", "", (line, pos - line_start + 1), (line, pos - line_start + 1), None))
    return out


class _Parser:
    def __init__(self, text: str):
        self.comments: list[ast.Comment] = []
        self.tokens = _tokens(text, self.comments)
        self.i = 0
        transformer = ToAst()
        plain = {
            name: ToAst.__dict__[name].base_func
            for name in (
                "archon_decl",
                "include_decl",
                "defaults_decl",
                "model_decl",
                "provider_decl",
                "pool_decl",
                "param_decl",
                "constraint_decl",
                "budget_decl",
                "range",
                "domain_set",
                "layer_decl",
                "repeat_count",
                "repeat_range",
                "if_stmt",
                "option",
                "or_",
                "and_",
                "not_",
                "compare",
                "arith",
                "neg",
                "index",
                "slice",
                "int_",
                "float_",
                "string",
                "true",
                "false",
                "name",
                "call",
                "list_",
            )
        }
        # Each rule's ToAst function, bound once: build(rule, meta, items).
        self.build = {name: functools.partial(f, transformer) for name, f in plain.items()}

    # -- tokens -----------------------------------------------------------------
    def peek(self) -> str:
        return self.tokens[self.i][0]

    def take(self, kind: str) -> tuple:
        token = self.tokens[self.i]
        if token[0] != kind:
            raise _GiveUp
        self.i += 1
        return token

    # -- file -------------------------------------------------------------------
    def module(self) -> ast.Module:
        statements = []
        while self.peek() != "$END":
            statement = self.statement()
            if statement is not None:
                statements.append(statement)
        return ast.Module(statements, comments=self.comments)

    def statement(self):
        kind = self.peek()
        build = self.build
        if kind in _BODY:
            return self.body_statement()
        if kind == ";":
            self.i += 1
            return None
        if kind not in _STATEMENTS:
            raise _GiveUp
        first = self.tokens[self.i]
        self.i += 1
        if kind in ("archon", "include"):
            string = self.take("STRING")
            return build[f"{kind}_decl"](_Meta(first[2], string[3]), [string[4]])
        if kind == "defaults":
            options, end = self.options()
            return build["defaults_decl"](_Meta(first[2], end), [options])
        if kind == "model":
            name = self.take("NAME")
            self.take("=")
            string = self.take("STRING")
            model_options, end = self.options() if self.peek() == "{" else (None, string[3])
            return build["model_decl"](_Meta(first[2], end), [first[4], name[4], string[4], model_options])
        if kind == "provider":
            string = self.take("STRING")
            options, end = self.options()
            return build["provider_decl"](_Meta(first[2], end), [string[4], options])
        if kind == "pool":
            name = self.take("NAME")
            self.take("=")
            value, _, end = self.expr()
            return build["pool_decl"](_Meta(first[2], end), [name[4], value])
        if kind == "param":
            name = self.take("NAME")
            self.take(":")
            type_ = self.take("NAME")
            default = domain = None
            end = type_[3]
            if self.peek() == "=":
                self.i += 1
                default, _, end = self.expr()
            if self.peek() == "in":
                self.i += 1
                domain, _, end = self.domain()
            when = None
            if self.peek() == "when":
                self.i += 1
                when, _, end = self.expr()
            return build["param_decl"](_Meta(first[2], end), [name[4], type_[4], default, domain, when])
        if kind == "constraint":
            value, _, end = self.expr()
            return build["constraint_decl"](_Meta(first[2], end), [value])
        # budget
        name = self.take("NAME")
        op = self.take("COMP_OP")
        value, _, end = self.expr()
        return build["budget_decl"](_Meta(first[2], end), [name[4], op[4], value])

    def body_statement(self):
        first = self.tokens[self.i]
        kind = first[0]
        build = self.build
        self.i += 1
        if kind == "layer":
            name = self.take("NAME")
            options, end = self.options()
            return build["layer_decl"](_Meta(first[2], end), [name[4], options])
        if kind == "repeat":
            if self.peek() == "NAME" and self.tokens[self.i + 1][0] == "in":
                var = self.take("NAME")
                self.i += 1
                range_, _, _ = self.range()
                body, end = self.block()
                return build["repeat_range"](_Meta(first[2], end), [var[4], range_, body])
            count, _, _ = self.sum()
            body, end = self.block()
            return build["repeat_count"](_Meta(first[2], end), [count, body])
        if kind != "if":
            raise _GiveUp
        condition, _, _ = self.expr()
        then, end = self.block()
        otherwise = None
        if self.peek() == "else":
            self.i += 1
            if self.peek() == "{":
                otherwise, end = self.block()
            elif self.peek() == "if":
                otherwise = self.body_statement()
                end = (otherwise.span.end_line, otherwise.span.end_column)
            else:
                raise _GiveUp
        return build["if_stmt"](_Meta(first[2], end), [condition, then, otherwise])

    def block(self) -> tuple[list, tuple]:
        self.take("{")
        statements = []
        while self.peek() in _BODY:
            statements.append(self.body_statement())
        return statements, self.take("}")[3]

    def options(self) -> tuple[list, tuple]:
        self.take("{")
        options: list[Any] = []
        build = self.build
        while True:
            kind = self.peek()
            if kind == "}":
                return options, self.take("}")[3]
            if kind != "NAME" and kind != "model":
                raise _GiveUp
            name = self.tokens[self.i]
            self.i += 1
            self.take("=")
            value, _, end = self.expr()
            options.append(build["option"](_Meta(name[2], end), [name[4], value]))
            if self.peek() == ";":
                self.i += 1

    def domain(self):
        if self.peek() != "{":
            return self.range()
        first = self.take("{")
        items = self.items("}")
        last = self.take("}")
        return self.build["domain_set"](_Meta(first[2], last[3]), items), first[2], last[3]

    def range(self):
        low, start, _ = self.sum()
        self.take("..")
        high, _, end = self.sum()
        return self.build["range"](_Meta(start, end), [low, high]), start, end

    def items(self, close: str) -> list:
        """`[expr ("," expr)* ","?]` up to `close` (not taken)."""
        items: list[Any] = []
        if self.peek() == close:
            return items
        while True:
            items.append(self.expr()[0])
            if self.peek() != ",":
                return items
            self.i += 1
            if self.peek() == close:
                return items

    # -- expressions: each returns (node, container start, container end) ------
    def expr(self):
        return self.binary_chain(self.and_, "or", "or_")

    def and_(self):
        return self.binary_chain(self.not_, "and", "and_")

    def binary_chain(self, operand, keyword: str, rule: str):
        first = operand()
        if self.peek() != keyword:
            return first
        items, end = [first[0]], first[2]
        while self.peek() == keyword:
            self.i += 1
            node, _, end = operand()
            items.append(node)
        return self.build[rule](_Meta(first[1], end), items), first[1], end

    def not_(self):
        if self.peek() != "not":
            return self.compare()
        first = self.take("not")
        node, _, end = self.not_()
        return self.build["not_"](_Meta(first[2], end), [node]), first[2], end

    def compare(self):
        return self.operator_chain(self.sum, ("COMP_OP",), "compare")

    def sum(self):
        return self.operator_chain(self.product, ("PLUS", "MINUS"), "arith")

    def product(self):
        return self.operator_chain(self.unary, ("MUL_OP",), "arith")

    def operator_chain(self, operand, operators: tuple, rule: str):
        first = operand()
        if self.peek() not in operators:
            return first
        items, end = [first[0]], first[2]
        while self.peek() in operators:
            items.append(self.tokens[self.i][4])
            self.i += 1
            node, _, end = operand()
            items.append(node)
        return self.build[rule](_Meta(first[1], end), items), first[1], end

    def unary(self):
        if self.peek() != "MINUS":
            return self.postfix()
        minus = self.take("MINUS")
        node, _, end = self.unary()
        return self.build["neg"](_Meta(minus[2], end), [minus[4], node]), minus[2], end

    def postfix(self):
        node, start, end = self.atom()
        while self.peek() == "[":
            self.i += 1
            lower = None
            if self.peek() != ":":
                lower = self.expr()[0]
                if self.peek() == "]":
                    end = self.take("]")[3]
                    node = self.build["index"](_Meta(start, end), [node, lower])
                    continue
            self.take(":")
            upper = self.expr()[0] if self.peek() != "]" else None
            end = self.take("]")[3]
            node = self.build["slice"](_Meta(start, end), [node, lower, upper])
        return node, start, end

    def atom(self):
        token = self.tokens[self.i]
        kind = token[0]
        build = self.build
        self.i += 1
        if kind == "NAME":
            if self.peek() != "(":
                return build["name"](_Meta(token[2], token[3]), [token[4]]), token[2], token[3]
            self.i += 1
            args = self.items(")")
            end = self.take(")")[3]
            return build["call"](_Meta(token[2], end), [token[4], *args]), token[2], end
        if kind == "INT" or kind == "FLOAT" or kind == "STRING":
            rule = {"INT": "int_", "FLOAT": "float_", "STRING": "string"}[kind]
            return build[rule](_Meta(token[2], token[3]), [token[4]]), token[2], token[3]
        if kind == "true" or kind == "false":
            return build[kind](_Meta(token[2], token[3]), []), token[2], token[3]
        if kind == "[":
            items = self.items("]")
            end = self.take("]")[3]
            return build["list_"](_Meta(token[2], end), items), token[2], end
        if kind == "(":
            # Inlined by the grammar: the node keeps its own span; the parentheses widen only what contains it.
            node, _, _ = self.expr()
            end = self.take(")")[3]
            return node, token[2], end
        raise _GiveUp


def fast_parse(text: str) -> ast.Module | None:
    """The AST of `text` with its comments (path not set), or None when Lark should parse it (anything not well-formed)."""
    try:
        return _Parser(text).module()
    except Exception:  # noqa: BLE001 -- any surprise, a syntax error or a BadToken alike: Lark decides and explains
        return None
