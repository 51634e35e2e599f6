"""The front end's commands: validate, fmt, expand, space, rules, explain (nothing heavy is imported)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..diagnostics import ArchonError
from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    add_command,
    add_params_option,
    choice,
    fail_usage,
    instantiate_or_exit,
    load_template_or_exit,
    positive_int,
    print_diagnostics,
    write_output,
)


def _codes(values: list[str] | None) -> list[str]:
    return [code.strip() for value in values or [] for code in value.split(",") if code.strip()]


def validate(args: argparse.Namespace) -> int:
    """Check .arch files against every rule, over each template's whole space."""
    from ..checker import CheckResult, RuleSelection, arch_files, check_path
    from ..report import render, use_colour

    selection = RuleSelection(_codes(args.select), _codes(args.ignore))
    unknown = selection.unknown_patterns()
    if unknown:
        fail_usage(f"no code matches {', '.join(unknown)}", "`archonc rules` lists the codes")
    for path in args.paths:
        if not path.exists():
            fail_usage(f"{path}: no such file or directory")
    files = arch_files(args.paths)
    if not files:
        fail_usage(f"no .arch files under {', '.join(map(str, args.paths))}")
    named = {path for path in args.paths if not path.is_dir()}
    results, unreadable_named = [], []
    for file in files:
        try:
            results.append(
                check_path(file, select=selection.select, ignore=selection.ignore, max_points=args.max_points)
            )
        except ArchonError as e:  # cannot be read or decoded: a finding of that file; the others still report
            results.append(CheckResult(path=str(file), diagnostics=e.diagnostics, raw=0, valid=0, checked=0))
            if file in named:
                unreadable_named.append(e.diagnostics[0].message)
    colour = args.output is None and args.format == "text" and use_colour(sys.stdout)
    write_output(render(results, args.format, colour=colour), args.output)
    for message in unreadable_named:  # a file named on the command line that cannot be read: a usage problem
        sys.stderr.write(f"archonc: error: {message}\n")
    if unreadable_named:
        return EXIT_USAGE
    return EXIT_FINDINGS if any(r.errors for r in results) else EXIT_OK


def fmt(args: argparse.Namespace) -> int:
    """Rewrite .arch files in canonical form (comments kept)."""
    from ..checker import arch_files
    from ..diagnostics import read_source
    from ..language.parser import ParseError, parse
    from ..language.printer import print_module

    if [str(p) for p in args.paths] == ["-"]:
        try:
            sys.stdout.write(print_module(parse(sys.stdin.read(), "<stdin>")))
        except ParseError as e:
            print_diagnostics(e)
            return EXIT_FINDINGS
        return EXIT_OK
    for path in args.paths:
        if not path.exists():
            fail_usage(f"{path}: no such file or directory")
    changed, broken = [], False
    for path in arch_files(args.paths):
        try:
            original = read_source(path)
            formatted = print_module(parse(original, str(path)))
        except ArchonError as e:  # unreadable or a syntax error: say so, leave the file, format the others
            print_diagnostics(e)
            broken = True
            continue
        if formatted == original:
            continue
        changed.append(path)
        if args.diff:
            import difflib

            sys.stdout.writelines(
                difflib.unified_diff(
                    original.splitlines(True),
                    formatted.splitlines(True),
                    f"{path} (original)",
                    f"{path} (formatted)",
                )
            )
        elif args.check:
            sys.stdout.write(f"would reformat {path}\n")
        else:
            path.write_text(formatted, encoding="utf-8")
            sys.stdout.write(f"reformatted {path}\n")
    if broken or ((args.check or args.diff) and changed):
        return EXIT_FINDINGS
    if not changed and not args.check:
        sys.stdout.write("nothing to reformat\n")
    return EXIT_OK


def expand(args: argparse.Namespace) -> int:
    """Print the concrete architecture for a parameter assignment, as .arch text."""
    template = load_template_or_exit(args.path)
    write_output(instantiate_or_exit(template, args.params).to_arch(), args.output)
    return EXIT_OK


def space(args: argparse.Namespace) -> int:
    """Count a template's configurations: raw points, distinct architectures, and valid ones.

    Valid means inside the constraints and budgets, with no error-level finding."""
    from ..checker import check_template
    from ..language.printer import expr_text

    template = load_template_or_exit(args.path)
    result = check_template(template, max_points=args.max_points)
    if args.format == "json":
        sys.stdout.write(json.dumps(result.space(), indent=2) + "\n")
        return EXIT_OK
    sampled = f" (of {result.checked:,} sampled)" if result.sampled else ""
    # Conditional parameters make raw points and distinct architectures differ; `valid` counts architectures.
    distinct = f", {result.distinct:,} distinct architectures" if result.distinct != result.raw else ""
    lines = [f"{args.path}: {result.raw:,} raw configurations{distinct}, {result.valid:,} valid{sampled}"]
    for name, info in result.params.items():
        when = f" when {info['when']}" if "when" in info else ""
        lines.append(f"  {name}: {info['type']} in {info['domain']} (default {info['default']}){when}")
    for decl in template.constraints:
        lines.append(f"  constraint {expr_text(decl.expr)}")
    for decl in template.budget_decls:
        lines.append(f"  budget {decl.metric} {decl.op} {expr_text(decl.limit)}")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def rules(args: argparse.Namespace) -> int:
    """List every diagnostic code: the rules validate runs, then the codes other commands report."""
    from ..codes import CODES

    width = max(len(entry.name) for entry in CODES)
    for entry in CODES:
        sys.stdout.write(f"{entry.code}  {entry.name:<{width}}  {entry.severity.value:<7}  {entry.summary}\n")
    return EXIT_OK


def explain(args: argparse.Namespace) -> int:
    """Print a code's documentation: what it checks or means, why, an example and the fix."""
    from ..codes import BY_CODE, BY_NAME, find_code
    from ..codes.pages import code_page
    from ..diagnostics import did_you_mean

    entry = find_code(args.code)
    if entry is None:
        guess = did_you_mean(args.code.upper(), BY_CODE) or did_you_mean(args.code.lower(), BY_NAME)
        fail_usage(
            f"no code '{args.code}'", f"did you mean {guess}?" if guess else "`archonc rules` lists the codes"
        )
    sys.stdout.write(code_page(entry))
    return EXIT_OK


def add_commands(sub) -> None:
    """Add the front end's commands to `archonc`'s parser."""
    from ..report import FORMATS

    p = add_command(sub, "validate", validate)
    p.add_argument(
        "paths", nargs="+", type=Path, metavar="PATH", help="files or directories (every .arch below)"
    )
    p.add_argument(
        "--format",
        "-f",
        default="text",
        type=choice(*FORMATS),
        metavar="FORMAT",
        help="text, json, sarif or github (default: text)",
    )
    p.add_argument("--select", action="append", metavar="CODES", help="only these codes or prefixes (A,S004)")
    p.add_argument("--ignore", action="append", metavar="CODES", help="skip these codes or prefixes")
    p.add_argument(
        "--max-points",
        type=positive_int("--max-points"),
        default=50_000,
        metavar="N",
        help="sample a template's space past N points (default: 50000)",
    )
    p.add_argument(
        "--output", "-o", type=Path, metavar="FILE", help="write the report here instead of stdout"
    )

    p = add_command(sub, "fmt", fmt)
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or directories ('-' for stdin)")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is not formatted")
    p.add_argument("--diff", action="store_true", help="print a diff instead of writing")

    p = add_command(sub, "expand", expand)
    p.add_argument("path", type=Path, metavar="FILE", help="an .arch template")
    add_params_option(p)
    p.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the .arch here (default: stdout)")

    p = add_command(sub, "space", space)
    p.add_argument("path", type=Path, metavar="FILE", help="an .arch template")
    p.add_argument(
        "--format",
        "-f",
        default="text",
        type=choice("text", "json"),
        metavar="FORMAT",
        help="text or json (default: text)",
    )
    p.add_argument(
        "--max-points",
        type=positive_int("--max-points"),
        default=50_000,
        metavar="N",
        help="sample the space past N points (default: 50000)",
    )

    add_command(sub, "rules", rules)

    p = add_command(sub, "explain", explain)
    p.add_argument("code", metavar="CODE", help="a code (A002, E005) or name (first-layer-generators)")
