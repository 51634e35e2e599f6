"""archon-dsl: compose, check, run and search LLM inference-time architectures.

The public API mirrors the CLI; heavy parts are imported only when called (run needs the `run`
extra, search the `search` extra; the rest is the core)::

    >>> import archon_dsl as ad
    >>> template = ad.load("examples/itas_sim.arch")        # parse + declarations
    >>> ad.check(template).errors                           # every rule over the whole space
    []
    >>> arch = template.instantiate({"n_gen": 4})           # a concrete Architecture
    >>> ad.plan(arch).to_dict()["calls"]                    # calls, depth, cost per query
    {'min': 13, 'max': 13}
    >>> ad.render(arch, "dot").startswith("digraph")        # a diagram: str for svg, dot, mermaid
    True
    >>> ad.run(arch, "What is 17 * 23?", sim=True, cache=None).answer.splitlines()[-1]
    'Answer: 391'

plan, run, run_dataset and search check first, as `archonc validate` does, and raise
ArchitectureError (its `.diagnostics` are the findings) before any call; check=False skips that.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what the lazy names below are, for type checkers (nothing is imported at run time)
    from pathlib import Path

    from .api import (
        ArchitectureError as ArchitectureError,
        arun as arun,
        arun_dataset as arun_dataset,
        plan as plan,
        rank_models as rank_models,
        render as render,
        run as run,
        run_dataset as run_dataset,
        search as search,
    )
    from .architecture import Architecture as Architecture
    from .checker import CheckResult, check_architecture as check_architecture
    from .diagnostics import ArchonError as ArchonError, Diagnostic as Diagnostic
    from .language.parser import parse as parse
    from .loader import load as load, load_text as load_text
    from .template import Template

    __version__: str

_LAZY = {
    "load": ("archon_dsl.loader", "load"),
    "load_text": ("archon_dsl.loader", "load_text"),
    "parse": ("archon_dsl.language.parser", "parse"),
    "Architecture": ("archon_dsl.architecture", "Architecture"),
    "Template": ("archon_dsl.template", "Template"),
    "Diagnostic": ("archon_dsl.diagnostics", "Diagnostic"),
    "ArchonError": ("archon_dsl.diagnostics", "ArchonError"),
    "ArchitectureError": ("archon_dsl.api", "ArchitectureError"),
    "check_architecture": ("archon_dsl.checker", "check_architecture"),
    "plan": ("archon_dsl.api", "plan"),
    "run": ("archon_dsl.api", "run"),
    "arun": ("archon_dsl.api", "arun"),
    "run_dataset": ("archon_dsl.api", "run_dataset"),
    "arun_dataset": ("archon_dsl.api", "arun_dataset"),
    "render": ("archon_dsl.api", "render"),
    "search": ("archon_dsl.api", "search"),
    "rank_models": ("archon_dsl.api", "rank_models"),
}


def check(
    target: Template | str | Path,
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    max_points: int | None = None,
    seed: int = 0,
) -> CheckResult:
    """Check a Template, a path to an .arch file or .arch text with every rule over its whole space.

    select/ignore: rule codes, code prefixes or names, as `archonc validate --select/--ignore` take.
    max_points: check at most this many points of a large space (a sample; default: the checker's);
    seed: which sample.

    >>> result = check("examples/best_of_n.arch")
    >>> result.errors, result.valid, result.raw
    ([], 1, 1)
    >>> [d.code for d in check('layer generator { model = "openai/gpt-4o"; samples = 0 }').errors]
    ['S012']
    """
    from pathlib import Path

    from .checker import check_path, check_template, check_text
    from .template import Template

    options: dict = {"select": select, "ignore": ignore, "seed": seed}
    if max_points is not None:
        options["max_points"] = max_points
    if isinstance(target, Template):
        return check_template(target, **options)
    if isinstance(target, Path) or (
        isinstance(target, str) and target.endswith(".arch") and "\n" not in target
    ):
        return check_path(target, **options)
    return check_text(str(target), **options)


def _version() -> str:
    """The installed distribution's version: pyproject.toml is its one source."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("archon-dsl")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str):
    if name == "__version__":
        value = globals()["__version__"] = _version()
        return value
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'archon_dsl' has no attribute {name!r}")


__all__ = ["__version__", "check", *_LAZY]
