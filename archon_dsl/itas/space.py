"""A template's search space: dimensions, feasibility (constraints, rules, budgets) and neighbours."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..architecture import BUDGET_METRICS, Architecture, ModelSpec
from ..diagnostics import ArchonError, Diagnostic
from ..language.printer import expr_text
from ..template import FLOAT_GRID, EvalError, InstantiateError, Param, Template, evaluate, format_value
from ..template.conditions import branches, draw
from ..template.evaluate import truth

# Above this many raw points a space is sampled, never listed in full.
ENUMERABLE = 200_000


@dataclass(frozen=True)
class Dimension:
    """One searched parameter: its values (finite) or its float range."""

    name: str
    type: str  # int | float | bool | choice
    values: tuple[Any, ...] | None  # None for a float range
    low: float | None = None
    high: float | None = None
    # A conditional parameter's `when` (as text) and the parameters it reads; () when unconditional.
    when: str | None = None
    parents: tuple[str, ...] = ()

    @property
    def finite(self) -> bool:
        return self.values is not None

    @property
    def categorical(self) -> bool:
        """Unordered values (strings, models): no notion of nearer or farther."""
        return self.type == "choice" and self.values is not None and len(self.values) > 2

    def index(self, value: Any) -> int:
        for i, v in enumerate(self.values or ()):
            if _same(v, value):
                return i
        raise ValueError(f"{format_value(value)} is not in the domain of '{self.name}'")

    def to_json(self, value: Any) -> Any:
        return value.name if isinstance(value, ModelSpec) else value

    def from_json(self, value: Any) -> Any:
        if self.values is None:
            return float(value)
        for v in self.values:
            if _same(self.to_json(v), value) or _same(v, value):
                return v
        raise ValueError(f"{value!r} is not in the domain of '{self.name}'")

    def grid(self, points: int = FLOAT_GRID) -> tuple[Any, ...]:
        if self.values is not None:
            return self.values
        assert self.low is not None and self.high is not None  # a float range has both bounds
        step = (self.high - self.low) / (points - 1)
        return tuple(round(self.low + i * step, 10) for i in range(points))


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same kind (true is not 1)."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)


@dataclass(frozen=True)
class Feasibility:
    """Whether a point may be evaluated, and if not, why; with its architecture and plan figures."""

    ok: bool
    reason: str | None = None
    arch: Architecture | None = field(default=None, repr=False, compare=False)
    figures: dict[str, float | None] = field(default_factory=dict, compare=False)


def plan_figures(arch: Architecture) -> dict[str, float | None]:
    """Per-query calls (the most), cost (dollars, None if unknown), depth and tokens, from the plan."""
    try:
        from ..planner import plan
        from ..rules.budget_exceeded import plan_figure
    except ImportError:  # no planner: the architecture's own call count, one layer after another
        return {
            "calls": float(arch.calls_per_query()),
            "cost": None,
            "depth": float(len(arch.layers)),
            "tokens": None,
        }
    figures = plan(arch)
    return {metric: plan_figure(figures, metric) for metric in BUDGET_METRICS}


def _rule_errors(template: Template, assignment: dict[str, Any]) -> list[Diagnostic] | None:
    """Error-level findings of the linter on one configuration; None when no linter is installed.

    Read from the memo of the up-front whole-space check (checker.point_errors): rules do not run twice."""
    try:
        from ..checker import point_errors
    except ImportError:
        return None
    return point_errors(template, assignment)


class SearchSpace:
    """The points a search may evaluate: the template's params, minus infeasible points."""

    def __init__(self, template: Template, *, rules: bool = True, float_points: int = FLOAT_GRID):
        errors = [d for d in template.diagnostics if d.is_error]
        if errors:
            raise ArchonError(errors)
        self.template = template
        self.rules = rules
        self.rules_checked = rules
        self.float_points = float_points
        self.dimensions: list[Dimension] = []
        self.fixed: dict[str, Any] = {}
        for param in template.params.values():
            dim = _dimension(param)
            if dim is None:
                self.fixed[param.name] = param.default
            else:
                self.dimensions.append(dim)
        self.by_name = {d.name: d for d in self.dimensions}
        self._branches: list | None = None  # the conditional space's branches, listed on first draw
        self._feasibility: dict[str, Feasibility] = {}

    # -- points -------------------------------------------------------------
    def default(self) -> dict[str, Any]:
        return self.template.default_assignment()

    def key(self, assignment: dict[str, Any]) -> str:
        """A canonical text for a point, equal for equal points."""
        return json.dumps(self.to_json(assignment), sort_keys=True)

    def to_json(self, assignment: dict[str, Any]) -> dict[str, Any]:
        """Plain JSON values (models by name), in declaration order."""
        full = {**self.default(), **assignment}
        return {name: (v.name if isinstance(v, ModelSpec) else v) for name, v in full.items()}

    def from_json(self, values: dict[str, Any]) -> dict[str, Any]:
        """The point whose JSON form is `values` (as read back from a trials file)."""
        point = self.default()
        for name, value in values.items():
            dim = self.by_name.get(name)
            if dim is not None:
                point[name] = dim.from_json(value)
            elif name not in point:
                raise ValueError(f"no parameter named '{name}' in {self.template.name}")
        return point

    def describe(self, assignment: dict[str, Any]) -> str:
        return ", ".join(f"{d.name}={format_value(assignment[d.name])}" for d in self.dimensions)

    def size(self) -> int | None:
        """Number of points, or None if a float range makes the space continuous."""
        if any(not d.finite for d in self.dimensions):
            return None
        return math.prod(len(d.values or ()) for d in self.dimensions)

    def grid_size(self) -> int:
        return math.prod(len(d.grid(self.float_points)) for d in self.dimensions)

    def point_at(self, index: int) -> dict[str, Any]:
        """The `index`-th point of the (gridded) space in lexicographic order."""
        point = dict(self.default())
        for dim in reversed(self.dimensions):
            grid = dim.grid(self.float_points)
            index, i = divmod(index, len(grid))
            point[dim.name] = grid[i]
        return point

    def points(self) -> Iterator[dict[str, Any]]:
        """Every distinct architecture's point of the (gridded) space once, in lexicographic order
        (inactive parameters at their defaults); for a template without conditions, every point."""
        if not self.template.conditional:
            for index in range(self.grid_size()):
                yield self.point_at(index)
            return
        default = self.default()
        for shaped in self.template.distinct_points(self.float_points):
            yield {**default, **shaped}

    # -- conditional parameters ------------------------------------------------
    def distinct_size(self) -> int:
        """Distinct architectures of the gridded space: points differing only in inactive parameters count once."""
        return self.template.distinct_size(self.float_points)

    def active(self, assignment: dict[str, Any]) -> set[str]:
        """The searched parameters that exist at `assignment` (the rest are inactive: their value is ignored)."""
        return {
            name
            for name in self.template.active_params({**self.default(), **assignment})
            if name in self.by_name
        }

    def canonical(self, assignment: dict[str, Any]) -> dict[str, Any]:
        """The searched parameters that exist at `assignment`, with their values: equal for the same architecture."""
        shaped = self.template.canonical({**self.default(), **assignment})
        return {name: value for name, value in shaped.items() if name in self.by_name}

    def hierarchy(self) -> dict[str, dict[Any, list[str]]] | None:
        """The conditional space as a tree, for a hierarchical encoding (Ax's `dependents`): for each
        parent, its values, each with the searched parameters that exist under it (read only by
        conditions on that one parent). {} for a space without conditions; None when some condition
        reads several parameters, a float range, or a parameter that is not searched."""
        template = self.template
        tree: dict[str, dict[Any, list[str]]] = {}
        for dim in self.dimensions:
            if not dim.parents:
                continue
            if len(dim.parents) != 1 or dim.parents[0] not in self.by_name:
                return None
            parent = self.by_name[dim.parents[0]]
            when = template.params[dim.name].when
            if parent.values is None or when is None:
                return None  # a float range has no values to hang children on
            children = tree.setdefault(parent.name, {value: [] for value in parent.values})
            for value in parent.values:
                scope = {**template.static_scope, parent.name: value}
                if truth(evaluate(when, scope), when.span):
                    children[value].append(dim.name)
        return tree

    def random_point(self, rng: random.Random) -> dict[str, Any]:
        """A random point: uniform over distinct architectures when parameters are conditional (a float
        range weighs as its grid, then draws within its range), else uniform over each dimension."""
        if self.template.conditional:
            return self._random_distinct(rng)
        point = dict(self.default())
        for dim in self.dimensions:
            if dim.values is not None:
                point[dim.name] = dim.values[rng.randrange(len(dim.values))]
            elif dim.low is not None and dim.high is not None:
                point[dim.name] = rng.uniform(dim.low, dim.high)
        return point

    def _random_distinct(self, rng: random.Random) -> dict[str, Any]:
        if self._branches is None:
            self._branches = branches(self.template, self.float_points)
        shaped = draw(self.template, rng, self.float_points, self._branches)
        point = {**self.default(), **shaped}
        for dim in self.dimensions:
            if dim.low is not None and dim.high is not None and dim.name in shaped:
                point[dim.name] = rng.uniform(dim.low, dim.high)  # a float range: anywhere within it
        return point

    def neighbours(self, assignment: dict[str, Any], name: str) -> list[dict[str, Any]]:
        """The points differing from `assignment` in `name` only, nearest value first."""
        dim = self.by_name[name]
        grid = dim.grid(self.float_points)
        current = assignment[name]
        if dim.finite:
            here = dim.index(current)
            order = sorted(range(len(grid)), key=lambda i: (abs(i - here) if not dim.categorical else 1, i))
            values = [grid[i] for i in order if i != here]
        else:
            values = sorted((v for v in grid if v != current), key=lambda v: (abs(v - current), v))
        return [{**assignment, name: v} for v in values]

    # -- feasibility ---------------------------------------------------------
    def feasibility(self, assignment: dict[str, Any]) -> Feasibility:
        """Constraints, then the architecture, then the linter's errors, then budgets."""
        key = self.key(assignment)
        found = self._feasibility.get(key)
        if found is None:
            found = self._feasibility[key] = self._check(assignment)
        return found

    def feasible(self, assignment: dict[str, Any]) -> bool:
        return self.feasibility(assignment).ok

    def _check(self, assignment: dict[str, Any]) -> Feasibility:
        from ..language.printer import expr_text

        template = self.template
        full = {**self.default(), **assignment}
        try:
            scope = template.scope(full)
            for constraint in template.constraints:
                if evaluate(constraint.expr, scope) is not True:
                    return Feasibility(False, f"constraint {expr_text(constraint.expr)} fails")
        except EvalError as e:
            return Feasibility(False, e.message)
        try:
            arch = template.instantiate(full)
        except (InstantiateError, ArchonError) as e:
            return Feasibility(False, e.diagnostics[0].message if e.diagnostics else str(e))
        if self.rules:
            errors = _rule_errors(template, full)
            if errors is None:
                self.rules_checked = False
            elif errors:
                return Feasibility(False, f"{errors[0].code} {errors[0].name}: {errors[0].message}", arch)
        figures = plan_figures(arch)
        for budget in arch.budgets:
            value = figures.get(budget.metric)
            if value is not None and not budget.allows(value):
                return Feasibility(
                    False,
                    f"budget {budget.metric} {budget.op} {format_value(budget.limit)} fails "
                    f"({budget.metric} = {format_value(value)})",
                    arch,
                    figures,
                )
        return Feasibility(True, None, arch, figures)

    def first_feasible(self, limit: int = ENUMERABLE) -> dict[str, Any] | None:
        """The default if feasible, else the first feasible point in lexicographic order."""
        if self.feasible(self.default()):
            return self.default()
        for index in range(min(self.grid_size(), limit)):
            point = self.point_at(index)
            if self.feasible(point):
                return point
        return None

    def nearest(self, assignment: dict[str, Any], accept, *, limit: int = 5000) -> dict[str, Any] | None:
        """The finite-grid point nearest `assignment` (index steps; a categorical change is one) that
        `accept` takes, looking at no more than `limit` points; ties go to the lexicographically first."""
        start = {**self.default(), **assignment}
        dims = [d for d in self.dimensions if d.finite]
        if accept(start):
            return start
        here = [d.index(start[d.name]) for d in dims]
        seen = 0
        for radius in range(1, sum(len(d.values or ()) for d in dims) + 1):
            for offsets in _offsets(dims, here, radius):
                point = dict(start)
                for dim, i in zip(dims, offsets, strict=True):
                    point[dim.name] = (dim.values or ())[i]
                seen += 1
                if accept(point):
                    return point
                if seen >= limit:
                    return None
        return None


def _offsets(dims: list[Dimension], here: list[int], radius: int) -> Iterator[list[int]]:
    """Index vectors at exactly `radius` steps from `here`."""

    def walk(k: int, left: int) -> Iterator[list[int]]:
        if k == len(dims):
            if left == 0:
                yield []
            return
        dim, h = dims[k], here[k]
        options = []
        for i in range(len(dim.values or ())):
            step = (0 if i == h else 1) if dim.categorical else abs(i - h)
            if step <= left:
                options.append((step, i))
        for step, i in sorted(options):
            for rest in walk(k + 1, left - step):
                yield [i, *rest]

    yield from walk(0, radius)


def _dimension(param: Param) -> Dimension | None:
    """The searched dimension of a parameter; None when it has a single value."""
    when = expr_text(param.when) if param.when is not None else None
    if param.values is not None:
        if len(param.values) < 2:
            return None
        values = param.values
        if param.type in ("int", "float"):
            values = sorted(values)  # {8, 2, 4}: 4 is between 2 and 8, whatever the order written
        return Dimension(param.name, param.type, tuple(values), when=when, parents=param.parents)
    if param.low == param.high:
        return None
    return Dimension(param.name, param.type, None, param.low, param.high, when=when, parents=param.parents)
