"""A code's documentation page, as `archonc explain` prints it and docs/rules/ or docs/codes/ holds it."""

from __future__ import annotations

from collections.abc import Iterable

from ..rules.pages import rule_page
from . import Code


def code_page(entry: Code) -> str:
    if entry.rule is not None:
        return rule_page(entry.rule)
    return (
        f"# {entry.code} {entry.name} ({entry.severity.value})\n\n{entry.summary}\n\n"
        f"Reported by: {entry.emitted_by}.\n\n{entry.docs}"
    )


def index_page(codes: Iterable[Code]) -> str:
    lines = [
        "# Diagnostic codes",
        "",
        "Every code a command can report; `archonc explain CODE` prints its page and",
        "`archonc rules` lists them. `validate --select`/`--ignore` take any of them.",
        "The rules (`E001`-`E004`, `A`, `S`) are `validate`'s checks, documented in [rules/](../rules/README.md);",
        "the others are reported where their problem is met: reading a file (`E000`, `E005`-`E007`),",
        "import and export (`J`), a run (`E030`-`E040`, `D`), search and rank-models (`R010`-`R030`),",
        "render (`R001`).",
        "",
        "| code | name | severity | reported by | what it means |",
        "| --- | --- | --- | --- | --- |",
    ]
    for entry in codes:
        link = f"../rules/{entry.code}.md" if entry.rule is not None else f"{entry.code}.md"
        lines.append(
            f"| [{entry.code}]({link}) | {entry.name} | {entry.severity.value} | {entry.emitted_by} | "
            f"{entry.summary} |"
        )
    return "\n".join(lines) + "\n"
