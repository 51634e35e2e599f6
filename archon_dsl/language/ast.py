"""Typed syntax-tree nodes of an .arch file; spans never take part in equality."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ..diagnostics import Span


def _span() -> Span | None:
    return field(default=None, compare=False, repr=False)


# ---------------------------------------------------------------------------
# Expressions
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class Int:
    value: int
    span: Span | None = _span()


@dataclass(slots=True)
class Float:
    value: float
    span: Span | None = _span()


@dataclass(slots=True)
class Str:
    value: str
    span: Span | None = _span()


@dataclass(slots=True)
class Bool:
    value: bool
    span: Span | None = _span()


@dataclass(slots=True)
class Name:
    id: str
    span: Span | None = _span()


@dataclass(slots=True)
class Call:
    func: str
    args: list[Expr]
    span: Span | None = _span()


@dataclass(slots=True)
class ListExpr:
    items: list[Expr]
    span: Span | None = _span()


@dataclass(slots=True)
class Index:
    target: Expr
    index: Expr
    span: Span | None = _span()


@dataclass(slots=True)
class Slice:
    target: Expr
    start: Expr | None
    stop: Expr | None
    span: Span | None = _span()


@dataclass(slots=True)
class Unary:
    op: str  # "-" or "not"
    operand: Expr
    span: Span | None = _span()


@dataclass(slots=True)
class Binary:
    op: str  # + - * // %
    left: Expr
    right: Expr
    span: Span | None = _span()


@dataclass(slots=True)
class Compare:
    """`a < b <= c`: a chain, true when every adjacent pair holds."""

    first: Expr
    rest: list[tuple[str, Expr]]
    span: Span | None = _span()


@dataclass(slots=True)
class BoolOp:
    op: str  # "and" or "or"
    values: list[Expr]
    span: Span | None = _span()


Expr = Union[Int, Float, Str, Bool, Name, Call, ListExpr, Index, Slice, Unary, Binary, Compare, BoolOp]


# ---------------------------------------------------------------------------
# Declarations
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class Option:
    name: str
    value: Expr
    span: Span | None = _span()


@dataclass(slots=True)
class Range:
    low: Expr
    high: Expr
    span: Span | None = _span()


@dataclass(slots=True)
class SetDomain:
    values: list[Expr]
    span: Span | None = _span()


Domain = Union[Range, SetDomain]


@dataclass(slots=True)
class ArchonDecl:
    name: str
    span: Span | None = _span()


@dataclass(slots=True)
class Include:
    path: str
    span: Span | None = _span()


@dataclass(slots=True)
class Defaults:
    options: list[Option]
    span: Span | None = _span()


@dataclass(slots=True)
class ModelDecl:
    name: str
    model_id: str
    options: list[Option]
    span: Span | None = _span()
    name_span: Span | None = _span()


@dataclass(slots=True)
class ProviderDecl:
    provider: str
    options: list[Option]
    span: Span | None = _span()


@dataclass(slots=True)
class PoolDecl:
    name: str
    value: Expr
    span: Span | None = _span()
    name_span: Span | None = _span()


@dataclass(slots=True)
class ParamDecl:
    name: str
    type: str  # int | float | bool | choice
    default: Expr | None
    domain: Domain | None
    span: Span | None = _span()
    name_span: Span | None = _span()
    type_span: Span | None = _span()


@dataclass(slots=True)
class Constraint:
    expr: Expr
    span: Span | None = _span()


@dataclass(slots=True)
class Budget:
    metric: str  # calls | cost | depth | tokens
    op: str  # <= or <
    limit: Expr
    span: Span | None = _span()


@dataclass(slots=True)
class LayerDecl:
    kind: str
    options: list[Option]
    span: Span | None = _span()
    kind_span: Span | None = _span()


@dataclass(slots=True)
class Repeat:
    """`repeat N { ... }` (var is None) or `repeat i in lo..hi { ... }`."""

    count: Expr | None
    var: str | None
    range: Range | None
    body: list[Body]
    span: Span | None = _span()


@dataclass(slots=True)
class If:
    condition: Expr
    then: list[Body]
    otherwise: list[Body] | None
    span: Span | None = _span()


Body = Union[LayerDecl, Repeat, If]
Statement = Union[
    ArchonDecl, Include, Defaults, ModelDecl, ProviderDecl, PoolDecl, ParamDecl, Constraint, Budget,
    LayerDecl, Repeat, If,
]


@dataclass(slots=True)
class Comment:
    """A `#` comment, kept so that `fmt` never drops one."""

    text: str
    line: int
    column: int
    own_line: bool
    blank_before: bool = False  # a blank line separates it from what precedes it


@dataclass(slots=True)
class Module:
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
        return [s for s in self.included if isinstance(s, kind)] + [s for s in self.statements if isinstance(s, kind)]
