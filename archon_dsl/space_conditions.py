"""Describes the points of a space where a finding fires, as a condition on the parameters."""

from __future__ import annotations

import itertools
from typing import Any

from .template import Param, describe_assignment, format_value

# The value of a parameter a point does not have (inactive there): never part of a condition.
_ABSENT = ("absent",)


def describe_condition(
    names: list[str], points: list[dict[str, Any]], triggered: set[int], params: dict[str, Param]
) -> str:
    """ "n_gen >= 9", "n_gen * samples > 24", ... true exactly on `triggered` among `points`.

    Tries one parameter, then two (a conjunction, or a product or sum
    threshold), then a conjunction of three; falls back to a count with an
    example. A point may lack a conditional parameter that is inactive there:
    a condition on that parameter then holds only where it exists.
    """
    for name in names:
        text = _one(name, points, triggered, params[name])
        if text:
            return text
    for a, b in itertools.combinations(names, 2):
        text = _two(a, b, points, triggered, params)
        if text:
            return text
    for group in itertools.combinations(names, 3):
        text = _conjunction(group, points, triggered, params)
        if text:
            return text
    first = min(triggered)
    return (
        f"in {len(triggered):,} of {len(points):,} configurations, e.g. {describe_assignment(points[first])}"
    )


def _exact(points, triggered, predicate) -> bool:
    return all(predicate(p) == (i in triggered) for i, p in enumerate(points))


def _values_text(name: str, values: set, param: Param) -> str:
    domain = [v for v in (param.values or sorted(values))]
    ordered = [v for v in domain if v in values]
    if len(values) == 1:
        value = next(iter(values))
        if param.type == "bool":
            return name if value else f"not {name}"
        return f"{name} = {format_value(value)}"
    if param.type in ("int", "float") and param.values is not None:
        positions = [domain.index(v) for v in ordered]
        contiguous = positions == list(range(positions[0], positions[-1] + 1))
        if contiguous and positions[-1] == len(domain) - 1:
            return f"{name} >= {format_value(ordered[0])}"
        if contiguous and positions[0] == 0:
            return f"{name} <= {format_value(ordered[-1])}"
        if contiguous:
            return f"{format_value(ordered[0])} <= {name} <= {format_value(ordered[-1])}"
    return f"{name} in {{{', '.join(format_value(v) for v in ordered)}}}"


def _one(name: str, points, triggered, param: Param) -> str | None:
    values = {points[i].get(name, _ABSENT) for i in triggered}
    if _ABSENT in values:
        return None
    if _exact(points, triggered, lambda p: p.get(name, _ABSENT) in values):
        return _values_text(name, values, param)
    return None


def _conjunction(group, points, triggered, params) -> str | None:
    values = {name: {points[i].get(name, _ABSENT) for i in triggered} for name in group}
    if any(_ABSENT in v for v in values.values()):
        return None
    if _exact(points, triggered, lambda p: all(p.get(n, _ABSENT) in values[n] for n in group)):
        return " and ".join(_values_text(n, values[n], params[n]) for n in group)
    return None


def _two(a: str, b: str, points, triggered, params) -> str | None:
    text = _conjunction((a, b), points, triggered, params)
    if text:
        return text
    numeric = all(params[n].type in ("int", "float") for n in (a, b))
    if not numeric:
        return None
    # The values of (a, b) that occur, each marked as triggering or not.
    pairs: dict[tuple, bool] = {}
    for i, p in enumerate(points):
        key = (p.get(a, _ABSENT), p.get(b, _ABSENT))
        if _ABSENT in key:
            return None  # a threshold needs both values at every point
        hit = i in triggered
        if pairs.setdefault(key, hit) != hit:
            return None  # the same (a, b) both triggers and not: another parameter matters
    for symbol, combine in (("*", lambda x, y: x * y), ("+", lambda x, y: x + y)):
        inside = [combine(x, y) for (x, y), hit in pairs.items() if hit]
        outside = [combine(x, y) for (x, y), hit in pairs.items() if not hit]
        if outside and min(inside) > max(outside):
            return f"{a} {symbol} {b} > {format_value(max(outside))}"
        if outside and max(inside) < min(outside):
            return f"{a} {symbol} {b} < {format_value(min(outside))}"
    return None
