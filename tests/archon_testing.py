"""Shared test helpers: checking .arch snippets and comparing with golden files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE_GOLDEN = bool(os.environ.get("ARCHON_UPDATE_GOLDEN"))


def findings(text: str, select: str | None = None, **options) -> list[dict]:
    """The diagnostics of checking `text`, as plain dicts of code, line, message, when."""
    from archon_dsl.checker import check_text

    result = check_text(text, "test.arch", select=[select] if select else None, **options)
    return [
        {
            "code": d.code,
            "line": d.span.line if d.span else None,
            "message": d.message,
            "when": d.when,
            "severity": d.severity.value,
        }
        for d in result.diagnostics
    ]


def codes(text: str, select: str | None = None) -> list[tuple[str, int | None]]:
    return [(f["code"], f["line"]) for f in findings(text, select)]


def assert_golden(path: Path, actual: str) -> None:
    """Compare with a golden file; ARCHON_UPDATE_GOLDEN=1 rewrites it."""
    if UPDATE_GOLDEN or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        if not UPDATE_GOLDEN:
            pytest.fail(f"golden file {path} was missing and has been written; check it and rerun")
    assert actual == path.read_text(encoding="utf-8"), (
        f"differs from {path} (ARCHON_UPDATE_GOLDEN=1 rewrites)"
    )
