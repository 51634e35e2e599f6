"""CLI commands (registered by archon_dsl.cli); filled in by the searching work."""

from __future__ import annotations


def register(app) -> None:
    """Add this family's commands to the Typer app."""
