"""A rule's documentation page, as `archonc explain` prints it and docs/rules/ holds it."""

from __future__ import annotations

from collections.abc import Iterable

from .base import Rule


def rule_page(rule: Rule) -> str:
    return f"# {rule.code} {rule.name} ({rule.severity.value})\n\n{rule.summary}\n\n{rule.docs}"


def index_page(rules: Iterable[Rule]) -> str:
    lines = [
        "# Rules",
        "",
        "`archonc validate` runs every rule below; `archonc explain CODE` prints a page.",
        "Codes: `E` the file's structure, `A` the Archon paper's rules (Table 4), `S` further static checks.",
        "The codes other steps report (reading files, import and export, runs, search) are in",
        "[codes/](../codes/README.md).",
        "",
        "| code | name | severity | what it finds |",
        "| --- | --- | --- | --- |",
    ]
    for rule in rules:
        lines.append(
            f"| [{rule.code}]({rule.code}.md) | {rule.name} | {rule.severity.value} | {rule.summary} |"
        )
    return "\n".join(lines) + "\n"
