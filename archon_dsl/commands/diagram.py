"""CLI commands (registered by archon_dsl.cli); filled in by the diagram work."""

from __future__ import annotations


def register(app) -> None:
    """Add this family's commands to the Typer app."""
