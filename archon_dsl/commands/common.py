"""What every command shares: exit codes, the parser's look, usage errors, printing diagnostics, loading a template."""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from ..diagnostics import ArchonError

# Documented in docs/cli.md; 130 and 143 are what shells report for SIGINT and SIGTERM.
EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143

# Output to a pipe or a file is never wrapped: a log line or a table stays whole for grep.
UNWRAPPED_WIDTH = 10_000


def output_width(stream=None) -> int | None:
    """The terminal's width for a terminal, else a width that never wraps (None: let the terminal decide)."""
    stream = stream or sys.stdout
    return None if hasattr(stream, "isatty") and stream.isatty() else UNWRAPPED_WIDTH


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's help, with descriptions laid out as written and no wrapping when piped."""

    def __init__(self, prog: str, **kwargs: Any):
        width = output_width()
        if width is not None:
            kwargs["width"] = width
        kwargs.setdefault("max_help_position", 32)
        super().__init__(prog, **kwargs)


def add_command(sub, name: str, handler: Callable[[argparse.Namespace], int], doc: str | None = None):
    """A subcommand whose help is the handler's docstring (first line in `archonc -h`, whole in `-h`)."""
    text = inspect.cleandoc(doc or handler.__doc__ or "")
    parser = sub.add_parser(
        name, help=text.split("\n", 1)[0], description=text, formatter_class=HelpFormatter
    )
    parser.set_defaults(handler=handler)
    return parser


def add_params_option(parser) -> None:
    parser.add_argument(
        "--param",
        "-p",
        dest="params",
        action="append",
        metavar="NAME=VALUE",
        help="fix a template parameter, e.g. -p n_gen=3 (repeatable)",
    )


def add_cache_options(parser) -> None:
    """--no-cache and --cache-dir, as every command that calls models takes them."""
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the response cache")
    parser.add_argument(
        "--cache-dir", type=Path, metavar="DIR", help="keep the cache in DIR/cache.sqlite (default: .archon/)"
    )


def add_ray_option(parser, what: str) -> None:
    """--ray [ADDRESS]: `what` (e.g. "the questions") runs as Ray tasks; no address starts a local instance."""
    parser.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help=f"run {what} as Ray tasks on the cluster at ADDRESS (none: a local Ray instance)",
    )


def positive_int(what: str, minimum: int = 1):
    """An argparse type: an integer of at least `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be an integer, got '{text}'") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be {minimum} or more, got {value}")
        return value

    return parse


def choice(*choices: str):
    """An argparse type: one of `choices`, with the list in the error."""

    def parse(value: str) -> str:
        if value not in choices:
            raise argparse.ArgumentTypeError(f"unknown format '{value}'; choose one of {', '.join(choices)}")
        return value

    return parse


def fail_usage(message: str, hint: str | None = None) -> NoReturn:
    """Print a usage problem and exit 2."""
    sys.stderr.write(f"archonc: error: {message}\n")
    if hint:
        sys.stderr.write(f"  help: {hint}\n")
    raise SystemExit(EXIT_USAGE)


def print_diagnostics(error: ArchonError, stream=None, sources=()) -> None:
    """Print the diagnostics an ArchonError carries, with code frames where the source is readable."""
    from ..report import SourceCache, format_diagnostic, use_colour

    stream = stream or sys.stderr
    colour = use_colour(stream)
    sources = SourceCache(*sources)
    for diag in error.diagnostics:
        stream.write(format_diagnostic(diag, sources.get(diag.path), colour))


def print_findings(results, stream=None) -> None:
    """Check results as `archonc validate` prints them: code frames and the summary line."""
    from ..report import format_text, use_colour

    stream = stream or sys.stderr
    stream.write(format_text(results, colour=use_colour(stream), show_space=False))


def exit_code(error: ArchonError) -> int:
    """2 for a file that cannot be read (a usage problem), 1 for findings in one that can."""
    return EXIT_USAGE if error.diagnostics and error.diagnostics[0].code == "E000" else EXIT_FINDINGS


def write_output(text: str, output: Path | None) -> None:
    """`text` to the file `output`, or to stdout; an unwritable file is a usage error."""
    if output is None:
        sys.stdout.write(text)
        return
    if Path(output).is_dir():
        fail_usage(f"{output} is a directory", "give a file name")
    try:
        Path(output).write_text(text, encoding="utf-8", errors="surrogateescape")
    except OSError as e:
        from ..errors import describe_os_error

        fail_usage(f"cannot write {output}: {describe_os_error(e)}")


def _findings_of(error: ArchonError, path: Path):
    """An ArchonError from loading a file, as the check result validate would print for it."""
    from ..checker import CheckResult
    from ..report import SourceCache

    source = SourceCache().get(str(path))
    return CheckResult(
        path=str(path), diagnostics=error.diagnostics, source=source, raw=0, valid=0, checked=0
    )


def _unreadable(path: Path) -> bool:
    from ..diagnostics import read_source

    try:
        read_source(path)
    except ArchonError:
        return True
    return False


def load_template_or_exit(path: Path, *, declarations: bool = True):
    """Load an .arch file. A syntax error prints as validate prints it and exits 1; an unreadable file exits 2.

    `declarations=False` leaves declaration errors to a full check that follows (which prints them with the rest).
    """
    from ..loader import load

    path = Path(path)
    if not path.exists():
        fail_usage(f"{path}: no such file")
    if path.is_dir():
        fail_usage(f"{path} is a directory; give an .arch file")
    try:
        template = load(path)
    except ArchonError as e:
        if exit_code(e) == EXIT_USAGE and _unreadable(path):  # the file named, not a file it includes
            print_diagnostics(e)
            raise SystemExit(EXIT_USAGE) from None
        print_findings([_findings_of(e, path)])
        raise SystemExit(EXIT_FINDINGS) from None
    errors = [d for d in template.diagnostics if d.is_error]
    if errors and declarations:
        print_diagnostics(ArchonError(errors))
        raise SystemExit(EXIT_FINDINGS)
    return template


def check_or_exit(template, params: list[str] | None, *, whole_space: bool = False) -> None:
    """validate's rules before anything runs: errors print as validate prints them and exit 1; warnings print.

    One configuration is checked (the one `params` picks), or with `whole_space` every point, as validate does.
    """
    from ..api import blocking_errors, check_before_run
    from ..template import InstantiateError, parse_assignment

    try:
        assignment = None if whole_space else parse_assignment(template, params or [])
        result = check_before_run(template, assignment, whole_space=whole_space)
    except InstantiateError:
        return  # a bad -p value: instantiate_or_exit says so, with its own exit code
    if blocking_errors(result):
        print_findings([result])
        raise SystemExit(EXIT_FINDINGS)
    shown = [d for d in result.diagnostics if d.severity.value in ("error", "warning")]
    if shown:
        print_diagnostics(ArchonError(shown), sources=[result.source])
    if result.errors:  # errors at some points of a space: the search leaves those points out
        sys.stderr.write(
            f"archonc: {len(result.errors)} of these errors hold only at some points; "
            "those configurations are skipped\n"
        )


def instantiate_or_exit(template, params):
    """The concrete architecture for `-p name=value` pairs; bad values print and exit (2 if malformed, else 1)."""
    from ..template import InstantiateError, parse_assignment

    try:
        return template.instantiate(parse_assignment(template, params or []))
    except InstantiateError as e:
        print_diagnostics(e)
        raise SystemExit(
            EXIT_USAGE if e.diagnostics and e.diagnostics[0].code == "E006" else EXIT_FINDINGS
        ) from None


def console(stderr: bool = False, width: int | None = None):
    """A Rich console for a command's tables and progress (Rich is imported only here); unwrapped when piped."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    if width is None:
        width = output_width(stream)
    return Console(stderr=stderr, width=width, soft_wrap=width == UNWRAPPED_WIDTH)
