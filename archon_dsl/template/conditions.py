"""Conditional parameters: which exist at a point, canonical points, distinct architectures, uniform draws.

A parameter declared with `when COND` exists only where COND, over the parameters
declared above it, holds; elsewhere it is inactive: absent from the canonical point,
and an error to read. Points that differ only in inactive parameters are one
architecture, so the space's distinct architectures are the canonical points.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..diagnostics import Diagnostic
from ..language import ast
from ..language.printer import expr_text
from ..rules.param_condition import ParamCondition
from .evaluate import Inactive, evaluate, truth
from .params import FLOAT_GRID, Param

if TYPE_CHECKING:
    from .template import Template


def resolve_conditions(
    params: dict[str, Param], models: dict[str, Any], pools: set[str], path: str | None
) -> list[Diagnostic]:
    """Set each parameter's `when` and `parents` from its declaration.

    A condition reads parameters declared above it (and models); one that reads itself,
    a later parameter or a pool is reported (S016) and dropped, so the parameter is
    unconditional; an undefined name is left to the undefined-name rule, and drops it too.
    """
    found: list[Diagnostic] = []
    earlier: list[str] = []
    for name, param in params.items():
        when = param.decl.when if param.decl is not None else None
        if when is None:
            earlier.append(name)
            continue
        parents: list[str] = []
        usable = True
        for node in when.walk():
            if not isinstance(node, ast.Name):
                continue
            read = node.id
            problem = None
            if read in earlier:
                if read not in parents:
                    parents.append(read)
                continue
            if read == name:
                problem = (
                    f"the condition of '{name}' reads '{name}' itself",
                    "a condition reads the parameters declared above it",
                )
            elif read in params:
                problem = (
                    f"the condition of '{name}' reads '{read}', which is declared after it",
                    f"declare '{read}' above '{name}'",
                )
            elif read in pools:
                problem = (
                    f"the condition of '{name}' reads the pool '{read}'",
                    "a condition reads parameters declared above it, and models; not pools",
                )
            elif read not in models:
                usable = False  # undefined: the undefined-name rule reports it
                continue
            if problem is not None:
                usable = False
                found.append(
                    Diagnostic(
                        ParamCondition.code,
                        ParamCondition.name,
                        ParamCondition.severity,
                        problem[0],
                        node.span,
                        path,
                        problem[1],
                    )
                )
        if usable:
            param.when = when
            param.parents = tuple(parents)
        earlier.append(name)
    return found


def ancestors(params: dict[str, Param]) -> dict[str, tuple[str, ...]]:
    """Each parameter with the parameters that decide whether it exists (its parents, theirs, ...)."""
    out: dict[str, tuple[str, ...]] = {}
    for name, param in params.items():
        names = [name]
        for parent in param.parents:
            names.extend(n for n in out[parent] if n not in names)
        out[name] = tuple(names)
    return out


def condition_text(param: Param) -> str:
    return expr_text(param.when) if param.when is not None else "true"


def _holds(param: Param, scope: dict[str, Any]) -> bool:
    """Whether `param` exists, given the values (or Inactive) of the parameters above it in `scope`."""
    when = param.when
    if when is None:
        return True
    for parent in param.parents:
        if scope[parent].__class__ is Inactive:
            return False  # a parameter under an absent one is absent too
    return truth(evaluate(when, scope), when.span)


def bind(template: Template, full: dict[str, Any]) -> dict[str, Any]:
    """`full`'s values, each inactive parameter's replaced by an Inactive marker; raises EvalError."""
    scope = dict(template.static_scope)
    out: dict[str, Any] = {}
    for name, param in template.params.items():
        value = full[name]
        if param.when is not None and not _holds(param, scope):
            value = Inactive(name, condition_text(param))
        scope[name] = out[name] = value
    return out


# -- enumeration ----------------------------------------------------------------


def distinct_points(template: Template, float_points: int = FLOAT_GRID) -> Iterator[dict[str, Any]]:
    """Every distinct architecture's canonical point once, in lexicographic order of declaration."""
    params = list(template.params.values())
    grids = [p.grid(float_points) for p in params]
    scope = dict(template.static_scope)
    point: dict[str, Any] = {}

    def walk(k: int) -> Iterator[dict[str, Any]]:
        if k == len(params):
            yield dict(point)
            return
        param = params[k]
        if param.when is not None and not _holds(param, scope):
            scope[param.name] = Inactive(param.name, condition_text(param))
            yield from walk(k + 1)
            del scope[param.name]
            return
        for value in grids[k]:
            scope[param.name] = point[param.name] = value
            yield from walk(k + 1)
        del scope[param.name], point[param.name]

    return walk(0)


def branches(template: Template, float_points: int = FLOAT_GRID) -> list[tuple[dict[str, Any], int]]:
    """The assignments of the parameters some condition reads (with the inactive ones marked),
    each with its number of distinct architectures: the other active parameters' grid sizes multiplied."""
    params = list(template.params.values())
    deciding = {parent for p in params for parent in p.parents}
    scope = dict(template.static_scope)
    out: list[tuple[dict[str, Any], int]] = []

    def walk(k: int, weight: int, fixed: dict[str, Any]) -> None:
        if k == len(params):
            out.append((dict(fixed), weight))
            return
        param = params[k]
        if param.when is not None and not _holds(param, scope):
            scope[param.name] = fixed[param.name] = Inactive(param.name, condition_text(param))
            walk(k + 1, weight, fixed)
            del scope[param.name], fixed[param.name]
            return
        grid = param.grid(float_points)
        if param.name not in deciding:
            scope[param.name] = grid[0]  # read by nothing that decides existence
            walk(k + 1, weight * len(grid), fixed)
            del scope[param.name]
            return
        for value in grid:
            scope[param.name] = fixed[param.name] = value
            walk(k + 1, weight, fixed)
        del scope[param.name], fixed[param.name]

    walk(0, 1, {})
    return out


def distinct_size(template: Template, float_points: int = FLOAT_GRID) -> int:
    """The number of distinct architectures (canonical points) of the gridded space."""
    return sum(weight for _, weight in branches(template, float_points))


def never_active(template: Template, float_points: int = FLOAT_GRID) -> list[Param]:
    """Conditional parameters that exist at no point of the space; raises EvalError."""
    conditional = [p for p in template.params.values() if p.when is not None]
    if not conditional:
        return []
    listed = branches(template, float_points)
    return [p for p in conditional if all(fixed.get(p.name).__class__ is Inactive for fixed, _ in listed)]


def draw(
    template: Template, rng: random.Random, float_points: int = FLOAT_GRID, listed: list | None = None
) -> dict[str, Any]:
    """One distinct architecture's canonical point, drawn uniformly over distinct architectures
    (`listed`: the template's `branches`, when the caller keeps them between draws)."""
    listed = listed if listed is not None else branches(template, float_points)
    return _draw(template, rng, float_points, listed)[1]


def _draw(
    template: Template, rng: random.Random, float_points: int, listed: list, cumulative: list | None = None
) -> tuple[tuple, dict[str, Any]]:
    """(grid-index key, canonical point) of one uniform draw over distinct architectures."""
    if cumulative is None:
        cumulative = list(itertools.accumulate(weight for _, weight in listed))
    # One branch needs no draw: an unconditional space samples exactly as it always has.
    b = 0 if len(listed) == 1 else bisect.bisect_right(cumulative, rng.randrange(cumulative[-1]))
    fixed = listed[b][0]
    key: list[int] = []
    point: dict[str, Any] = {}
    for param in template.params.values():
        grid = param.grid(float_points)
        value = fixed.get(param.name, _FREE)
        if value.__class__ is Inactive:
            key.append(-1)
            continue
        if value is _FREE:
            index = rng.randrange(len(grid))
            value = grid[index]
        else:
            index = grid.index(value)
        key.append(index)
        point[param.name] = value
    return tuple(key), point


def sample(template: Template, n: int, seed: int = 0, float_points: int = FLOAT_GRID) -> list[dict[str, Any]]:
    """`n` distinct architectures' canonical points, drawn uniformly over distinct architectures
    (all of them when there are no more than `n`)."""
    listed = branches(template, float_points)
    total = sum(weight for _, weight in listed)
    if total <= n:
        return list(distinct_points(template, float_points))
    rng = random.Random(seed)
    cumulative = list(itertools.accumulate(weight for _, weight in listed))
    chosen: dict[tuple, dict[str, Any]] = {}
    while len(chosen) < n:
        key, point = _draw(template, rng, float_points, listed, cumulative)
        chosen.setdefault(key, point)
    return list(chosen.values())


_FREE = object()
