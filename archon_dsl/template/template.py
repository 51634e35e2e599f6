"""The Template: declarations evaluated, instantiated into architectures, the space enumerated."""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterator
from typing import Any

from ..architecture import (
    BUDGET_METRICS,
    DEFAULT_OPTIONS,
    PROVIDER_OPTIONS,
    Architecture,
    Budget,
    Defaults,
    Layer,
    ModelSpec,
    ProviderLimits,
)
from ..diagnostics import ArchonError, Diagnostic, Severity
from ..language import ast
from ..rules.undefined_name import UndefinedName
from ..rules.value_outside_domain import ValueOutsideDomain
from . import conditions
from .binding import as_model, layer_from_decl, model_from_decl, options, validated
from .evaluate import EvalError, Inactive, ReadTracking, evaluate, invalid, number, truth
from .params import FLOAT_GRID, Param, param_from_decl, resolve_params
from .values import format_value, type_name

# Guards against a typo that would expand forever: `repeat 10000000 { ... }`.
MAX_LAYERS = 200_000


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
        self.static_scope: dict[str, Any] = {}
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
                self.models[decl.name] = model_from_decl(decl, scope, with_fallbacks=False)
            except EvalError as e:
                self._report(e)
                self.models[decl.name] = ModelSpec(name=decl.name, id=decl.model_id)
            scope[decl.name] = self.models[decl.name]
        for decl in decls:
            if any(o.name == "fallbacks" for o in decl.options):
                try:
                    self.models[decl.name] = model_from_decl(decl, scope)
                except EvalError as e:
                    self._report(e)
                scope[decl.name] = self.models[decl.name]
        for decl in self.module.of_type(ast.ParamDecl):
            try:
                self.params[decl.name] = param_from_decl(decl)
            except EvalError as e:
                self._report(e)
        self.diagnostics.extend(
            conditions.resolve_conditions(
                self.params, self.models, {d.name for d in self.pool_decls}, self.path
            )
        )
        # Whether any parameter is conditional; and what reading each parameter depends on.
        self.conditional = any(p.when is not None for p in self.params.values())
        self._tracked = conditions.ancestors(self.params)
        for decl in self.module.of_type(ast.ProviderDecl):
            try:
                values = options(decl.options, scope, PROVIDER_OPTIONS, "provider")
                self.providers[decl.provider] = validated(
                    ProviderLimits, values, decl, f'provider "{decl.provider}"'
                )
            except EvalError as e:
                self._report(e)
        for decl in self.module.of_type(ast.Defaults):
            try:
                values = options(decl.options, scope, DEFAULT_OPTIONS, "defaults")
                self.defaults = validated(
                    Defaults, {**self.defaults.model_dump(), **values}, decl, "defaults"
                )
            except EvalError as e:
                self._report(e)
        self.static_scope = scope

    def default_assignment(self) -> dict[str, Any]:
        return {name: p.default for name, p in self.params.items()}

    def scope(self, assignment: dict[str, Any], reads: set[str] | None = None) -> dict[str, Any]:
        """Names visible to expressions for one assignment: models, params, pools.

        With `reads`, the names of the parameters that evaluation reads are added to it.
        """
        scope = (
            dict(self.static_scope)
            if reads is None
            else ReadTracking(self.static_scope, self._tracked, reads)
        )
        scope.update(self._bound(assignment))
        for decl in self.pool_decls:
            value = evaluate(decl.value, scope)
            if not isinstance(value, list):
                value = [value]
            scope[decl.name] = [as_model(v, decl.value.span) for v in value]
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
                from ..diagnostics import did_you_mean

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
                value = param.choice(value)
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
        scope = dict(self.static_scope)
        scope.update(self._bound(assignment))
        return [truth(evaluate(c.expr, scope), c.expr.span) for c in self.constraints]

    def constraints_hold(self, assignment: dict[str, Any]) -> bool:
        scope = dict(self.static_scope)
        scope.update(self._bound(assignment))
        return all(truth(evaluate(c.expr, scope), c.expr.span) for c in self.constraints)

    # -- conditional parameters ---------------------------------------------------
    def _bound(self, assignment: dict[str, Any]) -> dict[str, Any]:
        """`assignment` as a scope sees it: inactive parameters marked (reading one is an error)."""
        if not self.conditional:
            return assignment
        return conditions.bind(self, {**self.default_assignment(), **assignment})

    def active_params(self, assignment: dict[str, Any] | None = None) -> set[str]:
        """The parameters that exist at `assignment` (missing ones take their defaults): every
        unconditional one, and each conditional one whose `when` holds there; raises EvalError."""
        if not self.conditional:
            return set(self.params)
        bound = conditions.bind(self, self.complete(assignment))
        return {name for name, value in bound.items() if value.__class__ is not Inactive}

    def canonical(self, assignment: dict[str, Any] | None = None) -> dict[str, Any]:
        """The point's active parameters, defaults filled in, in declaration order: two assignments
        have equal canonical points exactly when they give the same architecture. Raises
        InstantiateError for a value outside its domain or a condition that cannot be evaluated."""
        full = self.complete(assignment)
        if not self.conditional:
            return full
        try:
            bound = conditions.bind(self, full)
        except EvalError as e:
            raise InstantiateError([e.diagnostic(self.path)]) from None
        return {name: value for name, value in bound.items() if value.__class__ is not Inactive}

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
            if self.conditional:
                full = {n: v for n, v in full.items() if scope.get(n).__class__ is not Inactive}
            layers: list[Layer] = []
            self._expand(self.body, scope, layers)
            budgets = [
                Budget.model_construct(
                    metric=b.metric,
                    op=b.op,
                    limit=float(number(evaluate(b.limit, scope), b.limit.span, "budget")),
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
                raise invalid(
                    f"the architecture expands to more than {MAX_LAYERS:,} layers",
                    statement.span,
                    "check the counts of `repeat`",
                )
            if isinstance(statement, ast.LayerDecl):
                out.append(layer_from_decl(statement, scope))
            elif isinstance(statement, ast.Repeat):
                if statement.range is None:
                    assert statement.count is not None  # the grammar gives a repeat a count or a range
                    count = evaluate(statement.count, scope)
                    if isinstance(count, bool) or not isinstance(count, int):
                        raise invalid(
                            f"repeat needs an int count, got {type_name(count)}", statement.count.span
                        )
                    for _ in range(max(count, 0)):
                        self._expand(statement.body, scope, out)
                else:
                    low = evaluate(statement.range.low, scope)
                    high = evaluate(statement.range.high, scope)
                    for bound, part in ((low, statement.range.low), (high, statement.range.high)):
                        if isinstance(bound, bool) or not isinstance(bound, int):
                            raise invalid(
                                f"a repeat range needs int bounds, got {type_name(bound)}", part.span
                            )
                    var = statement.var
                    assert var is not None  # a repeat over a range names its variable
                    outer = scope.get(var, _MISSING)
                    for i in range(low, high + 1):
                        scope[var] = i
                        self._expand(statement.body, scope, out)
                    if outer is _MISSING:
                        scope.pop(var, None)
                    else:
                        scope[var] = outer
            elif isinstance(statement, ast.If):
                if truth(evaluate(statement.condition, scope), statement.condition.span):
                    self._expand(statement.then, scope, out)
                elif statement.otherwise is not None:
                    self._expand(statement.otherwise, scope, out)

    # -- the space ----------------------------------------------------------------
    def raw_size(self, float_points: int = FLOAT_GRID) -> int:
        """The raw points: every parameter's values multiplied, conditions ignored."""
        return math.prod(len(p.grid(float_points)) for p in self.params.values()) if self.params else 1

    def distinct_size(self, float_points: int = FLOAT_GRID) -> int:
        """The distinct architectures: points that differ only in inactive parameters count once."""
        if not self.conditional:
            return self.raw_size(float_points)
        return conditions.distinct_size(self, float_points)

    def distinct_points(self, float_points: int = FLOAT_GRID) -> Iterator[dict[str, Any]]:
        """Each distinct architecture's canonical point once, in lexicographic order (for a template
        without conditions, the same as `points`); raises EvalError on a condition that fails."""
        if not self.conditional:
            return self.points(float_points)
        return conditions.distinct_points(self, float_points)

    def never_active(self, float_points: int = FLOAT_GRID) -> list[Param]:
        """Conditional parameters that exist at no point of the space."""
        return conditions.never_active(self, float_points)

    def points(self, float_points: int = FLOAT_GRID) -> Iterator[dict[str, Any]]:
        """Every raw assignment of the (gridded) space, conditions ignored, in lexicographic order."""
        names = list(self.params)
        grids = [self.params[n].grid(float_points) for n in names]
        for combo in itertools.product(*grids):
            yield dict(zip(names, combo, strict=True))

    def sample(self, n: int, seed: int = 0, float_points: int = FLOAT_GRID) -> list[dict[str, Any]]:
        """`n` distinct architectures' canonical points, drawn uniformly over distinct architectures
        (not raw points); all of them when there are no more than `n`."""
        return conditions.sample(self, n, seed, float_points)


_MISSING = object()


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0] if path and not path.startswith("<") else "archon"


def load_template(module: ast.Module) -> Template:
    """A Template from a parsed module, with declaration problems in `.diagnostics`."""
    template = Template(module)
    template.diagnostics.extend(
        resolve_params(template.params, template.models, template.static_scope, template.path)
    )
    return template
