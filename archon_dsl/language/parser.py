"""Parses .arch text into an ast.Module, turning Lark's errors into friendly diagnostics."""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput
from lark.exceptions import VisitError

from ..diagnostics import ArchonError, Diagnostic, Severity, Source, Span, gc_paused
from . import ast
from .fastparse import fast_parse, lexemes
from .transform import BadToken, ToAst

SYNTAX_ERROR = "E001"

_HERE = Path(__file__).resolve().parent


def grammar_path() -> Path:
    """The grammar inside the installed package, else the repository's `grammar/`."""
    for candidate in (
        _HERE.parent / "grammar" / "archon.lark",
        _HERE.parent.parent / "grammar" / "archon.lark",
    ):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("grammar/archon.lark is missing from the archon_dsl installation")


class _CommentSink(threading.local):
    """The COMMENT tokens of the parse running on this thread (None outside a parse)."""

    tokens: list | None = None


_COMMENTS = _CommentSink()


def _keep_comment(token):
    if _COMMENTS.tokens is not None:
        _COMMENTS.tokens.append(token)
    return token


@lru_cache(maxsize=1)
def _lark() -> Lark:
    # cache=True keeps the LALR tables in the temp dir: building them is most of startup.
    # The basic lexer compiles one scanner; the contextual one compiles one per parser
    # state on first use, which cost more than parsing a whole example.
    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        lexer="basic",
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
        # COMMENT is %ignore'd: the lexer still matches it, and hands it here for `fmt`.
        lexer_callbacks={"COMMENT": _keep_comment},
    )


class ParseError(ArchonError):
    """A syntax error in an .arch file; carries one E001 diagnostic."""


def parse(text: str, path: str = "<string>") -> ast.Module:
    """Parse .arch `text`; raise ParseError with a located, explained diagnostic."""
    with gc_paused():
        return _parse(text, path)


def _parse(text: str, path: str) -> ast.Module:
    # Well-formed text takes the fast path; anything else is parsed by Lark,
    # which finds and explains the error (fastparse builds the same AST).
    module = fast_parse(text)
    if module is not None:
        module.path = path
        return module
    source = Source(text, path)
    comments: list[ast.Comment] = []
    try:
        tree = _parse_collecting(text, comments)
    except UnexpectedInput as e:
        raise ParseError([_explain(e, source)]) from None
    try:
        module = ToAst().transform(tree)
    except VisitError as e:
        if isinstance(e.orig_exc, BadToken):
            bad = e.orig_exc
            raise ParseError([_syntax(bad.message, bad.span, path, bad.hint)]) from None
        if isinstance(e.orig_exc, RecursionError):
            raise ParseError([_too_deep(text, path)]) from None
        if isinstance(e.orig_exc, ValueError) and "digits" in str(
            e.orig_exc
        ):  # int() refuses over 4,300 digits
            meta = getattr(e.obj, "meta", e.obj)
            span = (
                Span(meta.line, meta.column, meta.end_line, meta.end_column)
                if hasattr(meta, "line")
                else None
            )
            raise ParseError(
                [_syntax("this integer has more than 4,300 digits", span, path, "write a smaller number")]
            ) from None
        raise
    except RecursionError:
        raise ParseError([_too_deep(text, path)]) from None
    module.path = path
    module.comments = comments
    return module


def _parse_collecting(text: str, comments: list[ast.Comment]) -> object:
    """Parse, keeping every comment (with its position) for the formatter."""
    lark = _lark()
    tokens: list[Token] = []
    _COMMENTS.tokens = tokens
    try:
        tree = lark.parse(text)
    finally:
        _COMMENTS.tokens = None
    comments.extend(ast.Comment.at(text, t.start_pos, t.end_pos, t.line, t.column) for t in tokens)
    return tree


def parse_file(path: str | Path) -> ast.Module:
    from ..diagnostics import read_source

    return parse(read_source(path), str(path))


# ---------------------------------------------------------------------------
# Friendly syntax errors
# ---------------------------------------------------------------------------

_READABLE = {
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "LSQB": "'['",
    "RSQB": "']'",
    "LPAR": "'('",
    "RPAR": "')'",
    "EQUAL": "'='",
    "COLON": "':'",
    "COMMA": "','",
    "SEMICOLON": "';'",
    "NAME": "a name",
    "STRING": "a string",
    "MODEL": "'model'",
    "INT": "an integer",
    "FLOAT": "a number",
    "COMP_OP": "a comparison",
    "PLUS": "'+'",
    "MUL_OP": "'*', '//' or '%'",
    "MINUS": "'-'",
    "$END": "end of file",
    "DOTDOT": "'..'",
}
_STATEMENT_KEYWORDS = {
    "ARCHON",
    "INCLUDE",
    "DEFAULTS",
    "MODEL",
    "PROVIDER",
    "POOL",
    "PARAM",
    "CONSTRAINT",
    "BUDGET",
    "LAYER",
    "REPEAT",
    "IF",
}


def _syntax(message: str, span: Span | None, path: str, hint: str | None = None) -> Diagnostic:
    return Diagnostic(SYNTAX_ERROR, "syntax-error", Severity.ERROR, message, span, path, hint)


def _too_deep(text: str, path: str) -> Diagnostic:
    """Brackets nested past what the tree builder's recursion allows, located at the deepest one."""
    depth = deepest = 0
    where = 0
    for value, offset in lexemes(text):
        if value in ("(", "[", "{"):
            depth += 1
            if depth > deepest:
                deepest, where = depth, offset
        elif value in (")", "]", "}"):
            depth -= 1
    span = Source(text, path).span_at_offset(where)
    return _syntax(
        f"brackets nested {deepest} deep: too deep to parse",
        span,
        path,
        "split the expression into named parts (nesting up to about 50 levels works)",
    )


def _readable(terminal: str) -> str:
    if terminal in _READABLE:
        return _READABLE[terminal]
    if terminal.isupper() and terminal.isalpha():
        return f"'{terminal.lower()}'"
    return terminal


def _expected(expected) -> str:
    names = sorted({_readable(t) for t in expected if not t.startswith("_")})
    if len(names) > 6:
        names = names[:6] + ["..."]
    return ", ".join(names)


def _unclosed_brace(text: str, upto: int) -> int | None:
    """Offset of the innermost `{` still open at `upto`, skipping strings and comments."""
    stack: list[int] = []
    for value, offset in lexemes(text):
        if offset >= upto:
            break
        if value == "{":
            stack.append(offset)
        elif value == "}" and stack:
            stack.pop()
    return stack[-1] if stack else None


def _explain(e: UnexpectedInput, source: Source) -> Diagnostic:
    text, path = source.text, source.path
    if isinstance(e, UnexpectedCharacters):
        span = Span.point(e.line, e.column)
        char = text[e.pos_in_stream] if e.pos_in_stream < len(text) else ""
        if char == '"':
            return _syntax(
                "unterminated string",
                span,
                path,
                'close the string with " on the same line; write \\n for a line break inside it',
            )
        if char == "'":
            return _syntax("strings use double quotes", span, path, "write \"...\" instead of '...'")
        if char in "/" and text[e.pos_in_stream : e.pos_in_stream + 2] != "//":
            return _syntax("unexpected '/'", span, path, "integer division is '//'; comments start with '#'")
        return _syntax(f"unexpected character {char!r}", span, path, f"expected {_expected(e.allowed)}")

    token = getattr(e, "token", None)
    expected = set(getattr(e, "expected", ()) or ())
    at_end = isinstance(e, UnexpectedEOF) or (token is not None and token.type == "$END")
    if at_end or (token is not None and "RBRACE" in expected and token.type in _STATEMENT_KEYWORDS):
        offset = len(text) if at_end else token.start_pos
        brace = _unclosed_brace(text, offset)
        if brace is not None:
            opened = source.span_at_offset(brace)
            where = Span.point(*_end_position(source)) if at_end else _token_span(token)
            diag = _syntax(
                f"missing '}}': the block opened at line {opened.line}, column {opened.column} is never closed",
                where,
                path,
                "add '}' to close the block",
            )
            diag.related.append((opened, "block opened here"))
            return diag
        if at_end:
            return _syntax(
                f"unexpected end of file; expected {_expected(expected)}",
                Span.point(*_end_position(source)),
                path,
            )

    assert token is not None
    span = _token_span(token)
    found = f"'{token}'" if token.type != "$END" else "end of file"
    if token.type == "COLON" and "EQUAL" in expected:
        return _syntax(
            "expected '=' but found ':'", span, path, "options and declarations are written `name = value`"
        )
    if token.type == "EQUAL" and "COLON" in expected:
        return _syntax(
            "expected ':' after the parameter name",
            span,
            path,
            "declare parameters as `param name: int = 3 in 1..4`",
        )
    if token.type == "RBRACE" and _unclosed_brace(text, token.start_pos) is None:
        return _syntax("unmatched '}'", span, path, "remove it, or open the block it closes with '{'")
    if token.type == "NAME" and "EQUAL" in expected and "LBRACE" not in expected:
        return _syntax(f"unexpected {found}; expected '='", span, path, "options are written `name = value`")
    if token.type == "LBRACE" and "NAME" in expected and _previous_word(text, token.start_pos) == "layer":
        from ..kinds import kind_names

        return _syntax(
            "expected a component kind before '{'",
            span,
            path,
            f"write `layer generator {{ ... }}`; kinds are {', '.join(kind_names())}",
        )
    return _syntax(f"unexpected {found}; expected {_expected(expected)}", span, path)


def _previous_word(text: str, offset: int) -> str:
    words = text[:offset].split()
    return words[-1] if words else ""


def _token_span(token) -> Span:
    line, column = token.line or 1, token.column or 1
    end_line = token.end_line or line
    end_column = token.end_column or column + max(len(str(token)), 1)
    return Span(line, column, end_line, end_column)


def _end_position(source: Source) -> tuple[int, int]:
    lines = source.text.split("\n")
    return len(lines), len(lines[-1]) + 1
