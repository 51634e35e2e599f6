"""`archonc`: parses arguments, calls the API, prints. Exit 0 clean, 1 findings, 2 usage or internal error."""

from __future__ import annotations

import sys

import typer

from .commands import diagram, execute, interop, lint, searching

app = typer.Typer(
    name="archonc",
    help="Compose, check, run and search LLM inference-time architectures (.arch files).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _module in (lint, execute, searching, diagram, interop):
    _module.register(app)


def main() -> None:
    """Console entry point: internal failures exit 2 with a message, never a bare traceback."""
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as e:  # a bug of ours: say so plainly, keep the detail one flag away
        import os

        if os.environ.get("ARCHON_DEBUG"):
            raise
        sys.stderr.write(f"archonc: internal error: {type(e).__name__}: {e}\n(set ARCHON_DEBUG=1 for the traceback)\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
