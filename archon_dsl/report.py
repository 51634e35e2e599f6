"""Diagnostic output: text with a code frame, JSON, SARIF 2.1.0 and GitHub annotations."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .diagnostics import Diagnostic, Severity, Source

if TYPE_CHECKING:
    from .checker import CheckResult

FORMATS = ("text", "json", "sarif", "github")
TOOL_URI = "https://github.com/archon-dsl/archon-dsl"

_COLOURS = {
    "error": "\033[1;31m",
    "warning": "\033[1;33m",
    "info": "\033[1;36m",
    "code": "\033[1m",
    "frame": "\033[34m",
    "reset": "\033[0m",
    "path": "\033[1m",
    "hint": "\033[32m",
}


def use_colour(stream) -> bool:
    """Colour on a terminal, unless NO_COLOR is set (or FORCE_COLOR asks for it anyway)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def _paint(text: str, style: str, colour: bool) -> str:
    return f"{_COLOURS[style]}{text}{_COLOURS['reset']}" if colour else text


def code_frame(source: Source, diag: Diagnostic, colour: bool = False) -> list[str]:
    """The source line(s) of a diagnostic with a caret underline, as ruff and rustc print them."""
    span = diag.span
    if span is None or not source.line(span.line) and span.line > len(source.lines):
        return []
    width = len(str(span.end_line))
    gutter = " " * width + " |"
    lines = [_paint(gutter, "frame", colour)]
    last = min(span.end_line, span.line + 3)
    for number in range(span.line, last + 1):
        text = source.line(number).replace("\t", " ")
        lines.append(_paint(f"{number:>{width}} | ", "frame", colour) + text)
        start = span.column if number == span.line else 1 + (len(text) - len(text.lstrip()))
        end = span.end_column if number == span.end_line else len(text) + 1
        end = max(end, start + 1)
        underline = " " * (start - 1) + "^" * (end - start)
        lines.append(_paint(gutter + " ", "frame", colour) + _paint(underline, diag.severity.value, colour))
    return lines


def _location(diag: Diagnostic) -> str:
    path = diag.path or "<string>"
    if diag.span is None:
        return path
    return f"{path}:{diag.span.line}:{diag.span.column}"


class SourceCache:
    """Source texts by path, each read once: the code frame of a finding in an included file shows that file."""

    def __init__(self, *known: Source | None):
        self._by_path: dict[str, Source | None] = {
            source.path: source for source in known if source is not None
        }

    def get(self, path: str | None) -> Source | None:
        if not path or path.startswith("<"):
            return self._by_path.get(path) if path else None
        if path not in self._by_path:
            from .diagnostics import ArchonError, read_source

            try:  # read_source reads regular files only, size-capped: never a FIFO or a device for a code frame
                self._by_path[path] = Source(read_source(path), path)
            except (ArchonError, ValueError):
                self._by_path[path] = None
        return self._by_path[path]


def format_text(results: Iterable[CheckResult], colour: bool = False, show_space: bool = True) -> str:
    """Human output: `path:line:col: severity: CODE message`, a code frame, the hint and when it fires."""
    out: list[str] = []
    errors = warnings = infos = files = 0
    spaces: list[str] = []
    sources = SourceCache()
    for result in results:
        files += 1
        for diag in result.diagnostics:
            errors += diag.severity is Severity.ERROR
            warnings += diag.severity is Severity.WARNING
            infos += diag.severity is Severity.INFO
            own = diag.path is None or diag.path == result.path
            out.append(format_diagnostic(diag, result.source if own else sources.get(diag.path), colour))
        if show_space and result.params and result.raw:
            sampled = f" (sampled {result.checked:,})" if result.sampled else ""
            spaces.append(
                f"{result.path}: {result.valid:,} of {result.distinct:,} configurations valid{sampled}"
            )
    out.extend(spaces)
    out.append(summary_line(errors, warnings, files, colour, infos))
    return "\n".join(out) + "\n"


def format_diagnostic(diag: Diagnostic, source: Source | None, colour: bool = False) -> str:
    """One finding: its location, severity, code and name, message, code frame, when, notes and help."""
    where = _paint(_location(diag), "path", colour) + ": " if diag.path or diag.span else ""
    head = (
        where
        + _paint(f"{diag.severity.value}:", diag.severity.value, colour)
        + " "
        + _paint(diag.code, "code", colour)
        + f" [{diag.name}] {diag.message}"
    )
    lines = [head]
    if source is not None:
        lines.extend(code_frame(source, diag, colour))
    prefix = "   = " if source is not None and diag.span is not None else "  = "
    if diag.when:
        lines.append(
            f"{prefix}when {diag.when}"
            if not diag.when.startswith(("in ", "e.g."))
            else f"{prefix}{diag.when}"
        )
    for span, note in diag.related:
        lines.append(f"{prefix}note: {note} at line {span.line}, column {span.column}")
    if diag.hint:
        lines.append(prefix + _paint(f"help: {diag.hint}", "hint", colour))
    return "\n".join(lines) + "\n"


def summary_line(errors: int, warnings: int, files: int, colour: bool = False, infos: int = 0) -> str:
    """`Found 1 error and 2 warnings in 3 files (1 info).`; the lowest severity is called info everywhere."""

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    where = plural(files, "file")
    noted = f" ({infos} info)" if infos else ""
    if not errors and not warnings:
        return _paint(f"All checks passed ({where}){noted}.", "hint", colour)
    text = f"Found {plural(errors, 'error')} and {plural(warnings, 'warning')} in {where}{noted}."
    return _paint(text, "error" if errors else "warning", colour)


def format_json(results: Iterable[CheckResult]) -> str:
    """One document: every file's findings and space, and the counts by severity (error, warning, info)."""
    files = []
    errors = warnings = infos = 0
    for result in results:
        diags = [d.to_dict() for d in result.diagnostics]
        errors += sum(d.is_error for d in result.diagnostics)
        warnings += sum(d.severity is Severity.WARNING for d in result.diagnostics)
        infos += sum(d.severity is Severity.INFO for d in result.diagnostics)
        files.append({"path": result.path, "diagnostics": diags, "space": result.space()})
    summary = {"errors": errors, "warnings": warnings, "info": infos}
    return json.dumps({"files": files, "summary": summary}, indent=2) + "\n"


_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def format_sarif(results: Iterable[CheckResult]) -> str:
    """SARIF 2.1.0, one run, every rule described; regions are 1-based as SARIF requires."""
    from . import __version__
    from .codes import BY_CODE
    from .rules import RULES

    # Every rule, then the other codes these results carry (a file that could not be read or loaded).
    results = list(results)
    described = [BY_CODE[rule.code] for rule in RULES]
    for result in results:
        for diag in result.diagnostics:
            entry = BY_CODE.get(diag.code)
            if entry is not None and entry not in described:
                described.append(entry)
    rule_index = {entry.code: i for i, entry in enumerate(described)}
    sarif_results = []
    for result in results:
        for diag in result.diagnostics:
            text = diag.message + (f" (when {diag.when})" if diag.when else "")
            item: dict = {
                "ruleId": diag.code,
                "level": _SARIF_LEVEL[diag.severity],
                "message": {"text": text + (f"\nhelp: {diag.hint}" if diag.hint else "")},
                "locations": [
                    {"physicalLocation": {"artifactLocation": {"uri": _uri(diag.path or result.path)}}}
                ],
            }
            if diag.code in rule_index:
                item["ruleIndex"] = rule_index[diag.code]
            if diag.span is not None:
                item["locations"][0]["physicalLocation"]["region"] = {
                    "startLine": diag.span.line,
                    "startColumn": diag.span.column,
                    "endLine": diag.span.end_line,
                    "endColumn": diag.span.end_column,
                }
            sarif_results.append(item)
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "archonc",
                        "version": __version__,
                        "informationUri": TOOL_URI,
                        "rules": [
                            {
                                "id": entry.code,
                                "name": entry.name,
                                "shortDescription": {"text": entry.summary},
                                "fullDescription": {"text": entry.docs},
                                "defaultConfiguration": {"level": _SARIF_LEVEL[entry.severity]},
                            }
                            for entry in described
                        ],
                    }
                },
                "results": sarif_results,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def _uri(path: str) -> str:
    return path.replace(os.sep, "/")


def _escape_github(text: str, property_: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def format_github(results: Iterable[CheckResult]) -> str:
    """GitHub Actions workflow commands: `::error file=...,line=...::message`."""
    lines = []
    level = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    for result in results:
        for diag in result.diagnostics:
            props = [f"file={_escape_github(diag.path or result.path, True)}"]
            if diag.span is not None:
                props += [
                    f"line={diag.span.line}",
                    f"col={diag.span.column}",
                    f"endLine={diag.span.end_line}",
                    f"endColumn={diag.span.end_column}",
                ]
            props.append(f"title={_escape_github(f'{diag.code} {diag.name}', True)}")
            message = diag.message + (f" (when {diag.when})" if diag.when else "")
            if diag.hint:
                message += f"\nhelp: {diag.hint}"
            lines.append(f"::{level[diag.severity]} {','.join(props)}::{_escape_github(message)}")
    return "\n".join(lines) + ("\n" if lines else "")


def render(results: list[CheckResult], fmt: str, colour: bool = False) -> str:
    if fmt == "text":
        return format_text(results, colour)
    if fmt == "json":
        return format_json(results)
    if fmt == "sarif":
        return format_sarif(results)
    if fmt == "github":
        return format_github(results)
    raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
