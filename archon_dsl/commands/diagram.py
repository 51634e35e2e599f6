"""CLI command that draws an architecture: render (SVG, PNG, DOT or Mermaid)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..diagnostics import ArchonError
from .common import EXIT_FINDINGS, EXIT_USAGE, fail_usage, instantiate_or_exit, load_template_or_exit, print_diagnostics


def render(
    path: Path = typer.Argument(..., help="An .arch file, or an Archon JSON config."),
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", help="The diagram file; its extension picks the format (.svg .png .dot .mmd .md).",
    ),
    format: Optional[str] = typer.Option(None, "--format", "-f", help="svg, png, dot or mermaid."),
    params: Optional[List[str]] = typer.Option(None, "--param", "-p", help="name=value: the configuration to draw."),
) -> None:
    """Draw an architecture: layers left to right, a node per model, edges for candidates, critiques and tests.

    A template is drawn at its defaults (or at -p values), with its parameters
    and their domains in the caption. SVG and PNG need Graphviz: `dot`, or the
    `graphviz-pure` binary that `pip install` brings along.
    """
    from ..diagrams import FORMATS, RenderError, format_for, render as draw, write_diagram

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
            raise typer.Exit(EXIT_FINDINGS)
    else:
        template = load_template_or_exit(path)
        arch = instantiate_or_exit(template, params)

    try:
        if output is None:
            sys.stdout.write(draw(arch, fmt, template).decode("utf-8"))
            return
        write_diagram(arch, output, fmt, template)
    except RenderError as e:
        print_diagnostics(e)
        raise typer.Exit(EXIT_USAGE)
    except OSError as e:
        fail_usage(f"cannot write {output}: {e.strerror or e}")
    sys.stderr.write(f"wrote {output} ({fmt})\n")


def register(app) -> None:
    """Add this family's commands to the Typer app."""
    app.command()(render)
