"""Safe expression evaluation: a closed set of operations over plain values, names read from a scope."""

from __future__ import annotations

from typing import Any

from ..architecture import EnvVar
from ..diagnostics import Diagnostic, Severity, Span
from ..language import ast
from ..rules.base import Rule
from ..rules.invalid_value import InvalidValue
from ..rules.pool_out_of_range import PoolOutOfRange
from ..rules.undefined_name import UndefinedName
from .values import type_name

FUNCTIONS = ("min", "max", "len", "env")


class Inactive:
    """The value a scope holds for a parameter whose `when` is false there: reading it is an error."""

    __slots__ = ("name", "condition")

    def __init__(self, name: str, condition: str):
        self.name, self.condition = name, condition

    def __repr__(self) -> str:
        return f"<{self.name} inactive>"


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


def invalid(message: str, span: Span | None, hint: str | None = None) -> EvalError:
    return EvalError.of(InvalidValue, message, span, hint)


def number(value: Any, span: Span | None, what: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid(f"{what} needs a number, got {type_name(value)}", span)
    return value


class _Evaluator(ast.Visitor):
    """The value of each kind of expression node; names are read from `scope`."""

    def visit_Int(self, expr: ast.Int | ast.Float | ast.Str | ast.Bool, scope: dict[str, Any]) -> Any:
        return expr.value

    visit_Float = visit_Str = visit_Bool = visit_Int

    def visit_Name(self, expr: ast.Name, scope: dict[str, Any]) -> Any:
        try:
            value = scope[expr.id]
        except KeyError:
            raise EvalError.of(UndefinedName, f"'{expr.id}' is not defined", expr.span) from None
        if value.__class__ is Inactive:
            raise EvalError.of(
                UndefinedName,
                f"'{expr.id}' does not exist here: it exists only when {value.condition}",
                expr.span,
                f"read '{expr.id}' only where {value.condition} holds (e.g. inside `if {value.condition}`)",
            )
        return value

    def visit_ListExpr(self, expr: ast.ListExpr, scope: dict[str, Any]) -> list:
        return [self.visit(item, scope) for item in expr.items]

    def visit_Binary(self, expr: ast.Binary, scope: dict[str, Any]) -> Any:
        left, right = self.visit(expr.left, scope), self.visit(expr.right, scope)
        return _binary(expr.op, left, right, expr.span)

    def visit_Unary(self, expr: ast.Unary, scope: dict[str, Any]) -> Any:
        value = self.visit(expr.operand, scope)
        if expr.op == "not":
            return not truth(value, expr.operand.span)
        return -number(value, expr.span, "'-'")

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
            return all(truth(self.visit(v, scope), v.span) for v in expr.values)
        return any(truth(self.visit(v, scope), v.span) for v in expr.values)

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


def truth(value: Any, span: Span | None) -> bool:
    if not isinstance(value, bool):
        raise invalid(f"expected true or false, got {type_name(value)}", span)
    return value


def _binary(op: str, left: Any, right: Any, span: Span | None) -> Any:
    if op == "+" and isinstance(left, list) and isinstance(right, list):
        return left + right
    if op == "+" and isinstance(left, str) and isinstance(right, str):
        return left + right
    a = number(left, span, f"'{op}'")
    b = number(right, span, f"'{op}'")
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise invalid(f"division by zero in '{op}'", span)
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
    number(left, span, f"'{op}'")
    number(right, span, f"'{op}'")
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def _index(target: Any, index: Any, expr: ast.Index) -> Any:
    if not isinstance(target, (list, str)):
        raise invalid(f"cannot index a {type_name(target)}", expr.span)
    if isinstance(index, bool) or not isinstance(index, int):
        raise invalid(f"an index must be an int, got {type_name(index)}", expr.index.span)
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
        raise invalid(f"cannot slice a {type_name(target)}", expr.span)
    bounds: list[int | None] = []
    for part in (expr.start, expr.stop):
        if part is None:
            bounds.append(None)
            continue
        value = evaluate(part, scope)
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid(f"a slice bound must be an int, got {type_name(value)}", part.span)
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
        from ..diagnostics import did_you_mean

        guess = did_you_mean(func, FUNCTIONS)
        raise invalid(
            f"unknown function '{func}'",
            expr.span,
            f"did you mean '{guess}'?" if guess else f"functions are {', '.join(FUNCTIONS)}",
        )
    args = [evaluate(a, scope) for a in expr.args]
    if func == "env":
        if not 1 <= len(args) <= 2 or not all(isinstance(a, str) for a in args):
            raise invalid(
                'env takes a variable name and an optional default: env("NAME", "default")', expr.span
            )
        return EnvVar(env=args[0], default=args[1] if len(args) > 1 else None)
    if func == "len":
        if len(args) != 1 or not isinstance(args[0], (list, str)):
            raise invalid("len takes one list or pool", expr.span)
        return len(args[0])
    values = args[0] if len(args) == 1 and isinstance(args[0], list) else args
    if not values:
        raise invalid(f"{func} needs at least one value", expr.span)
    for v in values:
        number(v, expr.span, func)
    return min(values) if func == "min" else max(values)


class ReadTracking(dict):
    """A scope that records which parameters an evaluation reads.

    `tracked` maps each parameter to the names a read of it adds: itself, and for a
    conditional parameter the parameters its `when` reads (they decide whether it exists).
    """

    def __init__(self, base: dict[str, Any], tracked: dict[str, tuple[str, ...]], reads: set[str]):
        super().__init__(base)
        self._tracked = tracked
        self._reads = reads

    def __getitem__(self, name: str) -> Any:
        names = self._tracked.get(name)
        if names is not None:
            self._reads.update(names)
        return super().__getitem__(name)
