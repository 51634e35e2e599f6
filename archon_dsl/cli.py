"""`archonc`: one argparse parser for every command; parses, calls the API, prints. Exit codes: docs/cli.md."""

from __future__ import annotations

import argparse
import os
import sys

from .commands import diagram, eval as evaluate, execute, interop, lint, searching, serve
from .commands.common import (
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    HelpFormatter,
    print_diagnostics,
)
from .extras import COMMAND_EXTRAS, install_message, missing_extra, require

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as shells report it
DESCRIPTION = "Compose, check, run and search LLM inference-time architectures (.arch files)."


class _Version(argparse.Action):
    """`--version`: read from the installed package's metadata only when asked (it costs an import)."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        from . import __version__

        sys.stdout.write(f"archonc {__version__}\n")
        raise SystemExit(0)


def build_parser() -> argparse.ArgumentParser:
    """The parser of `archonc` and all its commands (building it imports nothing heavy)."""
    parser = argparse.ArgumentParser(
        prog="archonc",
        description=DESCRIPTION,
        formatter_class=HelpFormatter,
        epilog="`archonc COMMAND -h` describes a command. Exit codes: 0 ok, 1 findings, 2 usage (docs/cli.md).",
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for module in (lint, execute, searching, diagram, interop, serve, evaluate):
        module.add_commands(sub)
    return parser


def dispatch(argv: list[str]) -> int:
    """Run one command; its exit code. Errors become messages: a traceback only with ARCHON_DEBUG=1."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        if args.command in COMMAND_EXTRAS:  # a missing extra is said before any work, not after it
            require(COMMAND_EXTRAS[args.command])
        return args.handler(args)
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else (0 if e.code is None else EXIT_USAGE)
    except BaseException as e:  # noqa: BLE001 - every failure is reported, never a bare traceback
        return _report_failure(e, argv)


def _report_failure(error: BaseException, argv: list[str] | None = None) -> int:
    """Say what happened, from the first real error inside any exception group; the exit code."""
    from .diagnostics import ArchonError
    from .errors import first_error, os_error_message

    cause = first_error(error)
    command = next((a for a in argv or [] if not a.startswith("-")), None)
    extra = missing_extra(cause, command)
    if extra is not None:  # an optional dependency this install left out: say which extra brings it
        sys.stderr.write(install_message(extra, f"archonc {command}" if command else "archonc") + "\n")
        return EXIT_USAGE
    if isinstance(cause, KeyboardInterrupt):
        sys.stderr.write("interrupted\n")
        return EXIT_INTERRUPTED
    if isinstance(cause, SystemExit):
        return cause.code if isinstance(cause.code, int) else EXIT_USAGE
    if isinstance(cause, BrokenPipeError):  # the reader went away (`archonc ... | head`): nothing to say
        return EXIT_BROKEN_PIPE
    if os.environ.get("ARCHON_DEBUG"):
        raise error
    if isinstance(cause, ArchonError):
        from .api import ArchitectureError

        print_diagnostics(cause)
        return EXIT_FINDINGS if isinstance(cause, ArchitectureError) else EXIT_USAGE
    from .runtime.keys import MissingCredentials

    if isinstance(cause, MissingCredentials):  # found before any call: one line naming each variable
        sys.stderr.write(f"archonc: error: {cause}\n")
        return EXIT_USAGE
    if isinstance(cause, OSError) and cause.errno is not None:
        message, hint = os_error_message(cause)
        sys.stderr.write(f"archonc: error: {message}\n" + (f"  help: {hint}\n" if hint else ""))
        return EXIT_USAGE
    if isinstance(cause, UnicodeDecodeError):
        sys.stderr.write(f"archonc: error: input is not UTF-8 text: {cause}\n")
        return EXIT_USAGE
    from .runtime.keys import redact

    sys.stderr.write(  # an exception may quote a key it was given
        redact(
            f"archonc: internal error: {type(cause).__name__}: {cause}\n(set ARCHON_DEBUG=1 for the traceback)\n"
        )
    )
    return EXIT_USAGE


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said there
            pass


def main(argv: list[str] | None = None) -> None:
    """Console entry point. As a process (no `argv`), exit at once when the work is saved: without the
    seconds of interpreter teardown that litellm, Ax and torch cost. Given `argv`, raise SystemExit."""
    for stream in (sys.stdout, sys.stderr):  # a lone surrogate in an argument never kills the output
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    if argv is not None:
        raise SystemExit(dispatch(list(argv)))
    code = dispatch(sys.argv[1:])
    # atexit runs what would run at a normal exit: the cache writers commit what is queued and stop,
    # locks are released, temporary files removed. Then nothing is left but freeing memory.
    import atexit

    atexit._run_exitfuncs()
    _flush()
    os._exit(code)


if __name__ == "__main__":
    main()
