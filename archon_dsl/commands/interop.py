"""CLI commands for the original Archon's JSON configs: import and export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..diagnostics import ArchonError, Diagnostic, Severity, Source
from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    add_command,
    add_params_option,
    exit_code,
    fail_usage,
    instantiate_or_exit,
    load_template_or_exit,
    print_diagnostics,
    write_output,
)


def _report(results, stream) -> None:
    """Print check results (import notes, linter findings) with code frames and a summary line."""
    from ..report import format_text, use_colour

    stream.write(format_text(results, colour=use_colour(stream), show_space=False))


def import_config(args: argparse.Namespace) -> int:
    """Turn an Archon JSON config into an .arch file, then lint it.

    The .arch file is written even when the config breaks one of the paper's
    rules (the linter then names the rule, and the exit code is 1); keys the
    original ignores, and settings the language cannot express, are reported
    with their JSON path.
    """
    from ..checker import CheckResult, check_text
    from ..interop import import_file

    config, output, check = args.config, args.output, args.check
    if not config.exists():
        fail_usage(f"{config}: no such file")
    if config.is_dir():
        fail_usage(f"{config} is a directory; give a .json config")
    arch_path = str(output) if output is not None else f"<{config.stem}.arch>"
    try:
        result = import_file(config, arch_path)
    except ArchonError as e:
        print_diagnostics(e)
        return exit_code(e)

    write_output(result.text, output)
    # The report goes where the .arch text does not.
    stream = sys.stdout if output is not None else sys.stderr
    source = Source(config.read_text(encoding="utf-8"), str(config))
    results = [CheckResult(path=str(config), diagnostics=result.diagnostics, source=source, raw=0)]
    if check:
        results.append(check_text(result.text, arch_path))
    _report(results, stream)
    if output is not None:
        stream.write(f"wrote {output}\n")
    return EXIT_FINDINGS if any(r.errors for r in results) else EXIT_OK


def export_config(args: argparse.Namespace) -> int:
    """Write an architecture as an Archon JSON config the original runner accepts."""
    from ..interop import export_architecture
    from ..template import describe_assignment

    path, output, params = args.path, args.output, args.params

    template = load_template_or_exit(path)
    arch = instantiate_or_exit(template, params)
    try:
        result = export_architecture(arch)
    except ArchonError as e:
        print_diagnostics(e)
        return EXIT_FINDINGS
    notes = list(result.diagnostics)
    if template.params and not params:
        notes.append(
            Diagnostic(
                "J022",
                "default-configuration",
                Severity.INFO,
                f"a template: exported its default configuration ({describe_assignment(arch.assignment)})",
                None,
                str(path),
                "choose another with -p name=value",
            )
        )
    write_output(result.text, output)
    if notes:
        print_diagnostics(ArchonError(notes))
    if output is not None:
        sys.stderr.write(f"wrote {output}\n")
    return EXIT_OK


def add_commands(sub) -> None:
    """Add `import` and `export` to `archonc`'s parser."""
    p = add_command(sub, "import", import_config)
    p.add_argument(
        "config", type=Path, metavar="CONFIG", help="an Archon JSON config (the original framework's format)"
    )
    p.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the .arch here (default: stdout)")
    p.add_argument(
        "--check",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the linter on the imported architecture (default: on)",
    )

    p = add_command(sub, "export", export_config)
    p.add_argument(
        "path", type=Path, metavar="FILE", help="an .arch file (a template exports one configuration)"
    )
    p.add_argument("--output", "-o", type=Path, metavar="FILE", help="write the JSON here (default: stdout)")
    add_params_option(p)
