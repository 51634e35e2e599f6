"""Runs, evaluations and search trials on a Ray cluster, under one rate limit and one cache (the `ray` extra).

Importing this package imports nothing heavy; Ray is imported by the function that needs it.
`run_rows_on_ray` is the one entry point for dataset runs (`archonc run --ray`, `archonc eval --ray`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..runtime.trace import QueryResult


def run_rows_on_ray(arch: Any, rows: Any, out: str | Path | None = None, **options: Any) -> list[QueryResult]:
    """Run dataset rows as Ray tasks, streaming each answer back to this process, which writes `out`.

    See `archon_dsl.scale.runner.arun_rows_on_ray` for the options (address, cache, concurrency, ...).
    """
    from .runner import run_rows_on_ray as run

    return run(arch, rows, out, **options)


async def arun_rows_on_ray(
    arch: Any, rows: Any, out: str | Path | None = None, **options: Any
) -> list[QueryResult]:
    """`run_rows_on_ray` from inside an event loop (asyncio)."""
    from .runner import arun_rows_on_ray as arun

    return await arun(arch, rows, out, **options)


__all__ = ["arun_rows_on_ray", "run_rows_on_ray"]
