"""archon-dsl: compose, check, run and search LLM inference-time architectures.

The public API mirrors the CLI; heavy parts are imported only when called::

    import archon_dsl as ad
    template = ad.load("examples/itas.arch")         # parse + declarations
    result = ad.check(template)                      # every rule over the whole space
    arch = template.instantiate({"n_gen": 4})        # a concrete Architecture
    print(ad.plan(arch).to_dict()["calls"])          # calls, depth, cost per query
    answer = ad.run(arch, "What is 17 * 23?", sim=True).answer
    ad.render(arch, "svg")                           # a diagram
    found = ad.search(template, "arithmetic", "numeric", strategy="random", trials=8, sim=True)

plan, run, run_dataset and search check first, as `archonc validate` does, and raise
ArchitectureError (its `.diagnostics` are the findings) before any call; check=False skips that.
"""

from __future__ import annotations


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
    "render": ("archon_dsl.diagrams", "render"),
    "search": ("archon_dsl.api", "search"),
    "rank_models": ("archon_dsl.api", "rank_models"),
}


def check(target, **options):
    """Check a Template, a path or .arch text with every rule over its whole space.

    >>> result = check("examples/best_of_n.arch")
    >>> result.errors, result.valid, result.raw
    """
    from pathlib import Path

    from .checker import check_path, check_template, check_text
    from .template import Template

    if isinstance(target, Template):
        return check_template(target, **options)
    if isinstance(target, Path) or (isinstance(target, str) and target.endswith(".arch") and "\n" not in target):
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
