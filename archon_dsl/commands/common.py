"""What every command shares: exit codes, usage errors, printing diagnostics, loading a template."""

from __future__ import annotations

import sys
from pathlib import Path

from ..diagnostics import ArchonError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


def fail_usage(message: str, hint: str | None = None) -> None:
    """Print a usage problem and exit 2."""
    sys.stderr.write(f"archonc: error: {message}\n")
    if hint:
        sys.stderr.write(f"  help: {hint}\n")
    raise SystemExit(EXIT_USAGE)


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


def exit_code(error: ArchonError) -> int:
    """2 for a file that cannot be read (a usage problem), 1 for findings in one that can."""
    return EXIT_USAGE if error.diagnostics and error.diagnostics[0].code == "E000" else EXIT_FINDINGS


def write_output(text: str, output: Path | None) -> None:
    """`text` to the file `output`, or to stdout; an unwritable file is a usage error."""
    if output is None:
        sys.stdout.write(text)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as e:
        fail_usage(f"cannot write {output}: {e.strerror or e}")


def load_template_or_exit(path: Path):
    """Load an .arch file; a syntax or declaration error prints and exits 1, an unreadable file exits 2."""
    from ..loader import load

    path = Path(path)
    if not path.exists():
        fail_usage(f"{path}: no such file")
    if path.is_dir():
        fail_usage(f"{path} is a directory; give an .arch file")
    try:
        template = load(path)
    except ArchonError as e:
        print_diagnostics(e)
        raise SystemExit(exit_code(e))
    errors = [d for d in template.diagnostics if d.is_error]
    if errors:
        print_diagnostics(ArchonError(errors))
        raise SystemExit(EXIT_FINDINGS)
    return template


def instantiate_or_exit(template, params):
    """The concrete architecture for `-p name=value` pairs; bad values print and exit (2 if malformed, else 1)."""
    from ..template import InstantiateError, parse_assignment

    try:
        return template.instantiate(parse_assignment(template, params or []))
    except InstantiateError as e:
        print_diagnostics(e)
        raise SystemExit(EXIT_USAGE if e.diagnostics and e.diagnostics[0].code == "E006" else EXIT_FINDINGS)


def console(stderr: bool = False, width: int | None = None):
    """A Rich console for a command's tables and progress (Rich is imported only here)."""
    from rich.console import Console

    return Console(stderr=stderr, width=width)
