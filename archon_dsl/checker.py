"""Runs the rules on one architecture, or over a template's whole space of configurations."""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .architecture import Architecture
from .diagnostics import ArchonError, Diagnostic, Severity, Source, gc_frozen, read_source
from .rules import RULES, Context, Rule
from .rules.budget_exceeded import plan_figure
from .rules.unsatisfiable_space import UnsatisfiableSpace
from .space_conditions import describe_condition
from .template import EvalError, InstantiateError, Template, describe_assignment, format_value

_DIGITS = re.compile(r"\d+")
# A memo key's value for a parameter that does not exist at a point (inactive).
_ABSENT = ("absent",)
# Past this many points a space is sampled rather than enumerated.
MAX_POINTS = 50_000


@dataclass
class CheckResult:
    """What checking one file found, and how much of its space is valid."""

    path: str
    diagnostics: list[Diagnostic]
    source: Source | None = None
    raw: int = 1  # points in the space: every parameter's values multiplied, conditions ignored
    valid: int = 0  # distinct architectures meeting every constraint and budget with no error-level finding
    checked: int = 1  # distinct architectures examined (fewer than `distinct` when the space was sampled)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    distinct: int = -1  # distinct architectures: points differing only in inactive parameters are one

    def __post_init__(self) -> None:
        if self.distinct < 0:
            self.distinct = self.raw

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def sampled(self) -> bool:
        return self.checked < self.distinct

    def space(self) -> dict[str, Any]:
        return {
            "raw": self.raw,
            "distinct": self.distinct,
            "valid": self.valid,
            "checked": self.checked,
            "params": self.params,
        }


class RuleSelection:
    """`--select` / `--ignore` by code prefix (`A`, `S00`, `S004`) or by name, as ruff does."""

    def __init__(self, select: Iterable[str] | None = None, ignore: Iterable[str] | None = None):
        self.select = [s.strip() for s in (select or []) if s.strip()]
        self.ignore = [s.strip() for s in (ignore or []) if s.strip()]

    @staticmethod
    def _matches(code: str, name: str, pattern: str) -> bool:
        return code.upper().startswith(pattern.upper()) or name == pattern.lower()

    def enabled(self, code: str, name: str = "") -> bool:
        if self.select and not any(self._matches(code, name, p) for p in self.select):
            return False
        return not any(self._matches(code, name, p) for p in self.ignore)

    def unknown_patterns(self) -> list[str]:
        """Patterns that match no registered code: any code a command can report may be selected."""
        from .codes import CODES

        return [
            p for p in self.select + self.ignore if not any(self._matches(c.code, c.name, p) for c in CODES)
        ]


def _run(rule: Rule, method: str, target, path: str | None) -> list[Diagnostic]:
    from .rules.base import Reporter

    reporter = Reporter(rule, path)
    getattr(rule, method)(target, reporter)
    return reporter.found


def check_architecture(
    arch: Architecture, *, template: Template | None = None, rules: Iterable[Rule] = RULES
) -> list[Diagnostic]:
    """Findings of the per-architecture rules on one concrete architecture."""
    ctx = Context(arch, template)
    found: list[Diagnostic] = []
    for rule in rules:
        found.extend(_run(rule, "check", ctx, arch.path))
    return found


def _params_summary(template: Template) -> dict[str, dict[str, Any]]:
    from .language.printer import expr_text

    summary = {}
    for name, param in template.params.items():
        entry: dict[str, Any] = {
            "type": param.type,
            "default": _jsonable(param.default),
            "domain": param.domain_text(),
        }
        if param.when is not None:
            entry["when"] = expr_text(param.when)
        if param.values is not None:
            entry["values"] = [_jsonable(v) for v in param.values]
        else:
            entry["low"], entry["high"] = param.low, param.high
        summary[name] = entry
    return summary


def _jsonable(value: Any) -> Any:
    from .architecture import ModelSpec

    return value.name if isinstance(value, ModelSpec) else value


@dataclass
class _PointResult:
    """What checking one point found; shared by every point that reads the same values."""

    reads: tuple[str, ...]
    diagnostics: list[Diagnostic]
    ok: bool
    instantiated: bool
    excluded: bool = False  # over a budget, in a template: outside the space
    budgets_met: tuple[int, ...] = ()


def _evaluate_point(template: Template, point: dict, arch_rules, selection: RuleSelection, has_params: bool):
    reads: set[str] = set()
    try:
        arch = template.instantiate(point, reads=reads)
    except InstantiateError as e:
        diags = [d for d in e.diagnostics if selection.enabled(d.code, d.name)]
        return _PointResult(tuple(sorted(reads)), diags, not any(d.is_error for d in diags), False)
    ctx = Context(arch, template)
    met = []
    for b_index, budget in enumerate(arch.budgets):
        value = plan_figure(ctx.plan, budget.metric)
        if value is None or budget.allows(value):
            met.append(b_index)
    reads_key = tuple(sorted(reads))
    if len(met) < len(arch.budgets) and has_params:
        # A budget restricts a template's space like a constraint does.
        return _PointResult(reads_key, [], False, True, excluded=True, budgets_met=tuple(met))
    diags = []
    for rule in arch_rules:
        diags.extend(d for d in _run(rule, "check", ctx, template.path) if selection.enabled(d.code, d.name))
    return _PointResult(reads_key, diags, not any(d.is_error for d in diags), True, budgets_met=tuple(met))


@dataclass
class _Finding:
    diagnostic: Diagnostic
    points: list[int]
    # Rule findings can only fire where a point instantiated; describe them over those.
    needs_instance: bool = True


def check_template(
    template: Template,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    max_points: int = MAX_POINTS,
    seed: int = 0,
) -> CheckResult:
    """Every rule over every point of `template`'s space (sampled past `max_points`)."""
    space = SpaceCheck(template, RuleSelection(select, ignore), max_points=max_points, seed=seed)
    with gc_frozen():
        result = space.run()
    if select is None and ignore is None:  # every rule: what point_errors answers
        _SPACE_CHECKS[template] = space
    return result


# Each template's last whole-space check (every rule), kept while the template lives: a search checks
# the space up front and then each point it draws, and the second reads the first's memo.
_SPACE_CHECKS: weakref.WeakKeyDictionary[Template, SpaceCheck] = weakref.WeakKeyDictionary()


def point_errors(template: Template, assignment: dict[str, Any]) -> list[Diagnostic]:
    """Error-level rule findings on the architecture at `assignment`, through the memo of the template's
    whole-space check (points agreeing on the parameters read share one result), started if none ran."""
    space = _SPACE_CHECKS.get(template)
    if space is None:
        space = _SPACE_CHECKS[template] = SpaceCheck(template, RuleSelection())
    return [d for d in space.point_result(assignment).diagnostics if d.is_error]


class SpaceCheck:
    """One check of a template's space: enumerate the points, memoise each instantiation on the
    parameters it read, run the rules, and condense each finding into the "when ..." it holds."""

    def __init__(
        self, template: Template, selection: RuleSelection, *, max_points: int = MAX_POINTS, seed: int = 0
    ):
        self.template = template
        self.selection = selection
        self.path = template.path
        self.rules = [r for r in RULES if selection.enabled(r.code, r.name)]
        self.arch_rules = [r for r in self.rules if type(r).check is not Rule.check]
        self.has_params = bool(template.params)
        self.raw = template.raw_size()
        # The space is its distinct architectures: points that differ only in inactive
        # (conditional) parameters are one architecture, checked once.
        self.declaration_errors: list[Diagnostic] = []
        try:
            self.distinct = template.distinct_size()
            self.points = (
                list(template.distinct_points())
                if self.distinct <= max_points
                else template.sample(max_points, seed)
            )
        except EvalError as e:  # a `when` that cannot be evaluated: no point can be told apart
            self.declaration_errors.append(e.diagnostic(self.path))
            self.distinct, self.points = 0, []

        self.findings: dict[tuple, _Finding] = {}
        self.considered: list[int] = []  # points inside the constraints and budgets
        self.instantiated: list[int] = []  # ... of which gave an architecture
        self.valid = 0
        self.constraint_pass = [0] * len(template.constraints)
        self.budget_pass: dict[int, int] = {}
        self.cumulative_constraints = 0
        self.instantiated_any = False
        # Points that agree on the parameters an instantiation read give the same
        # architecture: results are memoised per set of parameters read.
        self.memo: dict[tuple[str, ...], dict[tuple, _PointResult]] = {}

    def run(self) -> CheckResult:
        diagnostics = self.declaration_findings()
        for index, point in enumerate(self.points):
            self.check_point(index, point)
        diagnostics.extend(self.condensed_findings())
        diagnostics.extend(self.unsatisfiable_findings())
        return CheckResult(
            path=self.path,
            diagnostics=_dedupe(diagnostics),
            source=None,
            raw=self.raw,
            valid=self.valid if not _fatal(diagnostics) else 0,
            checked=len(self.points),
            params=_params_summary(self.template),
            distinct=self.distinct,
        )

    def declaration_findings(self) -> list[Diagnostic]:
        """The template-wide rules' findings, and declaration problems with no rule module of their own."""
        diagnostics: list[Diagnostic] = [
            d for d in self.declaration_errors if self.selection.enabled(d.code, d.name)
        ]
        for rule in self.rules:
            diagnostics.extend(_run(rule, "check_template", self.template, self.path))
        # Declaration problems whose code has no rule module of its own (e.g. include errors).
        forwarded = {r.code for r in RULES}
        diagnostics.extend(
            d for d in self.template.diagnostics if d.code not in forwarded and self.selection.enabled(d.code)
        )
        return diagnostics

    def check_point(self, index: int, point: dict[str, Any]) -> None:
        # Constraints first: a point outside them is not part of the space.
        try:
            passes = self.template.constraint_results(point)
        except EvalError as e:
            self.note(e.diagnostic(self.path), index, needs_instance=False)
            return
        for i, ok in enumerate(passes):
            self.constraint_pass[i] += ok
        if not all(passes):
            return
        self.cumulative_constraints += 1
        result = self.point_result(point)
        self.instantiated_any |= result.instantiated
        for b_index in result.budgets_met:
            self.budget_pass[b_index] = self.budget_pass.get(b_index, 0) + 1
        if result.excluded:
            return
        self.considered.append(index)
        if result.instantiated:
            self.instantiated.append(index)
        for diag in result.diagnostics:
            self.note(diag, index, result.instantiated)
        self.valid += result.ok

    def point_result(self, point: dict[str, Any]) -> _PointResult:
        """The memoised result of a point that agrees with an earlier one on what it read, else a fresh one."""
        for read_names, table in self.memo.items():
            result = table.get(tuple(point.get(n, _ABSENT) for n in read_names))
            if result is not None:
                return result
        result = _evaluate_point(self.template, point, self.arch_rules, self.selection, self.has_params)
        self.memo.setdefault(result.reads, {})[tuple(point.get(n, _ABSENT) for n in result.reads)] = result
        return result

    def note(self, diag: Diagnostic, index: int, needs_instance: bool = True) -> None:
        # Findings that differ only in figures are one finding over several points.
        key = (diag.code, diag.span, diag.severity, _DIGITS.sub("#", diag.message))
        found = self.findings.get(key)
        if found is None:
            self.findings[key] = _Finding(diag, [index], needs_instance)
        elif found.points[-1] != index:
            found.points.append(index)

    def condensed_findings(self) -> list[Diagnostic]:
        """Each finding once, with the "when ..." condition on the parameters under which it holds."""
        names = list(self.template.params)
        points = self.points
        out = []
        for finding in self.findings.values():
            diag = finding.diagnostic
            if self.has_params:
                universe = self.instantiated if finding.needs_instance else self.considered
                members = set(universe)
                triggered = [i for i in finding.points if i in members]
                if triggered and len(triggered) < len(universe):
                    diag.when = describe_condition(
                        names,
                        [points[i] for i in universe],
                        _positions(universe, triggered),
                        self.template.params,
                    )
                elif not triggered and finding.points:
                    diag.when = f"e.g. {describe_assignment(points[finding.points[0]])}"
            out.append(diag)
        return out

    def unsatisfiable_findings(self) -> list[Diagnostic]:
        """The unsatisfiable-space finding: the constraint, or else the budget, that leaves no point of the space."""
        template = self.template
        if not self.selection.enabled(UnsatisfiableSpace.code, UnsatisfiableSpace.name) or not self.points:
            return []
        path = template.path
        out = []
        if template.constraints and self.cumulative_constraints == 0:
            # Name the first constraint that nothing satisfies, else the conjunction.
            culprit = next(
                (c for c, n in zip(template.constraints, self.constraint_pass, strict=True) if n == 0),
                template.constraints[-1],
            )
            alone = self.constraint_pass[template.constraints.index(culprit)] == 0
            out.append(
                Diagnostic(
                    UnsatisfiableSpace.code,
                    UnsatisfiableSpace.name,
                    Severity.ERROR,
                    "no point of the space satisfies this constraint"
                    if alone
                    else "no point of the space satisfies all constraints together; this one excludes the last",
                    culprit.span,
                    path,
                    "check the direction of the comparison and the parameter domains",
                )
            )
        elif self.instantiated_any and not self.considered and template.budget_decls:
            budget = next(
                (b for i, b in enumerate(template.budget_decls) if self.budget_pass.get(i, 0) == 0),
                template.budget_decls[0],
            )
            out.append(
                Diagnostic(
                    UnsatisfiableSpace.code,
                    UnsatisfiableSpace.name,
                    Severity.ERROR,
                    f"no point of the space is within this budget ({budget.metric})",
                    budget.span,
                    path,
                    "raise the budget, or shrink the layers it covers",
                )
            )
        return out


def _positions(considered: list[int], triggered: list[int]) -> set[int]:
    where = {point: position for position, point in enumerate(considered)}
    return {where[i] for i in triggered}


def _fatal(diagnostics: list[Diagnostic]) -> bool:
    """Errors found on the declarations themselves make every point invalid."""
    return any(d.is_error and d.when is None and d.code.startswith("E") for d in diagnostics)


def _dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple] = set()
    out = []
    for diag in diagnostics:
        key = (diag.code, diag.span, diag.message)
        if key in seen:
            continue
        seen.add(key)
        out.append(diag)
    out.sort(key=Diagnostic.sort_key)
    return out


def check_configuration(arch: Architecture, template: Template | None = None) -> CheckResult:
    """validate's rules on the one configuration that is about to run: the template's own findings
    (declarations, template-wide rules) and the findings of every rule on `arch`."""
    diagnostics: list[Diagnostic] = []
    if template is not None:
        for rule in RULES:
            diagnostics.extend(_run(rule, "check_template", template, template.path))
        forwarded = {r.code for r in RULES}
        diagnostics.extend(d for d in template.diagnostics if d.code not in forwarded)
    diagnostics.extend(check_architecture(arch, template=template))
    diagnostics = _dedupe(diagnostics)
    path = template.path if template is not None else (arch.path or "<architecture>")
    return CheckResult(
        path=path, diagnostics=diagnostics, valid=int(not any(d.is_error for d in diagnostics))
    )


def check_text(text: str, path: str = "<string>", **options) -> CheckResult:
    """Parse and check .arch text; a syntax error is a finding, not an exception."""
    from .loader import load_text

    source = Source(text, path)
    try:
        template = load_text(text, path)
    except ArchonError as e:
        return CheckResult(path=path, diagnostics=e.diagnostics, source=source, raw=0, valid=0, checked=0)
    result = check_template(template, **options)
    result.source = source
    return result


def check_path(path: str | Path, **options) -> CheckResult:
    """Check one .arch file. An unreadable file raises ArchonError (a usage problem, exit 2)."""
    text = read_source(path)
    return check_text(text, str(path), **options)


def arch_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files to check: each file given, and every .arch below each directory given."""
    found: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found.extend(sorted(q for q in p.rglob("*.arch") if q.is_file()))
        else:
            found.append(p)
    return found


__all__ = [
    "CheckResult",
    "RuleSelection",
    "SpaceCheck",
    "arch_files",
    "check_architecture",
    "check_configuration",
    "check_path",
    "check_template",
    "check_text",
    "format_value",
]
