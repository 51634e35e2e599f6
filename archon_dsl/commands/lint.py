"""The front end's commands: validate, fmt, expand, space, rules, explain.

They parse their arguments with argparse rather than Typer: `archonc validate`
must start in a fraction of a second, and importing Typer alone costs about
as much as lark, pydantic and networkx together. `register` lists them in the
Typer app (for `archonc --help`) and hands their arguments back here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..diagnostics import ArchonError
from .common import (
    EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, fail_usage, instantiate_or_exit, load_template_or_exit, print_diagnostics,
    write_output,
)

COMMANDS = ("validate", "fmt", "expand", "space", "rules", "explain")


def _codes(values: list[str] | None) -> list[str]:
    return [code.strip() for value in values or [] for code in value.split(",") if code.strip()]


def validate(args: argparse.Namespace) -> int:
    """Check .arch files against every rule, over each template's whole space."""
    from ..checker import RuleSelection, arch_files, check_path
    from ..report import render, use_colour

    selection = RuleSelection(_codes(args.select), _codes(args.ignore))
    unknown = selection.unknown_patterns()
    if unknown:
        fail_usage(f"no rule matches {', '.join(unknown)}", "`archonc rules` lists the rules")
    for path in args.paths:
        if not path.exists():
            fail_usage(f"{path}: no such file or directory")
    files = arch_files(args.paths)
    if not files:
        fail_usage(f"no .arch files under {', '.join(map(str, args.paths))}")
    results = []
    for file in files:
        try:
            results.append(check_path(file, select=selection.select, ignore=selection.ignore,
                                      max_points=args.max_points))
        except ArchonError as e:
            print_diagnostics(e)
            return EXIT_USAGE
    colour = args.output is None and args.format == "text" and use_colour(sys.stdout)
    write_output(render(results, args.format, colour=colour), args.output)
    return EXIT_FINDINGS if any(r.errors for r in results) else EXIT_OK


def fmt(args: argparse.Namespace) -> int:
    """Rewrite .arch files in canonical form (comments kept)."""
    from ..checker import arch_files
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
        changed.append(path)
        if args.diff:
            import difflib

            sys.stdout.writelines(difflib.unified_diff(
                original.splitlines(True), formatted.splitlines(True), f"{path} (original)", f"{path} (formatted)",
            ))
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
    """Count a template's configurations: raw, and valid under constraints, budgets and error rules."""
    from ..checker import check_template
    from ..language.printer import expr_text

    template = load_template_or_exit(args.path)
    result = check_template(template, max_points=args.max_points)
    if args.format == "json":
        sys.stdout.write(json.dumps(result.space(), indent=2) + "\n")
        return EXIT_OK
    sampled = f" (of {result.checked:,} sampled)" if result.sampled else ""
    lines = [f"{args.path}: {result.raw:,} raw configurations, {result.valid:,} valid{sampled}"]
    for name, info in result.params.items():
        lines.append(f"  {name}: {info['type']} in {info['domain']} (default {info['default']})")
    for decl in template.constraints:
        lines.append(f"  constraint {expr_text(decl.expr)}")
    for decl in template.budget_decls:
        lines.append(f"  budget {decl.metric} {decl.op} {expr_text(decl.limit)}")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


def rules(args: argparse.Namespace) -> int:
    """List the rules: code, name, severity and what each checks."""
    from ..rules import RULES

    width = max(len(rule.name) for rule in RULES)
    for rule in RULES:
        sys.stdout.write(f"{rule.code}  {rule.name:<{width}}  {rule.severity.value:<7}  {rule.summary}\n")
    return EXIT_OK


def explain(args: argparse.Namespace) -> int:
    """Print a rule's documentation: what it checks, why, an example and the fix."""
    from ..diagnostics import did_you_mean
    from ..rules import BY_CODE, BY_NAME, find_rule
    from ..rules.pages import rule_page

    rule = find_rule(args.code)
    if rule is None:
        guess = did_you_mean(args.code.upper(), BY_CODE) or did_you_mean(args.code.lower(), BY_NAME)
        fail_usage(f"no rule '{args.code}'", f"did you mean {guess}?" if guess else "`archonc rules` lists the rules")
    sys.stdout.write(rule_page(rule))
    return EXIT_OK


def _formats(*choices: str):
    def check(value: str) -> str:
        if value not in choices:
            raise argparse.ArgumentTypeError(f"unknown format '{value}'; choose one of {', '.join(choices)}")
        return value

    return check


def build_parser() -> argparse.ArgumentParser:
    from ..report import FORMATS

    parser = argparse.ArgumentParser(prog="archonc")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help=validate.__doc__, description=validate.__doc__)
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or directories (every .arch below)")
    p.add_argument("--format", "-f", default="text", type=_formats(*FORMATS), help="text, json, sarif or github")
    p.add_argument("--select", action="append", metavar="CODES", help="only these rule codes or prefixes (A,S004)")
    p.add_argument("--ignore", action="append", metavar="CODES", help="skip these rule codes or prefixes")
    p.add_argument("--max-points", type=int, default=50_000, help="sample a template's space past this many points")
    p.add_argument("--output", "-o", type=Path, help="write the report here instead of stdout")
    p.set_defaults(handler=validate)

    p = sub.add_parser("fmt", help=fmt.__doc__, description=fmt.__doc__)
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or directories ('-' for stdin)")
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is not formatted")
    p.add_argument("--diff", action="store_true", help="print a diff instead of writing")
    p.set_defaults(handler=fmt)

    p = sub.add_parser("expand", help=expand.__doc__, description=expand.__doc__)
    p.add_argument("path", type=Path, help="an .arch template")
    p.add_argument("--param", "-p", dest="params", action="append", metavar="NAME=VALUE", help="repeatable")
    p.add_argument("--output", "-o", type=Path, help="write the .arch here")
    p.set_defaults(handler=expand)

    p = sub.add_parser("space", help=space.__doc__, description=space.__doc__)
    p.add_argument("path", type=Path, help="an .arch template")
    p.add_argument("--format", "-f", default="text", type=_formats("text", "json"), help="text or json")
    p.add_argument("--max-points", type=int, default=50_000, help="sample the space past this many points")
    p.set_defaults(handler=space)

    p = sub.add_parser("rules", help=rules.__doc__, description=rules.__doc__)
    p.set_defaults(handler=rules)

    p = sub.add_parser("explain", help=explain.__doc__, description=explain.__doc__)
    p.add_argument("code", help="a rule code (A002) or name (first-layer-generators)")
    p.set_defaults(handler=explain)
    return parser


def run(argv: list[str]) -> int:
    """Run one front-end command; returns the exit code (argparse exits 2 itself on usage errors)."""
    args = build_parser().parse_args(argv)
    return args.handler(args)


def register(app) -> None:
    """List the front-end commands in the Typer app; their arguments are parsed here, by argparse."""
    import typer

    def passthrough(name: str, doc: str):
        def command(ctx) -> None:
            raise SystemExit(run([name, *ctx.args]))

        # Set here: with postponed annotations Typer could not resolve a `typer.Context` string.
        command.__annotations__ = {"ctx": typer.Context, "return": None}
        command.__doc__ = doc
        return command

    settings = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}
    for name in COMMANDS:
        handler = globals()[name]
        app.command(name, context_settings=settings, add_help_option=False, help=handler.__doc__)(
            passthrough(name, handler.__doc__)
        )
