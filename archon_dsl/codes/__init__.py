"""Every diagnostic code any command can emit, in one table: the rules, then the others (files, interop, runs...)."""

from __future__ import annotations

from dataclasses import dataclass

from ..diagnostics import Diagnostic, Severity, Span
from ..rules import RULES, Rule


@dataclass(frozen=True)
class Code:
    """One diagnostic code: its kebab-case name, default severity, a one-line summary and its docs page.

    A rule's entry wraps the rule (which keeps its class and checks); the other
    codes are raised where their problem is met: reading a file, importing JSON, a run.
    """

    code: str
    name: str
    severity: Severity
    summary: str
    # Markdown: what it means, why, an example and what to do.
    docs: str
    # Which commands can report it, as the docs page says.
    emitted_by: str
    rule: Rule | None = None

    @property
    def page(self) -> str:
        """The docs page, relative to the repository root."""
        return f"docs/rules/{self.code}.md" if self.rule is not None else f"docs/codes/{self.code}.md"

    def diagnostic(
        self,
        message: str,
        span: Span | None = None,
        path: str | None = None,
        hint: str | None = None,
        severity: Severity | None = None,
    ) -> Diagnostic:
        """A finding of this code."""
        return Diagnostic(self.code, self.name, severity or self.severity, message, span, path, hint)


# Rules are validate's checks; plan, run, search and rank-models make them before they start.
CHECKED = "validate (and the commands that run, before they start)"


def _of_rule(rule: Rule) -> Code:
    return Code(rule.code, rule.name, rule.severity, rule.summary, rule.docs, CHECKED, rule)


def _others() -> tuple[Code, ...]:
    from . import files, interop, rendering, running, search

    return files.CODES + interop.CODES + running.CODES + search.CODES + rendering.CODES


CODES: tuple[Code, ...] = tuple(_of_rule(rule) for rule in RULES) + _others()
BY_CODE: dict[str, Code] = {entry.code: entry for entry in CODES}
BY_NAME: dict[str, Code] = {entry.name: entry for entry in CODES}


def find_code(code_or_name: str) -> Code | None:
    """A code by itself (case-insensitive) or by its kebab-case name."""
    return BY_CODE.get(code_or_name.upper()) or BY_NAME.get(code_or_name.lower())


__all__ = ["BY_CODE", "BY_NAME", "CODES", "Code", "find_code"]
