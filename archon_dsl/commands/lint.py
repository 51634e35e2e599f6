"""CLI commands of the front end: validate, fmt, expand, space, rules, explain."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..diagnostics import ArchonError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def fail_usage(message: str, hint: str | None = None) -> None:
    """Print a usage problem and exit 2."""
    sys.stderr.write(f"archonc: error: {message}\n")
    if hint:
        sys.stderr.write(f"  help: {hint}\n")
    raise typer.Exit(EXIT_USAGE)


def print_diagnostics(error: ArchonError, stream=None) -> None:
    """Print the diagnostics an ArchonError carries, with code frames where the source is readable."""
    from ..diagnostics import Source
    from ..report import format_diagnostic, use_colour

    stream = stream or sys.stderr
    colour = use_colour(stream)
    for diag in error.diagnostics:
        source = None
        if diag.path and not diag.path.startswith("<"):
            try:
                source = Source(Path(diag.path).read_text(encoding="utf-8"), diag.path)
            except (OSError, UnicodeDecodeError):
                source = None
        stream.write(format_diagnostic(diag, source, colour))


def _codes(values: Optional[List[str]]) -> list[str]:
    return [code.strip() for value in values or [] for code in value.split(",") if code.strip()]


def load_template_or_exit(path: Path):
    """Load an .arch file; a syntax or declaration error prints and exits 1, an unreadable file exits 2."""
    from ..loader import load

    if not path.exists():
        fail_usage(f"{path}: no such file")
    if path.is_dir():
        fail_usage(f"{path} is a directory; give an .arch file")
    try:
        template = load(path)
    except ArchonError as e:
        print_diagnostics(e)
        raise typer.Exit(EXIT_USAGE if e.diagnostics and e.diagnostics[0].code == "E000" else EXIT_FINDINGS)
    errors = [d for d in template.diagnostics if d.is_error]
    if errors:
        print_diagnostics(ArchonError(errors))
        raise typer.Exit(EXIT_FINDINGS)
    return template


def instantiate_or_exit(template, params: Optional[List[str]]):
    """The concrete architecture for `-p name=value` pairs; bad values print and exit 1."""
    from ..template import InstantiateError, parse_assignment

    try:
        return template.instantiate(parse_assignment(template, params or []))
    except InstantiateError as e:
        print_diagnostics(e)
        code = EXIT_USAGE if e.diagnostics and e.diagnostics[0].code == "E006" else EXIT_FINDINGS
        raise typer.Exit(code)


def validate(
    paths: List[Path] = typer.Argument(..., help="Files or directories (every .arch below)."),
    format: str = typer.Option("text", "--format", "-f", help="text, json, sarif or github."),
    select: Optional[List[str]] = typer.Option(None, "--select", help="Only these rule codes or prefixes (A,S004)."),
    ignore: Optional[List[str]] = typer.Option(None, "--ignore", help="Skip these rule codes or prefixes."),
    max_points: int = typer.Option(50_000, "--max-points", help="Sample the space past this many points."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report here instead of stdout."),
) -> None:
    """Check .arch files against every rule, over each template's whole space."""
    from ..check import RuleSelection, arch_files, check_path
    from ..report import FORMATS, render, use_colour

    if format not in FORMATS:
        fail_usage(f"unknown format '{format}'", f"choose one of {', '.join(FORMATS)}")
    selection = RuleSelection(_codes(select), _codes(ignore))
    unknown = selection.unknown_patterns()
    if unknown:
        fail_usage(f"no rule matches {', '.join(unknown)}", "`archonc rules` lists the rules")
    for path in paths:
        if not path.exists():
            fail_usage(f"{path}: no such file or directory")
    files = arch_files(paths)
    if not files:
        fail_usage(f"no .arch files under {', '.join(map(str, paths))}")
    results = []
    for file in files:
        try:
            results.append(check_path(file, select=selection.select, ignore=selection.ignore, max_points=max_points))
        except ArchonError as e:
            print_diagnostics(e)
            raise typer.Exit(EXIT_USAGE)
    stream = sys.stdout
    text = render(results, format, colour=output is None and format == "text" and use_colour(stream))
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        stream.write(text)
    raise typer.Exit(EXIT_FINDINGS if any(r.errors for r in results) else EXIT_OK)


def fmt(
    paths: List[Path] = typer.Argument(..., help="Files or directories to format in place ('-' for stdin)."),
    check: bool = typer.Option(False, "--check", help="Change nothing; exit 1 if a file is not formatted."),
    diff: bool = typer.Option(False, "--diff", help="Print a diff instead of writing."),
) -> None:
    """Rewrite .arch files in canonical form (comments kept)."""
    from ..check import arch_files
    from ..language.parser import ParseError, parse
    from ..language.printer import print_module

    if len(paths) == 1 and str(paths[0]) == "-":
        text = sys.stdin.read()
        try:
            sys.stdout.write(print_module(parse(text, "<stdin>")))
        except ParseError as e:
            print_diagnostics(e)
            raise typer.Exit(EXIT_FINDINGS)
        raise typer.Exit(EXIT_OK)
    for path in paths:
        if not path.exists():
            fail_usage(f"{path}: no such file or directory")
    unformatted, broken = [], False
    for path in arch_files(paths):
        try:
            original = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            fail_usage(f"cannot read {path}: {e}")
        try:
            formatted = print_module(parse(original, str(path)))
        except ParseError as e:
            print_diagnostics(e)
            broken = True
            continue
        if formatted == original:
            continue
        unformatted.append(path)
        if diff:
            import difflib

            sys.stdout.writelines(difflib.unified_diff(
                original.splitlines(True), formatted.splitlines(True), f"{path} (original)", f"{path} (formatted)",
            ))
        elif check:
            sys.stdout.write(f"would reformat {path}\n")
        else:
            path.write_text(formatted, encoding="utf-8")
            sys.stdout.write(f"reformatted {path}\n")
    if broken:
        raise typer.Exit(EXIT_FINDINGS)
    if (check or diff) and unformatted:
        raise typer.Exit(EXIT_FINDINGS)
    if not unformatted and not check:
        sys.stdout.write("nothing to reformat\n")


def expand(
    path: Path = typer.Argument(..., help="An .arch template."),
    params: Optional[List[str]] = typer.Option(None, "--param", "-p", help="name=value (repeatable)."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the .arch here."),
) -> None:
    """Print the concrete architecture for a parameter assignment, as .arch text."""
    template = load_template_or_exit(path)
    arch = instantiate_or_exit(template, params)
    text = arch.to_arch()
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def space(
    path: Path = typer.Argument(..., help="An .arch template."),
    format: str = typer.Option("text", "--format", "-f", help="text or json."),
    max_points: int = typer.Option(50_000, "--max-points", help="Sample the space past this many points."),
) -> None:
    """Count a template's configurations: raw, and valid under constraints, budgets and error rules."""
    from ..check import check_template

    if format not in ("text", "json"):
        fail_usage(f"unknown format '{format}'", "choose text or json")
    template = load_template_or_exit(path)
    result = check_template(template, max_points=max_points)
    if format == "json":
        sys.stdout.write(json.dumps(result.space(), indent=2) + "\n")
        return
    lines = [f"{path}: {result.raw:,} raw configurations, {result.valid:,} valid"
             + (f" (of {result.checked:,} sampled)" if result.sampled else "")]
    for name, info in result.params.items():
        lines.append(f"  {name}: {info['type']} in {info['domain']} (default {info['default']})")
    for name in ("constraints", "budget_decls"):
        for decl in getattr(template, name):
            from ..language.printer import expr_text

            text = expr_text(decl.expr) if name == "constraints" else f"{decl.metric} {decl.op} {expr_text(decl.limit)}"
            lines.append(f"  {'constraint' if name == 'constraints' else 'budget'} {text}")
    sys.stdout.write("\n".join(lines) + "\n")


def rules() -> None:
    """List the rules: code, name, severity and what each checks."""
    from ..rules import RULES

    width = max(len(rule.name) for rule in RULES)
    for rule in RULES:
        sys.stdout.write(f"{rule.code}  {rule.name:<{width}}  {rule.severity.value:<7}  {rule.summary}\n")


def explain(code: str = typer.Argument(..., help="A rule code (A002) or name (first-layer-generators).")) -> None:
    """Print a rule's documentation: what it checks, why, an example and the fix."""
    from ..diagnostics import did_you_mean
    from ..rules import BY_CODE, BY_NAME, find_rule

    rule = find_rule(code)
    if rule is None:
        guess = did_you_mean(code.upper(), BY_CODE) or did_you_mean(code.lower(), BY_NAME)
        fail_usage(f"no rule '{code}'", f"did you mean {guess}?" if guess else "`archonc rules` lists the rules")
    from ..rules.pages import rule_page

    sys.stdout.write(rule_page(rule))


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(fmt)
    app.command()(expand)
    app.command()(space)
    app.command()(rules)
    app.command()(explain)
