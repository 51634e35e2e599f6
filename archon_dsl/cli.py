"""`archonc`: parses arguments, calls the API, prints. Exit 0 clean, 1 findings, 2 usage or internal error."""

from __future__ import annotations

import sys

# The front end's commands parse their own arguments, so that they start without importing Typer.
FRONT_END = frozenset({"validate", "fmt", "expand", "space", "rules", "explain"})


def build_app():
    """The Typer app with every command family registered."""
    import typer

    from .commands import diagram, execute, interop, lint, searching

    app = typer.Typer(
        name="archonc",
        help="Compose, check, run and search LLM inference-time architectures (.arch files).",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    for module in (lint, execute, searching, diagram, interop):
        module.register(app)
    return app


def main(argv: list[str] | None = None) -> None:
    """Console entry point: internal failures exit 2 with a message, never a bare traceback."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        if argv and argv[0] in FRONT_END:
            from .commands.lint import run

            sys.exit(run(argv))
        build_app()(args=argv, prog_name="archonc")
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
