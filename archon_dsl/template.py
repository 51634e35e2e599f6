"""Templates: parameters and domains, safe expression evaluation, instantiate, the space."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .architecture import (
    BUDGET_METRICS,
    DEFAULT_OPTIONS,
    MODEL_OPTIONS,
    PROVIDER_OPTIONS,
    REWARD_MODELS,
    TRANSPORTS,
    Architecture,
    Budget,
    Defaults,
    EnvVar,
    Layer,
    ModelSpec,
    ProviderLimits,
)
from .codes.files import BAD_ASSIGNMENT
from .diagnostics import ArchonError, Diagnostic, Severity, Span
from .kinds import is_kind, kind_names, kind_spec
from .language import ast
from .rules.base import Rule
from .rules.invalid_value import InvalidValue
from .rules.pool_out_of_range import PoolOutOfRange
from .rules.undefined_name import UndefinedName
from .rules.unknown_kind import UnknownKind
from .rules.unknown_param_type import UnknownParamType
from .rules.value_outside_domain import ValueOutsideDomain

PARAM_TYPES = ("int", "float", "bool", "choice")
# Points sampled from a float range when a space must be enumerated.
FLOAT_GRID = 5
FUNCTIONS = ("min", "max", "len", "env")
# Guards against a typo that would expand forever: `repeat 10000000 { ... }`, `in 1..10000000000`.
MAX_LAYERS = 200_000
MAX_DOMAIN = 100_000


class EvalError(Exception):
    """An expression that cannot be evaluated, with where and why."""

    def __init__(self, code: str, name: str, message: str, span: Span | None, hint: str | None = None):
        super().__init__(message)
        self.code, self.name, self.message, self.span, self.hint = code, name, message, span, hint

    def diagnostic(self, path: str | None) -> Diagnostic:
        return Diagnostic(self.code, self.name, Severity.ERROR, self.message, self.span, path, self.hint)

    @classmethod
    def of(cls, rule: type[Rule], message: str, span: Span | None, hint: str | None = None) -> EvalError:
        """A finding of `rule`, raised where the evaluation has to stop."""
        return cls(rule.code, rule.name, message, span, hint)


def _invalid(message: str, span: Span | None, hint: str | None = None) -> EvalError:
    return EvalError.of(InvalidValue, message, span, hint)


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, ModelSpec):
        return "model"
    if isinstance(value, list):
        return "list"
    if isinstance(value, EnvVar):
        return "env"
    return type(value).__name__


def _number(value: Any, span: Span | None, what: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _invalid(f"{what} needs a number, got {type_name(value)}", span)
    return value


# ---------------------------------------------------------------------------
# Expression evaluation: a closed set of operations over plain values.
# ---------------------------------------------------------------------------


class _Evaluator(ast.Visitor):
    """The value of each kind of expression node; names are read from `scope`."""

    def visit_Int(self, expr: ast.Int | ast.Float | ast.Str | ast.Bool, scope: dict[str, Any]) -> Any:
        return expr.value

    visit_Float = visit_Str = visit_Bool = visit_Int

    def visit_Name(self, expr: ast.Name, scope: dict[str, Any]) -> Any:
        try:
            return scope[expr.id]
        except KeyError:
            raise EvalError.of(UndefinedName, f"'{expr.id}' is not defined", expr.span) from None

    def visit_ListExpr(self, expr: ast.ListExpr, scope: dict[str, Any]) -> list:
        return [self.visit(item, scope) for item in expr.items]

    def visit_Binary(self, expr: ast.Binary, scope: dict[str, Any]) -> Any:
        left, right = self.visit(expr.left, scope), self.visit(expr.right, scope)
        return _binary(expr.op, left, right, expr.span)

    def visit_Unary(self, expr: ast.Unary, scope: dict[str, Any]) -> Any:
        value = self.visit(expr.operand, scope)
        if expr.op == "not":
            return not _truth(value, expr.operand.span)
        return -_number(value, expr.span, "'-'")

    def visit_Compare(self, expr: ast.Compare, scope: dict[str, Any]) -> bool:
        left = self.visit(expr.first, scope)
        for op, operand in expr.rest:
            right = self.visit(operand, scope)
            if not _compare(op, left, right, expr.span):
                return False
            left = right
        return True

    def visit_BoolOp(self, expr: ast.BoolOp, scope: dict[str, Any]) -> bool:
        if expr.op == "and":
            return all(_truth(self.visit(v, scope), v.span) for v in expr.values)
        return any(_truth(self.visit(v, scope), v.span) for v in expr.values)

    def visit_Index(self, expr: ast.Index, scope: dict[str, Any]) -> Any:
        if isinstance(expr.target, ast.ListExpr):
            # `[f1, f2, f3][i]` reads only the item it picks: a space check relies
            # on knowing which parameters an architecture depends on.
            index = self.visit(expr.index, scope)
            items = expr.target.items
            if isinstance(index, int) and not isinstance(index, bool) and -len(items) <= index < len(items):
                return self.visit(items[index], scope)
            return _index([None] * len(items), index, expr)
        return _index(self.visit(expr.target, scope), self.visit(expr.index, scope), expr)

    def visit_Slice(self, expr: ast.Slice, scope: dict[str, Any]) -> list:
        return _slice(expr, scope)

    def visit_Call(self, expr: ast.Call, scope: dict[str, Any]) -> Any:
        return _call(expr, scope)

    def generic_visit(self, expr: ast.Node, scope: dict[str, Any]) -> Any:
        raise TypeError(f"not an expression: {expr!r}")


_EVALUATOR = _Evaluator()


def evaluate(expr: ast.Expr, scope: dict[str, Any]) -> Any:
    """Value of `expr` where names come from `scope`; raises EvalError."""
    return _EVALUATOR.visit(expr, scope)


def _truth(value: Any, span: Span | None) -> bool:
    if not isinstance(value, bool):
        raise _invalid(f"expected true or false, got {type_name(value)}", span)
    return value


def _binary(op: str, left: Any, right: Any, span: Span | None) -> Any:
    if op == "+" and isinstance(left, list) and isinstance(right, list):
        return left + right
    if op == "+" and isinstance(left, str) and isinstance(right, str):
        return left + right
    a = _number(left, span, f"'{op}'")
    b = _number(right, span, f"'{op}'")
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise _invalid(f"division by zero in '{op}'", span)
    if op == "//":
        return a // b
    return a % b


def _compare(op: str, left: Any, right: Any, span: Span | None) -> bool:
    if op in ("==", "!="):
        equal = (
            left == right
            and type_name(left) == type_name(right)
            or (
                isinstance(left, (int, float))
                and isinstance(right, (int, float))
                and not isinstance(left, bool)
                and not isinstance(right, bool)
                and left == right
            )
        )
        return equal if op == "==" else not equal
    _number(left, span, f"'{op}'")
    _number(right, span, f"'{op}'")
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def _index(target: Any, index: Any, expr: ast.Index) -> Any:
    if not isinstance(target, (list, str)):
        raise _invalid(f"cannot index a {type_name(target)}", expr.span)
    if isinstance(index, bool) or not isinstance(index, int):
        raise _invalid(f"an index must be an int, got {type_name(index)}", expr.index.span)
    if not -len(target) <= index < len(target):
        raise EvalError.of(
            PoolOutOfRange,
            f"index {index} is out of range for {_describe(expr.target)} of {len(target)} item(s)",
            expr.span,
            f"use an index from 0 to {len(target) - 1}, or bound the parameter's domain",
        )
    return target[index]


def _slice(expr: ast.Slice, scope: dict[str, Any]) -> list:
    target = evaluate(expr.target, scope)
    if not isinstance(target, list):
        raise _invalid(f"cannot slice a {type_name(target)}", expr.span)
    bounds = []
    for part in (expr.start, expr.stop):
        if part is None:
            bounds.append(None)
            continue
        value = evaluate(part, scope)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _invalid(f"a slice bound must be an int, got {type_name(value)}", part.span)
        bounds.append(value)
    start, stop = bounds
    # A slice that asks for more than the pool holds is a mistake, not a silent truncation.
    for value in (start, stop):
        if value is not None and value > len(target):
            raise EvalError.of(
                PoolOutOfRange,
                f"slice [{'' if start is None else start}:{'' if stop is None else stop}] overruns "
                f"{_describe(expr.target)}, which holds {len(target)} item(s)",
                expr.span,
                "add models to the pool, or bound the parameter so the slice fits",
            )
        if value is not None and value < 0:
            raise EvalError.of(PoolOutOfRange, f"slice bound {value} is negative", expr.span)
    result = target[start:stop]
    if not result:
        raise EvalError.of(
            PoolOutOfRange,
            f"slice of {_describe(expr.target)} is empty",
            expr.span,
            "a layer needs at least one model",
        )
    return result


def _describe(expr: ast.Expr) -> str:
    return f"'{expr.id}'" if isinstance(expr, ast.Name) else "the list"


def _call(expr: ast.Call, scope: dict[str, Any]) -> Any:
    func = expr.func
    if func not in FUNCTIONS:
        from .diagnostics import did_you_mean

        guess = did_you_mean(func, FUNCTIONS)
        raise _invalid(
            f"unknown function '{func}'",
            expr.span,
            f"did you mean '{guess}'?" if guess else f"functions are {', '.join(FUNCTIONS)}",
        )
    args = [evaluate(a, scope) for a in expr.args]
    if func == "env":
        if not 1 <= len(args) <= 2 or not all(isinstance(a, str) for a in args):
            raise _invalid(
                'env takes a variable name and an optional default: env("NAME", "default")', expr.span
            )
        return EnvVar(env=args[0], default=args[1] if len(args) > 1 else None)
    if func == "len":
        if len(args) != 1 or not isinstance(args[0], (list, str)):
            raise _invalid("len takes one list or pool", expr.span)
        return len(args[0])
    values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    if not values:
        raise _invalid(f"{func} needs at least one value", expr.span)
    for v in values:
        _number(v, expr.span, func)
    return min(values) if func == "min" else max(values)


# ---------------------------------------------------------------------------
# Parameters and their domains
# ---------------------------------------------------------------------------


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

    def grid(self, points: int = FLOAT_GRID) -> list[Any]:
        """The values enumerated for this parameter (a float range gives a grid)."""
        if self.values is not None:
            return self.values
        if points == 1:
            return [self.default]
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


def format_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, ModelSpec):
        return value.name
    if isinstance(value, str):
        from .language.printer import escape

        return escape(value)
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return repr(value) if isinstance(value, float) else str(value)


def describe_assignment(assignment: dict[str, Any]) -> str:
    return ", ".join(f"{k}={format_value(v)}" for k, v in assignment.items())


# ---------------------------------------------------------------------------
# The template
# ---------------------------------------------------------------------------


class TemplateError(ArchonError):
    """The template's declarations are broken (before any parameter is chosen)."""


class InstantiateError(ArchonError):
    """A parameter assignment that does not give an architecture."""


class Template:
    """A parsed .arch file: declarations evaluated, layers and constraints kept as AST."""

    def __init__(self, module: ast.Module):
        self.module = module
        self.path = module.path
        self.name = module.name or _stem(module.path)
        self.diagnostics: list[Diagnostic] = []  # problems found in the declarations
        self.models: dict[str, ModelSpec] = {}
        self.params: dict[str, Param] = {}
        self.pool_decls: list[ast.PoolDecl] = module.of_type(ast.PoolDecl)
        self.constraints: list[ast.Constraint] = module.of_type(ast.Constraint)
        self.budget_decls: list[ast.Budget] = module.of_type(ast.Budget)
        self.body: list[ast.Body] = [
            s for s in module.statements if isinstance(s, (ast.LayerDecl, ast.Repeat, ast.If))
        ]
        self.providers: dict[str, ProviderLimits] = {}
        self.defaults = Defaults.model_construct()
        self._static_scope: dict[str, Any] = {}
        self._build()

    # -- declarations ---------------------------------------------------------
    def _report(self, error: EvalError) -> None:
        self.diagnostics.append(error.diagnostic(self.path))

    def _build(self) -> None:
        scope: dict[str, Any] = {}
        decls = self.module.of_type(ast.ModelDecl)
        # Two passes, so `fallbacks` may name a model declared further down.
        for decl in decls:
            try:
                self.models[decl.name] = _model_from_decl(decl, scope, with_fallbacks=False)
            except EvalError as e:
                self._report(e)
                self.models[decl.name] = ModelSpec(name=decl.name, id=decl.model_id)
            scope[decl.name] = self.models[decl.name]
        for decl in decls:
            if any(o.name == "fallbacks" for o in decl.options):
                try:
                    self.models[decl.name] = _model_from_decl(decl, scope)
                except EvalError as e:
                    self._report(e)
                scope[decl.name] = self.models[decl.name]
        for decl in self.module.of_type(ast.ParamDecl):
            try:
                self.params[decl.name] = _param_from_decl(decl)
            except EvalError as e:
                self._report(e)
        for decl in self.module.of_type(ast.ProviderDecl):
            try:
                values = _options(decl.options, scope, PROVIDER_OPTIONS, "provider")
                self.providers[decl.provider] = _validated(
                    ProviderLimits, values, decl, f'provider "{decl.provider}"'
                )
            except EvalError as e:
                self._report(e)
        for decl in self.module.of_type(ast.Defaults):
            try:
                values = _options(decl.options, scope, DEFAULT_OPTIONS, "defaults")
                self.defaults = _validated(
                    Defaults, {**self.defaults.model_dump(), **values}, decl, "defaults"
                )
            except EvalError as e:
                self._report(e)
        self._static_scope = scope

    def default_assignment(self) -> dict[str, Any]:
        return {name: p.default for name, p in self.params.items()}

    def scope(self, assignment: dict[str, Any], reads: set[str] | None = None) -> dict[str, Any]:
        """Names visible to expressions for one assignment: models, params, pools.

        With `reads`, the names of the parameters that evaluation reads are added to it.
        """
        scope = (
            dict(self._static_scope)
            if reads is None
            else _ReadTracking(self._static_scope, self.params, reads)
        )
        scope.update(assignment)
        for decl in self.pool_decls:
            value = evaluate(decl.value, scope)
            if not isinstance(value, list):
                value = [value]
            scope[decl.name] = [_as_model(v, decl.value.span) for v in value]
        return scope

    def space_models(self) -> list[ModelSpec]:
        """Every model the space's configurations may call, once each by name: declared ones, model
        choices of params, the pools at the defaults, and models written inline at the defaults."""
        models: dict[str, ModelSpec] = dict(self.models)
        for param in self.params.values():
            for value in param.values or []:
                if isinstance(value, ModelSpec):
                    models[value.name] = value
        try:
            scope = self.scope(self.default_assignment())
            for decl in self.pool_decls:
                for model in scope.get(decl.name, []):
                    models.setdefault(model.name, model)
            for layer in self.instantiate().layers:
                for model in layer.models:
                    models.setdefault(model.name, model)
        except (
            ArchonError,
            EvalError,
        ):  # defaults the checks reject: their declared models are listed already
            pass
        return list(models.values())

    def complete(self, assignment: dict[str, Any] | None) -> dict[str, Any]:
        """`assignment` with defaults filled in and every value checked against its domain."""
        full = self.default_assignment()
        for name, value in (assignment or {}).items():
            param = self.params.get(name)
            if param is None:
                from .diagnostics import did_you_mean

                guess = did_you_mean(name, self.params)
                raise InstantiateError(
                    [
                        Diagnostic(
                            UndefinedName.code,
                            UndefinedName.name,
                            Severity.ERROR,
                            f"no parameter named '{name}'",
                            None,
                            self.path,
                            f"did you mean '{guess}'?"
                            if guess
                            else f"parameters: {', '.join(self.params) or 'none'}",
                        )
                    ]
                )
            if param.type == "choice" and isinstance(value, str):
                value = _choice_value(param, value)
            if param.type == "float" and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not param.contains(value):
                raise InstantiateError(
                    [
                        Diagnostic(
                            ValueOutsideDomain.code,
                            ValueOutsideDomain.name,
                            Severity.ERROR,
                            f"{name}={format_value(value)} is outside its domain {param.domain_text()}",
                            param.decl.span if param.decl else None,
                            self.path,
                        )
                    ]
                )
            full[name] = value
        return full

    # -- instantiate ------------------------------------------------------------
    def constraint_results(self, assignment: dict[str, Any]) -> list[bool]:
        """Whether each constraint holds at `assignment`, in declaration order; raises EvalError."""
        scope = dict(self._static_scope)
        scope.update(assignment)
        return [_truth(evaluate(c.expr, scope), c.expr.span) for c in self.constraints]

    def constraints_hold(self, assignment: dict[str, Any]) -> bool:
        scope = dict(self._static_scope)
        scope.update(assignment)
        return all(_truth(evaluate(c.expr, scope), c.expr.span) for c in self.constraints)

    def instantiate(
        self, assignment: dict[str, Any] | None = None, *, reads: set[str] | None = None
    ) -> Architecture:
        """The concrete architecture for `assignment` (missing params take their defaults).

        With `reads`, the parameters the instantiation actually read are added to it: points
        that agree on those give the same architecture (a space check uses this to skip work).
        """
        full = self.complete(assignment)
        try:
            scope = self.scope(full, reads)
            layers: list[Layer] = []
            self._expand(self.body, scope, layers)
            budgets = [
                Budget.model_construct(
                    metric=b.metric,
                    op=b.op,
                    limit=float(_number(evaluate(b.limit, scope), b.limit.span, "budget")),
                    span=b.span,
                )
                for b in self.budget_decls
                if b.metric in BUDGET_METRICS and b.op in ("<=", "<")
            ]
        except EvalError as e:
            raise InstantiateError([e.diagnostic(self.path)]) from None
        # Every value was checked while evaluating: construct without validating again.
        return Architecture.model_construct(
            name=self.name,
            layers=layers,
            defaults=self.defaults,
            budgets=budgets,
            providers=self.providers,
            assignment=full,
            path=self.path,
        )

    def _expand(self, body: list[ast.Body], scope: dict[str, Any], out: list[Layer]) -> None:
        for statement in body:
            if len(out) > MAX_LAYERS:
                raise _invalid(
                    f"the architecture expands to more than {MAX_LAYERS:,} layers",
                    statement.span,
                    "check the counts of `repeat`",
                )
            if isinstance(statement, ast.LayerDecl):
                out.append(_layer(statement, scope))
            elif isinstance(statement, ast.Repeat):
                if statement.var is None:
                    count = evaluate(statement.count, scope)
                    if isinstance(count, bool) or not isinstance(count, int):
                        raise _invalid(
                            f"repeat needs an int count, got {type_name(count)}", statement.count.span
                        )
                    for _ in range(max(count, 0)):
                        self._expand(statement.body, scope, out)
                else:
                    low = evaluate(statement.range.low, scope)
                    high = evaluate(statement.range.high, scope)
                    for bound, part in ((low, statement.range.low), (high, statement.range.high)):
                        if isinstance(bound, bool) or not isinstance(bound, int):
                            raise _invalid(
                                f"a repeat range needs int bounds, got {type_name(bound)}", part.span
                            )
                    outer = scope.get(statement.var, _MISSING)
                    for i in range(low, high + 1):
                        scope[statement.var] = i
                        self._expand(statement.body, scope, out)
                    if outer is _MISSING:
                        scope.pop(statement.var, None)
                    else:
                        scope[statement.var] = outer
            elif isinstance(statement, ast.If):
                if _truth(evaluate(statement.condition, scope), statement.condition.span):
                    self._expand(statement.then, scope, out)
                elif statement.otherwise is not None:
                    self._expand(statement.otherwise, scope, out)

    # -- the space ----------------------------------------------------------------
    def raw_size(self, float_points: int = FLOAT_GRID) -> int:
        return math.prod(len(p.grid(float_points)) for p in self.params.values()) if self.params else 1

    def points(self, float_points: int = FLOAT_GRID) -> Iterator[dict[str, Any]]:
        """Every assignment of the (gridded) space, in lexicographic order."""
        names = list(self.params)
        grids = [self.params[n].grid(float_points) for n in names]
        for combo in itertools.product(*grids):
            yield dict(zip(names, combo))

    def sample(self, n: int, seed: int = 0, float_points: int = FLOAT_GRID) -> list[dict[str, Any]]:
        """`n` distinct assignments drawn uniformly (all of them when the space is smaller)."""
        size = self.raw_size(float_points)
        if size <= n:
            return list(self.points(float_points))
        rng = random.Random(seed)
        names = list(self.params)
        grids = [self.params[name].grid(float_points) for name in names]
        chosen: dict[tuple, dict] = {}
        while len(chosen) < n:
            combo = tuple(rng.randrange(len(g)) for g in grids)
            if combo not in chosen:
                chosen[combo] = {name: grids[i][k] for i, (name, k) in enumerate(zip(names, combo))}
        return list(chosen.values())


_MISSING = object()


class _ReadTracking(dict):
    """A scope that records which parameters an evaluation reads."""

    def __init__(self, base: dict[str, Any], params: dict[str, Param], reads: set[str]):
        super().__init__(base)
        self._params = params
        self._reads = reads

    def __getitem__(self, name: str) -> Any:
        if name in self._params:
            self._reads.add(name)
        return super().__getitem__(name)


def _stem(path: str) -> str:
    import os

    return os.path.splitext(os.path.basename(path))[0] if path and not path.startswith("<") else "archon"


def _choice_value(param: Param, text: str) -> Any:
    """A `-p fuser=gpt4o` string, matched against a choice domain of models or strings."""
    for value in param.values or []:
        if isinstance(value, ModelSpec) and text in (value.name, value.id):
            return value
        if value == text:
            return value
    return text


def _as_model(value: Any, span: Span | None) -> ModelSpec:
    if isinstance(value, ModelSpec):
        return value
    if isinstance(value, str):
        return ModelSpec.model_construct(name=value, id=value)
    raise _invalid(
        f'expected a model (a declared name or a "provider/model" string), got {type_name(value)}', span
    )


def _options(
    options: list[ast.Option], scope: dict[str, Any], allowed: frozenset[str], where: str
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for option in options:
        if option.name not in allowed:
            continue  # reported by the unknown-option rule
        values[option.name] = evaluate(option.value, scope)
    return values


# The type each model option must have (ints are accepted where floats are).
_MODEL_OPTION_TYPES: dict[str, tuple[str, tuple[type, ...]]] = {
    "temperature": ("a number", (int, float)),
    "rpm": ("a number", (int, float)),
    "tpm": ("a number", (int, float)),
    "timeout": ("a number", (int, float)),
    "cost_in": ("a number", (int, float)),
    "cost_out": ("a number", (int, float)),
    "max_tokens": ("an int", (int,)),
    "concurrency": ("an int", (int,)),
    "context_window": ("an int", (int,)),
    "api_base": ("a string or env(...)", (str, EnvVar)),
    "transport": ('"openai" or "litellm"', (str,)),
}


def _model_from_decl(decl: ast.ModelDecl, scope: dict[str, Any], with_fallbacks: bool = True) -> ModelSpec:
    fields: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for option in decl.options:
        if option.name == "fallbacks" and not with_fallbacks:
            continue
        value = evaluate(option.value, scope)
        if option.name not in MODEL_OPTIONS:
            params[option.name] = value.model_dump() if isinstance(value, ModelSpec) else value
            continue
        if option.name in _MODEL_OPTION_TYPES:
            expected, types = _MODEL_OPTION_TYPES[option.name]
            if isinstance(value, bool) or not isinstance(value, types):
                raise _invalid(
                    f"option `{option.name}` of model '{decl.name}' needs {expected}, got {type_name(value)}",
                    option.value.span,
                )
            if float in types and isinstance(value, int):
                value = float(value)
        if option.name == "transport" and value not in TRANSPORTS:
            raise _invalid(
                f"option `transport` of model '{decl.name}' must be {' or '.join(repr(t) for t in TRANSPORTS)}, got {value!r}",
                option.value.span,
                "leave it out and the provider picks: the openai SDK for OpenAI-compatible "
                "endpoints, litellm for the rest",
            )
        fields[option.name] = value
    if "fallbacks" in fields:
        fallbacks = fields["fallbacks"]
        if not isinstance(fallbacks, list):
            fallbacks = [fallbacks]
        fields["fallbacks"] = tuple(_as_model(f, decl.span).id for f in fallbacks)
    # Every field was checked above: construct without pydantic building its schema.
    return ModelSpec.model_construct(name=decl.name, id=decl.model_id, params=params, **fields)


def _validated(model: type, values: dict[str, Any], decl, where: str):
    """`model` from `values`, a wrongly typed option reported at its declaration."""
    try:
        return model.model_validate(values)
    except Exception as e:  # pydantic's ValidationError
        raise _invalid(f"{where}: {_first_error(e)}", decl.span) from None


def _first_error(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        first = errors()[0]
        location = ".".join(str(p) for p in first.get("loc", ()))
        return f"option '{location}': {first.get('msg', '')}".strip()
    return str(error)


def _param_from_decl(decl: ast.ParamDecl) -> Param:
    if decl.type not in PARAM_TYPES:
        from .diagnostics import did_you_mean

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
            raise _invalid("a bool parameter takes no domain", decl.domain.span, "remove `in ...`")
        values = [False, True]
    elif decl.domain is None:
        raise _invalid(
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
                    raise _invalid("an int range needs int bounds", part.span)
            if low > high:
                raise _invalid(
                    f"empty range {low}..{high}", decl.domain.span, "write the smaller bound first"
                )
            if high - low >= MAX_DOMAIN:
                raise _invalid(
                    f"the range {low}..{high} has more than {MAX_DOMAIN:,} values",
                    decl.domain.span,
                    "search spaces are enumerated: use a set of representative values, e.g. {1, 10, 100}",
                )
            values = list(range(low, high + 1))
        elif decl.type == "float":
            low = float(_number(low, decl.domain.low.span, "a float range"))
            high = float(_number(high, decl.domain.high.span, "a float range"))
            if low > high:
                raise _invalid(
                    f"empty range {low}..{high}", decl.domain.span, "write the smaller bound first"
                )
        else:
            raise _invalid("a choice parameter takes a set: `in {a, b}`", decl.domain.span)
    else:
        values = []
        for item in decl.domain.values:
            if decl.type == "choice" and isinstance(item, ast.Name):
                values.append(item)  # resolved against models below
            else:
                values.append(_literal(item))
        if not values:
            raise _invalid(f"parameter '{decl.name}' has an empty domain", decl.domain.span)
        for value, item in zip(values, decl.domain.values):
            if decl.type == "int" and (isinstance(value, bool) or not isinstance(value, int)):
                raise _invalid(f"an int parameter's set holds ints, not {type_name(value)}", item.span)
            if decl.type == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise _invalid(f"a float parameter's set holds numbers, not {type_name(value)}", item.span)
        if decl.type == "float":
            values = [float(v) for v in values]
    del scope
    return Param(decl.name, decl.type, None, values, low, high, decl)


def _literal(expr: ast.Expr) -> Any:
    try:
        return evaluate(expr, {})
    except EvalError:
        raise _invalid("a domain holds literal values only", expr.span) from None


def resolve_choice_models(template: Template) -> None:
    """Choice params may list model names: resolve them, then check defaults against domains."""
    for param in template.params.values():
        if param.values is not None:
            resolved = []
            for value in param.values:
                if isinstance(value, ast.Name):
                    model = template.models.get(value.id)
                    if model is None:
                        template.diagnostics.append(
                            EvalError.of(
                                UndefinedName,
                                f"'{value.id}' is not a declared model",
                                value.span,
                            ).diagnostic(template.path)
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
            default = evaluate(decl.default, dict(template._static_scope))
        except EvalError as e:
            template.diagnostics.append(e.diagnostic(template.path))
            param.default = param.values[0] if param.values else param.low
            continue
        if param.type == "float" and isinstance(default, int) and not isinstance(default, bool):
            default = float(default)
        if not param.contains(default):
            template.diagnostics.append(
                Diagnostic(
                    ValueOutsideDomain.code,
                    ValueOutsideDomain.name,
                    Severity.ERROR,
                    f"default {format_value(default)} of '{param.name}' is outside its domain {param.domain_text()}",
                    decl.default.span,
                    template.path,
                    "change the default or widen the domain",
                )
            )
            default = param.values[0] if param.values else param.low
        param.default = default


def _layer(decl: ast.LayerDecl, scope: dict[str, Any]) -> Layer:
    if not is_kind(decl.kind):
        from .diagnostics import did_you_mean

        guess = did_you_mean(decl.kind, kind_names())
        raise EvalError.of(
            UnknownKind,
            f"unknown component kind '{decl.kind}'",
            decl.kind_span,
            f"did you mean '{guess}'?" if guess else f"kinds are {', '.join(kind_names())}",
        )
    spec = kind_spec(decl.kind)
    fields: dict[str, Any] = {}
    models: list[ModelSpec] | None = None
    for option in decl.options:
        known = spec.option(option.name)
        if known is None:
            continue  # the unknown-option rule reports it, with the span
        value = evaluate(option.value, scope)
        span = option.value.span
        if option.name == "model":
            if isinstance(value, list):
                raise _invalid("`model` takes one model; use `models` for a list", span)
            models = [_as_model(value, span)]
            continue
        if option.name == "models":
            models = [_as_model(v, span) for v in (value if isinstance(value, list) else [value])]
            if not models:
                raise _invalid("`models` is empty", span, "a layer needs at least one model")
            continue
        if known.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise _invalid(f"`{option.name}` needs an int, got {type_name(value)}", span)
            if value < 1:
                raise _invalid(f"`{option.name}` must be at least 1, got {value}", span)
        elif known.type == "bool":
            if not isinstance(value, bool):
                raise _invalid(f"`{option.name}` is true or false, got {type_name(value)}", span)
        elif known.type == "float":
            value = _number(value, span, f"`{option.name}`")
            if option.name == "temperature" and not 0 <= value <= 2:
                raise _invalid(f"`temperature` must be within 0..2, got {value}", span)
            value = float(value)
        elif not known.choices and not isinstance(value, str):
            raise _invalid(f"`{option.name}` needs a string, got {type_name(value)}", span)
        if known.choices and value not in known.choices:
            raise _invalid(known.choice_error.format(value=format_value(value)), span, known.choice_hint)
        fields[option.name] = value
    if models is None:
        raise _invalid(
            f"layer {decl.kind} has no model",
            decl.span,
            "add `model = NAME` or `models = [A, B]`",
        )
    if "batch_size" in fields and any(m.id not in REWARD_MODELS for m in models):
        span = next(o.value.span for o in decl.options if o.name == "batch_size")
        raise _invalid(
            "`batch_size` applies to reward-model rankers (llm-blender/PairRM) only; an LLM ranker "
            "reads every candidate in one call",
            span,
            "remove `batch_size`",
        )
    own = {k: fields.pop(k) for k in [k for k in fields if k not in Layer.model_fields]}
    return Layer.model_construct(kind=decl.kind, models=models, span=decl.span, options=own, **fields)


def load_template(module: ast.Module) -> Template:
    """A Template from a parsed module, with declaration problems in `.diagnostics`."""
    template = Template(module)
    resolve_choice_models(template)
    return template


def parse_assignment(template: Template, pairs: list[str]) -> dict[str, Any]:
    """Parameter values from `name=value` strings (as `-p` gives them), typed by each param."""
    assignment: dict[str, Any] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name:
            raise InstantiateError(
                [
                    BAD_ASSIGNMENT.diagnostic(
                        f"'{pair}' is not name=value",
                        None,
                        template.path,
                        "write -p n_gen=3",
                    )
                ]
            )
        param = template.params.get(name)
        if param is None:
            from .diagnostics import did_you_mean

            guess = did_you_mean(name, template.params)
            raise InstantiateError(
                [
                    BAD_ASSIGNMENT.diagnostic(
                        f"no parameter named '{name}'",
                        None,
                        template.path,
                        f"did you mean '{guess}'?"
                        if guess
                        else f"parameters: {', '.join(template.params) or 'none'}",
                    )
                ]
            )
        assignment[name] = _parse_value(param, text, template.path)
    return assignment


def _parse_value(param: Param, text: str, path: str) -> Any:
    def bad(expected: str) -> InstantiateError:
        return InstantiateError(
            [
                BAD_ASSIGNMENT.diagnostic(
                    f"{param.name}={text} is not {expected}",
                    None,
                    path,
                    f"domain: {param.domain_text()}",
                )
            ]
        )

    if param.type == "bool":
        lowered = text.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise bad("true or false")
    if param.type == "int":
        try:
            return int(text)
        except ValueError:
            raise bad("an integer") from None
    if param.type == "float":
        try:
            return float(text)
        except ValueError:
            raise bad("a number") from None
    unquoted = text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text
    for value in param.values or []:
        if isinstance(value, ModelSpec) and unquoted in (value.name, value.id):
            return value
        if isinstance(value, str) and unquoted == value:
            return value
        if not isinstance(value, (str, ModelSpec)) and unquoted == format_value(value):
            return value
    raise bad("one of the choices")
