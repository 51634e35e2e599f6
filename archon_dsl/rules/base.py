"""What a rule is: a stable code, a kebab-case name, a severity, docs, and checks that report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from ..diagnostics import Diagnostic, Severity, Span

if TYPE_CHECKING:
    from ..architecture import Architecture
    from ..planner import Plan
    from ..template import Template

# What a rule reports through: message, then optional span, hint and severity (a Reporter, in practice).
Report = Callable[..., None]


@dataclass
class Context:
    """One concrete architecture under check, with figures computed once and shared by rules."""

    arch: Architecture
    template: Template | None = None

    @cached_property
    def graph(self) -> Any:  # networkx.DiGraph (networkx ships no annotations)
        return self.arch.graph()

    @cached_property
    def candidates_in(self) -> list[int]:
        """Candidates entering each layer (the most, where filters may keep fewer)."""
        flow, n = [], 0
        for layer in self.arch.layers:
            flow.append(n)
            n = layer.candidates_out(n)
        return flow

    @cached_property
    def plan(self) -> Plan:
        from ..planner import plan

        return plan(self.arch)


@dataclass
class Reporter:
    """Collects diagnostics for one rule; rules call it and never raise."""

    rule: Rule
    path: str | None
    found: list[Diagnostic] = field(default_factory=list)

    def __call__(
        self,
        message: str,
        span: Span | None = None,
        hint: str | None = None,
        severity: Severity | None = None,
    ) -> None:
        self.found.append(
            Diagnostic(
                self.rule.code,
                self.rule.name,
                severity or self.rule.severity,
                message,
                span,
                self.path,
                hint,
            )
        )


class Rule:
    """Base of every rule. Subclasses set the class attributes and override one or both checks."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity] = Severity.ERROR
    summary: ClassVar[str]
    # Markdown: what it checks, why it matters, a failing example, what to write instead.
    docs: ClassVar[str]

    def check_template(self, template: Template, report: Report) -> None:
        """Checks made once per file, on its declarations (before parameters are chosen)."""

    def check(self, ctx: Context, report: Report) -> None:
        """Checks made on each concrete architecture (each point of a template's space)."""


class DeclarationRule(Rule):
    """A rule whose findings arise while the template's declarations are evaluated.

    The evaluator raises them (it has to stop there); the rule forwards them
    so that they are selected, ignored and documented like any other.
    """

    def check_template(self, template: Template, report: Report) -> None:
        for diag in template.diagnostics:
            if diag.code == self.code:
                report(diag.message, diag.span, diag.hint, diag.severity)
