"""Parameters: their types, domains and defaults, read from `param` declarations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..architecture import ModelSpec
from ..diagnostics import Diagnostic, Severity
from ..language import ast
from ..rules.undefined_name import UndefinedName
from ..rules.unknown_param_type import UnknownParamType
from ..rules.value_outside_domain import ValueOutsideDomain
from .evaluate import EvalError, evaluate, invalid, number
from .values import format_value, type_name

PARAM_TYPES = ("int", "float", "bool", "choice")
# Points sampled from a float range when a space must be enumerated.
FLOAT_GRID = 5
# Guards against a typo that would enumerate forever: `in 1..10000000000`.
MAX_DOMAIN = 100_000


@dataclass
class Param:
    """A search axis: name, type, default and domain."""

    name: str
    type: str
    default: Any
    values: list[Any] | None  # the finite domain, or None for a float range
    low: float | None = None
    high: float | None = None
    decl: ast.ParamDecl | None = field(default=None, repr=False)
    # The condition under which the parameter exists (None: always), and the earlier
    # parameters it reads; both set from the declaration by conditions.resolve_conditions.
    when: ast.Expr | None = field(default=None, repr=False)
    parents: tuple[str, ...] = ()

    def grid(self, points: int = FLOAT_GRID) -> list[Any]:
        """The values enumerated for this parameter (a float range gives a grid)."""
        if self.values is not None:
            return self.values
        if points == 1:
            return [self.default]
        assert self.low is not None and self.high is not None  # a float range has both bounds
        step = (self.high - self.low) / (points - 1)
        return [round(self.low + i * step, 10) for i in range(points)]

    def contains(self, value: Any) -> bool:
        if self.values is not None:
            return any(
                value == v
                and type_name(value) == type_name(v)
                or (self.type == "float" and isinstance(value, (int, float)) and value == v)
                for v in self.values
            )
        assert self.low is not None and self.high is not None  # a float range has both bounds
        return (
            isinstance(value, (int, float)) and not isinstance(value, bool) and self.low <= value <= self.high
        )

    def domain_text(self) -> str:
        if self.type == "bool":
            return "{false, true}"
        if self.values is None:
            return f"{self.low}..{self.high}"
        if (
            self.type == "int"
            and len(self.values) > 2
            and self.values == list(range(self.values[0], self.values[-1] + 1))
        ):
            return f"{self.values[0]}..{self.values[-1]}"
        return "{" + ", ".join(format_value(v) for v in self.values) + "}"

    def choice(self, text: str) -> Any:
        """A `-p fuser=gpt4o` string, matched against a choice domain of models or strings."""
        for value in self.values or []:
            if isinstance(value, ModelSpec) and text in (value.name, value.id):
                return value
            if value == text:
                return value
        return text


def param_from_decl(decl: ast.ParamDecl) -> Param:
    if decl.type not in PARAM_TYPES:
        from ..diagnostics import did_you_mean

        guess = did_you_mean(decl.type, PARAM_TYPES)
        raise EvalError.of(
            UnknownParamType,
            f"unknown parameter type '{decl.type}'",
            decl.type_span,
            f"did you mean '{guess}'?" if guess else f"types are {', '.join(PARAM_TYPES)}",
        )
    # Domains are literal: they may name models, never other params.
    scope: dict[str, Any] = {}
    values: list[Any] | None = None
    low = high = None
    if decl.type == "bool":
        if decl.domain is not None:
            raise invalid("a bool parameter takes no domain", decl.domain.span, "remove `in ...`")
        values = [False, True]
    elif decl.domain is None:
        raise invalid(
            f"parameter '{decl.name}' needs a domain",
            decl.span,
            "add `in 1..4` (a range) or `in {1, 2, 4}` (a set)",
        )
    elif isinstance(decl.domain, ast.Range):
        low = _literal(decl.domain.low)
        high = _literal(decl.domain.high)
        if decl.type == "int":
            for bound, part in ((low, decl.domain.low), (high, decl.domain.high)):
                if isinstance(bound, bool) or not isinstance(bound, int):
                    raise invalid("an int range needs int bounds", part.span)
            if low > high:
                raise invalid(f"empty range {low}..{high}", decl.domain.span, "write the smaller bound first")
            if high - low >= MAX_DOMAIN:
                raise invalid(
                    f"the range {low}..{high} has more than {MAX_DOMAIN:,} values",
                    decl.domain.span,
                    "search spaces are enumerated: use a set of representative values, e.g. {1, 10, 100}",
                )
            values = list(range(low, high + 1))
        elif decl.type == "float":
            low = float(number(low, decl.domain.low.span, "a float range"))
            high = float(number(high, decl.domain.high.span, "a float range"))
            if low > high:
                raise invalid(f"empty range {low}..{high}", decl.domain.span, "write the smaller bound first")
        else:
            raise invalid("a choice parameter takes a set: `in {a, b}`", decl.domain.span)
    else:
        values = []
        for item in decl.domain.values:
            if decl.type == "choice" and isinstance(item, ast.Name):
                values.append(item)  # resolved against models below
            else:
                values.append(_literal(item))
        if not values:
            raise invalid(f"parameter '{decl.name}' has an empty domain", decl.domain.span)
        for value, item in zip(values, decl.domain.values, strict=True):
            if decl.type == "int" and (isinstance(value, bool) or not isinstance(value, int)):
                raise invalid(f"an int parameter's set holds ints, not {type_name(value)}", item.span)
            if decl.type == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise invalid(f"a float parameter's set holds numbers, not {type_name(value)}", item.span)
        if decl.type == "float":
            values = [float(v) for v in values]
    del scope
    return Param(decl.name, decl.type, None, values, low, high, decl)


def _literal(expr: ast.Expr) -> Any:
    try:
        return evaluate(expr, {})
    except EvalError:
        raise invalid("a domain holds literal values only", expr.span) from None


def resolve_params(
    params: dict[str, Param], models: dict[str, ModelSpec], scope: dict[str, Any], path: str | None
) -> list[Diagnostic]:
    """Resolve model names in choice domains, then evaluate each default in `scope` and check it
    against its domain; the problems found, as diagnostics."""
    found: list[Diagnostic] = []
    for param in params.values():
        if param.values is not None:
            resolved = []
            for value in param.values:
                if isinstance(value, ast.Name):
                    model = models.get(value.id)
                    if model is None:
                        found.append(
                            EvalError.of(
                                UndefinedName,
                                f"'{value.id}' is not a declared model",
                                value.span,
                            ).diagnostic(path)
                        )
                        continue
                    resolved.append(model)
                else:
                    resolved.append(value)
            param.values = resolved
        decl = param.decl
        if decl is None:
            continue
        if decl.default is None:
            param.default = param.values[0] if param.values else param.low
            continue
        try:
            default = evaluate(decl.default, dict(scope))
        except EvalError as e:
            found.append(e.diagnostic(path))
            param.default = param.values[0] if param.values else param.low
            continue
        if param.type == "float" and isinstance(default, int) and not isinstance(default, bool):
            default = float(default)
        if not param.contains(default):
            found.append(
                Diagnostic(
                    ValueOutsideDomain.code,
                    ValueOutsideDomain.name,
                    Severity.ERROR,
                    f"default {format_value(default)} of '{param.name}' is outside its domain {param.domain_text()}",
                    decl.default.span,
                    path,
                    "change the default or widen the domain",
                )
            )
            default = param.values[0] if param.values else param.low
        param.default = default
    return found
