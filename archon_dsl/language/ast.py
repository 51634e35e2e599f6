"""Typed syntax-tree nodes of an .arch file; spans never take part in equality."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from ..diagnostics import Span


def _span() -> Span | None:
    return field(default=None, compare=False, repr=False)


# Field annotations that never hold a node: read once per class, never walked.
_LEAF_ANNOTATIONS = frozenset({"str", "int", "float", "bool", "str | None", "Span | None"})
# How a field holds its children, from its annotation: one node (or None), a list of
# nodes (or None), or a list of (operator, node) pairs.
_ONE, _LIST, _PAIRS = 0, 1, 2


def _child_fields(cls: type) -> tuple[tuple[str, int], ...]:
    out = []
    for f in fields(cls):
        annotation = str(f.type)
        if not f.compare or annotation in _LEAF_ANNOTATIONS:
            continue
        how = (
            _PAIRS
            if annotation.startswith("list[tuple[")
            else _LIST
            if annotation.startswith("list[")
            else _ONE
        )
        out.append((f.name, how))
    return tuple(out)


class Node:
    """A syntax-tree node: its children are the nodes in its dataclass fields, in field order."""

    __slots__ = ()
    # Per concrete class, (field name, how it holds nodes) for the fields that can (filled on first use).
    _child_fields: ClassVar[dict[type, tuple[tuple[str, int], ...]]] = {}

    def children(self) -> list[Node]:
        """The nodes directly held by this one, in field (source) order; lists and pairs are flattened."""
        layout = Node._child_fields.get(type(self))
        if layout is None:
            layout = Node._child_fields[type(self)] = _child_fields(type(self))
        out: list[Node] = []
        for name, how in layout:
            value = getattr(self, name)
            if value is None:
                continue
            if how == _ONE:
                out.append(value)
            elif how == _LIST:
                out.extend(value)
            else:
                for pair in value:
                    out.extend(x for x in pair if isinstance(x, Node))
        return out

    def walk(self, prune: Callable[[Node], bool] | None = None) -> Iterator[Node]:
        """This node and every node below it, depth first in source order (sqlglot's `Expression.walk`).

        `prune(node)` true keeps the walk out of that node's children (the node itself is still yielded).
        """
        stack: list[Node] = [self]
        pop, extend = stack.pop, stack.extend
        while stack:
            node = pop()
            yield node
            if prune is None or not prune(node):
                children = node.children()
                children.reverse()
                extend(children)


class Visitor:
    """Dispatches `visit(node, *args)` to `visit_<NodeClass>(node, *args)`, else to `generic_visit`.

    The method for each node class is looked up once per visitor class. The
    default `generic_visit` visits the children in order and returns None;
    a visitor that computes values (an evaluator, a printer) defines a method
    for every node class it accepts and lets `generic_visit` refuse the rest.
    """

    _methods: ClassVar[dict[type, Callable[..., Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._methods = {}

    def visit(self, node: Node, *args: Any) -> Any:
        try:
            method = self._methods[type(node)]
        except KeyError:
            method = self._methods[type(node)] = getattr(
                type(self), f"visit_{type(node).__name__}", type(self).generic_visit
            )
        return method(self, node, *args)

    def generic_visit(self, node: Node, *args: Any) -> Any:
        visit = self.visit
        for child in node.children():
            visit(child, *args)
        return None


# ---------------------------------------------------------------------------
# Expressions
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class Int(Node):
    value: int
    span: Span | None = _span()


@dataclass(slots=True)
class Float(Node):
    value: float
    span: Span | None = _span()


@dataclass(slots=True)
class Str(Node):
    value: str
    span: Span | None = _span()


@dataclass(slots=True)
class Bool(Node):
    value: bool
    span: Span | None = _span()


@dataclass(slots=True)
class Name(Node):
    id: str
    span: Span | None = _span()


@dataclass(slots=True)
class Call(Node):
    func: str
    args: list[Expr]
    span: Span | None = _span()


@dataclass(slots=True)
class ListExpr(Node):
    items: list[Expr]
    span: Span | None = _span()


@dataclass(slots=True)
class Index(Node):
    target: Expr
    index: Expr
    span: Span | None = _span()


@dataclass(slots=True)
class Slice(Node):
    target: Expr
    start: Expr | None
    stop: Expr | None
    span: Span | None = _span()


@dataclass(slots=True)
class Unary(Node):
    op: str  # "-" or "not"
    operand: Expr
    span: Span | None = _span()


@dataclass(slots=True)
class Binary(Node):
    op: str  # + - * // %
    left: Expr
    right: Expr
    span: Span | None = _span()


@dataclass(slots=True)
class Compare(Node):
    """`a < b <= c`: a chain, true when every adjacent pair holds."""

    first: Expr
    rest: list[tuple[str, Expr]]
    span: Span | None = _span()


@dataclass(slots=True)
class BoolOp(Node):
    op: str  # "and" or "or"
    values: list[Expr]
    span: Span | None = _span()


Expr = Int | Float | Str | Bool | Name | Call | ListExpr | Index | Slice | Unary | Binary | Compare | BoolOp


# ---------------------------------------------------------------------------
# Declarations
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class Option(Node):
    name: str
    value: Expr
    span: Span | None = _span()


@dataclass(slots=True)
class Range(Node):
    low: Expr
    high: Expr
    span: Span | None = _span()


@dataclass(slots=True)
class SetDomain(Node):
    values: list[Expr]
    span: Span | None = _span()


Domain = Range | SetDomain


@dataclass(slots=True)
class ArchonDecl(Node):
    name: str
    span: Span | None = _span()


@dataclass(slots=True)
class Include(Node):
    path: str
    span: Span | None = _span()


@dataclass(slots=True)
class Defaults(Node):
    options: list[Option]
    span: Span | None = _span()


@dataclass(slots=True)
class ModelDecl(Node):
    name: str
    model_id: str
    options: list[Option]
    span: Span | None = _span()
    name_span: Span | None = _span()


@dataclass(slots=True)
class ProviderDecl(Node):
    provider: str
    options: list[Option]
    span: Span | None = _span()


@dataclass(slots=True)
class PoolDecl(Node):
    name: str
    value: Expr
    span: Span | None = _span()
    name_span: Span | None = _span()


@dataclass(slots=True)
class ParamDecl(Node):
    name: str
    type: str  # int | float | bool | choice
    default: Expr | None
    domain: Domain | None
    when: Expr | None = None  # the condition under which the parameter exists; None: always
    span: Span | None = _span()
    name_span: Span | None = _span()
    type_span: Span | None = _span()


@dataclass(slots=True)
class Constraint(Node):
    expr: Expr
    span: Span | None = _span()


@dataclass(slots=True)
class Budget(Node):
    metric: str  # calls | cost | depth | tokens
    op: str  # <= or <
    limit: Expr
    span: Span | None = _span()


@dataclass(slots=True)
class LayerDecl(Node):
    kind: str
    options: list[Option]
    span: Span | None = _span()
    kind_span: Span | None = _span()


@dataclass(slots=True)
class Repeat(Node):
    """`repeat N { ... }` (var is None) or `repeat i in lo..hi { ... }`."""

    count: Expr | None
    var: str | None
    range: Range | None
    body: list[Body]
    span: Span | None = _span()


@dataclass(slots=True)
class If(Node):
    condition: Expr
    then: list[Body]
    otherwise: list[Body] | None
    span: Span | None = _span()


Body = LayerDecl | Repeat | If
Statement = (
    ArchonDecl
    | Include
    | Defaults
    | ModelDecl
    | ProviderDecl
    | PoolDecl
    | ParamDecl
    | Constraint
    | Budget
    | LayerDecl
    | Repeat
    | If
)


@dataclass(slots=True)
class Comment:
    """A `#` comment, kept so that `fmt` never drops one."""

    text: str
    line: int
    column: int
    own_line: bool
    blank_before: bool = False  # a blank line separates it from what precedes it

    @classmethod
    def at(cls, text: str, offset: int, end: int, line: int, column: int) -> Comment:
        """The comment token `text[offset:end]`, found at (line, column) of `text`."""
        line_start = offset - column + 1
        own_line = not text[line_start:offset].strip()
        blank_before = False
        if own_line and line > 2:
            # A blank line separates it from what precedes it.
            previous_end = line_start - 1
            previous_start = text.rfind("\n", 0, previous_end) + 1
            blank_before = not text[previous_start:previous_end].strip()
        return cls(text[offset:end].rstrip(), line, column, own_line, blank_before)


@dataclass(slots=True)
class Module(Node):
    """A whole parsed file."""

    statements: list[Statement]
    path: str = field(default="<string>", compare=False)
    comments: list[Comment] = field(default_factory=list, compare=False, repr=False)
    # Declarations spliced in from `include`d files: visible to expressions, not printed.
    included: list[Statement] = field(default_factory=list, compare=False, repr=False)

    @property
    def name(self) -> str | None:
        return next((s.name for s in self.statements if isinstance(s, ArchonDecl)), None)

    def of_type(self, kind: type) -> list:
        """Statements of one type, included declarations first."""
        return [s for s in self.included if isinstance(s, kind)] + [
            s for s in self.statements if isinstance(s, kind)
        ]
