"""Writes an ast.Module back as canonical .arch text, keeping its comments."""

from __future__ import annotations

from . import ast

INDENT = "  "
LINE_WIDTH = 100

# Binding strength of each operator: a child binding more loosely than its
# parent is parenthesised.
_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "compare": 4, "+": 5, "-": 5, "*": 6, "//": 6, "%": 6, "neg": 7}
_ATOM = 9


def escape(value: str) -> str:
    """A STRING literal (with quotes) whose value is `value`."""
    out = ['"']
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _float(value: float) -> str:
    text = repr(value)
    if text in ("inf", "-inf", "nan"):
        raise ValueError(f"{text} has no .arch literal")
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


class _Precedence(ast.Visitor):
    """How tightly an expression binds: a child binding more loosely than its context is parenthesised."""

    def visit_BoolOp(self, expr: ast.BoolOp) -> int:
        return _PRECEDENCE[expr.op]

    def visit_Unary(self, expr: ast.Unary) -> int:
        return _PRECEDENCE["not"] if expr.op == "not" else _PRECEDENCE["neg"]

    def visit_Compare(self, expr: ast.Compare) -> int:
        return _PRECEDENCE["compare"]

    def visit_Binary(self, expr: ast.Binary) -> int:
        return _PRECEDENCE[expr.op]

    def visit_Int(self, expr: ast.Int | ast.Float) -> int:
        return _PRECEDENCE["neg"] if expr.value < 0 else _ATOM

    visit_Float = visit_Int

    def generic_visit(self, expr: ast.Node) -> int:
        return _ATOM


class _ExprText(ast.Visitor):
    """Canonical text of an expression, with only the parentheses it needs."""

    def visit_Int(self, expr: ast.Int) -> str:
        return str(expr.value)

    def visit_Float(self, expr: ast.Float) -> str:
        return _float(expr.value)

    def visit_Str(self, expr: ast.Str) -> str:
        return escape(expr.value)

    def visit_Bool(self, expr: ast.Bool) -> str:
        return "true" if expr.value else "false"

    def visit_Name(self, expr: ast.Name) -> str:
        return expr.id

    def visit_Call(self, expr: ast.Call) -> str:
        return f"{expr.func}({', '.join(self.visit(a) for a in expr.args)})"

    def visit_ListExpr(self, expr: ast.ListExpr) -> str:
        return f"[{', '.join(self.visit(i) for i in expr.items)}]"

    def visit_Index(self, expr: ast.Index) -> str:
        return f"{self.operand(expr.target, _ATOM)}[{self.visit(expr.index)}]"

    def visit_Slice(self, expr: ast.Slice) -> str:
        start = self.visit(expr.start) if expr.start is not None else ""
        stop = self.visit(expr.stop) if expr.stop is not None else ""
        return f"{self.operand(expr.target, _ATOM)}[{start}:{stop}]"

    def visit_Unary(self, expr: ast.Unary) -> str:
        if expr.op == "not":
            return f"not {self.operand(expr.operand, _PRECEDENCE['not'])}"
        # `- -x` would lex the same as `--x`; keep a space only where needed.
        inner = self.operand(expr.operand, _PRECEDENCE["neg"])
        return f"-{inner}" if not inner.startswith("-") else f"-({inner})"

    def visit_Binary(self, expr: ast.Binary) -> str:
        level = _PRECEDENCE[expr.op]
        # Left-associative: the right operand needs parentheses at equal level.
        return f"{self.operand(expr.left, level)} {expr.op} {self.operand(expr.right, level + 1)}"

    def visit_Compare(self, expr: ast.Compare) -> str:
        level = _PRECEDENCE["compare"] + 1
        parts = [self.operand(expr.first, level)]
        for op, operand in expr.rest:
            parts.append(f"{op} {self.operand(operand, level)}")
        return " ".join(parts)

    def visit_BoolOp(self, expr: ast.BoolOp) -> str:
        level = _PRECEDENCE[expr.op] + 1
        return f" {expr.op} ".join(self.operand(v, level) for v in expr.values)

    def generic_visit(self, expr: ast.Node) -> str:
        raise TypeError(f"not an expression: {expr!r}")

    def operand(self, expr: ast.Expr, level: int) -> str:
        """`expr` as an operand of an operator binding at `level`."""
        text = self.visit(expr)
        return f"({text})" if _precedence(expr) < level else text


_precedence = _Precedence().visit
_EXPR_TEXT = _ExprText()
_operand = _EXPR_TEXT.operand


def expr_text(expr: ast.Expr) -> str:
    """Canonical text of an expression, with only the parentheses it needs."""
    return _EXPR_TEXT.visit(expr)


def domain_text(domain: ast.Domain) -> str:
    if isinstance(domain, ast.Range):
        return range_text(domain)
    return "{" + ", ".join(expr_text(v) for v in domain.values) + "}"


def range_text(range_: ast.Range) -> str:
    level = _PRECEDENCE["+"]
    return f"{_operand(range_.low, level)}..{_operand(range_.high, level)}"


class _Writer:
    """Accumulates lines and places each comment before or beside its node."""

    def __init__(self, comments: list[ast.Comment]):
        self.lines: list[str] = []
        self.pending = sorted(comments, key=lambda c: (c.line, c.column))

    def leading(self, line: int | None, depth: int) -> None:
        """Emit comments that stood before source line `line`."""
        while self.pending and (line is None or self.pending[0].line < line):
            comment = self.pending.pop(0)
            if not comment.own_line and self.lines:
                self.lines[-1] += "  " + comment.text
            else:
                if comment.blank_before and self.lines and self.lines[-1] != "":
                    self.lines.append("")
                self.lines.append(INDENT * depth + comment.text)

    def emit(self, text: str, depth: int, span) -> None:
        if span is not None:
            self.leading(span.line, depth)
        self.lines.append(INDENT * depth + text)

    def trailing(self, span) -> None:
        """A comment after the node on its last line stays beside it."""
        if span is None:
            return
        while self.pending and self.pending[0].line == span.end_line and not self.pending[0].own_line:
            self.lines[-1] += "  " + self.pending.pop(0).text

    def has_comment_within(self, span) -> bool:
        """A comment inside the node (one after its closing brace stays beside it)."""
        return span is not None and any(span.line <= c.line < span.end_line for c in self.pending)


def print_module(module: ast.Module) -> str:
    """Canonical text of a module; parse(print_module(m)) == m."""
    writer = _Writer(module.comments)
    previous_group = None
    for statement in module.statements:
        group = _group(statement)
        if previous_group is not None and (group != previous_group or group == "block"):
            if writer.lines and writer.lines[-1] != "":
                writer.lines.append("")
        _statement(writer, statement, 0)
        previous_group = group
    writer.leading(None, 0)
    return "\n".join(writer.lines).rstrip("\n") + "\n"


def _group(statement) -> str:
    if isinstance(statement, (ast.LayerDecl,)):
        return "layer"
    if isinstance(statement, (ast.Repeat, ast.If)):
        return "block"
    if isinstance(statement, (ast.Constraint, ast.Budget)):
        return "limits"
    return type(statement).__name__


def _options(writer: _Writer, head: str, options: list[ast.Option], depth: int, span) -> None:
    if not options:
        writer.emit(f"{head} {{}}", depth, span)
        writer.trailing(span)
        return
    inline = f"{head} {{ " + "; ".join(f"{o.name} = {expr_text(o.value)}" for o in options) + " }"
    if len(INDENT * depth + inline) <= LINE_WIDTH and not writer.has_comment_within(span):
        writer.emit(inline, depth, span)
        writer.trailing(span)
        return
    writer.emit(f"{head} {{", depth, span)
    for option in options:
        writer.emit(f"{option.name} = {expr_text(option.value)}", depth + 1, option.span)
        writer.trailing(option.span)
    if span is not None:
        writer.leading(span.end_line, depth + 1)
    writer.lines.append(INDENT * depth + "}")
    writer.trailing(span)


def _block(writer: _Writer, head: str, body: list, depth: int, span, close_span=None) -> None:
    writer.emit(f"{head} {{", depth, span)
    if span is not None:
        writer.trailing(ast_line_span(span))
    for statement in body:
        _statement(writer, statement, depth + 1)
    if close_span is not None:
        writer.leading(close_span, depth + 1)


def ast_line_span(span):
    """A span covering only the first line of `span` (for comments after a `{`)."""
    from ..diagnostics import Span

    return Span(span.line, span.column, span.line, span.column)


def _statement(writer: _Writer, s, depth: int) -> None:
    span = s.span
    if isinstance(s, ast.ArchonDecl):
        writer.emit(f"archon {escape(s.name)}", depth, span)
    elif isinstance(s, ast.Include):
        writer.emit(f"include {escape(s.path)}", depth, span)
    elif isinstance(s, ast.Defaults):
        _options(writer, "defaults", s.options, depth, span)
        return
    elif isinstance(s, ast.ModelDecl):
        head = f"model {s.name} = {escape(s.model_id)}"
        if s.options:
            _options(writer, head, s.options, depth, span)
            return
        writer.emit(head, depth, span)
    elif isinstance(s, ast.ProviderDecl):
        _options(writer, f"provider {escape(s.provider)}", s.options, depth, span)
        return
    elif isinstance(s, ast.PoolDecl):
        writer.emit(f"pool {s.name} = {expr_text(s.value)}", depth, span)
    elif isinstance(s, ast.ParamDecl):
        text = f"param {s.name}: {s.type}"
        if s.default is not None:
            text += f" = {expr_text(s.default)}"
        if s.domain is not None:
            text += f" in {domain_text(s.domain)}"
        if s.when is not None:
            text += f" when {expr_text(s.when)}"
        writer.emit(text, depth, span)
    elif isinstance(s, ast.Constraint):
        writer.emit(f"constraint {expr_text(s.expr)}", depth, span)
    elif isinstance(s, ast.Budget):
        writer.emit(f"budget {s.metric} {s.op} {expr_text(s.limit)}", depth, span)
    elif isinstance(s, ast.LayerDecl):
        _options(writer, f"layer {s.kind}", s.options, depth, span)
        return
    elif isinstance(s, ast.Repeat):
        if s.count is not None:  # `repeat N`
            head = f"repeat {expr_text(s.count)}"
        else:  # `repeat i in lo..hi`
            assert s.range is not None
            head = f"repeat {s.var} in {range_text(s.range)}"
        _block(writer, head, s.body, depth, span, span.end_line if span else None)
        writer.lines.append(INDENT * depth + "}")
    elif isinstance(s, ast.If):
        _if(writer, s, depth, "if")
        return
    else:
        raise TypeError(f"not a statement: {s!r}")
    writer.trailing(span)


def _if(writer: _Writer, s: ast.If, depth: int, keyword: str) -> None:
    span = s.span
    head = f"if {expr_text(s.condition)}"
    if keyword == "if":
        _block(writer, head, s.then, depth, span)
    else:
        # `} else if cond {` continues the line of the closing brace.
        writer.lines[-1] += f" {head} {{"
        for statement in s.then:
            _statement(writer, statement, depth + 1)
    otherwise = s.otherwise
    if otherwise is None:
        if span is not None:
            writer.leading(span.end_line, depth + 1)
        writer.lines.append(INDENT * depth + "}")
        writer.trailing(span)
        return
    writer.lines.append(INDENT * depth + "}")
    if len(otherwise) == 1 and isinstance(otherwise[0], ast.If):
        writer.lines[-1] += " else"
        _if(writer, otherwise[0], depth, "else if")
        return
    writer.lines[-1] += " else {"
    for statement in otherwise:
        _statement(writer, statement, depth + 1)
    if span is not None:
        writer.leading(span.end_line, depth + 1)
    writer.lines.append(INDENT * depth + "}")
    writer.trailing(span)
