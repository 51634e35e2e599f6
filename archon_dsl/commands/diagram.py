"""CLI command that draws an architecture: render (SVG, PNG, DOT or Mermaid)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..diagnostics import ArchonError
from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_USAGE,
    add_command,
    add_params_option,
    fail_usage,
    instantiate_or_exit,
    load_template_or_exit,
    positive_int,
    print_diagnostics,
)


def render(args: argparse.Namespace) -> int:
    """Draw an architecture: layers top to bottom, a node per model, edges for candidates, critiques and tests.

    A template is drawn at its defaults (or at -p values), with its parameters
    and their domains in the caption. SVG and PNG need Graphviz: `dot`, or the
    `graphviz-pure` binary that `pip install` brings along.
    """
    from ..diagrams import FORMATS, RenderError, format_for, render as draw, write_diagram

    path, output, format, params = args.path, args.output, args.format, args.params
    # --dpi goes to the renderer only when given, so a renderer without the keyword keeps working.
    extra = {"dpi": args.dpi} if args.dpi is not None else {}
    if not path.exists():
        fail_usage(f"{path}: no such file")
    if format is not None and format not in FORMATS:
        fail_usage(f"unknown format '{format}'", f"choose one of {', '.join(FORMATS)}")
    try:
        fmt = format_for(output, format) if output is not None else (format or "svg")
    except RenderError as e:
        fail_usage(e.diagnostics[0].message, e.diagnostics[0].hint)
    if output is None and fmt == "png":
        fail_usage("PNG is binary: give a file with -o diagram.png")

    template = None
    if path.suffix.lower() == ".json":
        from ..interop import import_file

        if params:
            fail_usage("-p applies to .arch templates; an Archon JSON config has no parameters")
        try:
            arch = import_file(path).architecture
        except ArchonError as e:
            print_diagnostics(e)
            return EXIT_FINDINGS
    else:
        template = load_template_or_exit(path)
        arch = instantiate_or_exit(template, params)

    if output is not None and output.is_dir():
        fail_usage(f"{output} is a directory", "give a file name, e.g. -o diagram.svg")
    try:
        if output is None:
            sys.stdout.write(draw(arch, fmt, template, **extra).decode("utf-8"))
            return EXIT_OK
        write_diagram(arch, output, fmt, template, **extra)
    except RenderError as e:
        print_diagnostics(e)
        return EXIT_USAGE
    except OSError as e:
        from ..errors import describe_os_error

        fail_usage(f"cannot write {output}: {describe_os_error(e)}")
    sys.stderr.write(f"wrote {output} ({fmt})\n")
    return EXIT_OK


def add_commands(sub) -> None:
    """Add `render` to `archonc`'s parser."""
    p = add_command(sub, "render", render)
    p.add_argument("path", type=Path, metavar="FILE", help="an .arch file, or an Archon JSON config")
    p.add_argument(
        "--output",
        "-o",
        type=Path,
        metavar="FILE",
        help="the diagram file; its extension picks the format (.svg .png .dot .mmd .md)",
    )
    p.add_argument("--format", "-f", metavar="FORMAT", help="svg, png, dot or mermaid (default: svg)")
    add_params_option(p)
    p.add_argument(
        "--dpi",
        type=positive_int("--dpi"),
        metavar="N",
        help="resolution of a PNG, in dots per inch (default: the renderer's)",
    )
