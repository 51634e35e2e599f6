"""Reads .arch files (with their includes) into Templates."""

from __future__ import annotations

from pathlib import Path

from .codes.files import INCLUDE_CYCLE, INCLUDE_TOO_DEEP
from .diagnostics import ArchonError, gc_paused, read_source
from .language import ast
from .language.parser import parse
from .limits import MAX_INCLUDE_DEPTH
from .template import Template, load_template


def load_text(text: str, path: str = "<string>") -> Template:
    """A Template from .arch text; raises ParseError on a syntax error."""
    # Many small objects and no cycles worth collecting: the collector waits (see gc_paused).
    with gc_paused():
        module = parse(text, path)
        module = _resolve_includes(
            module, Path(path).parent if not path.startswith("<") else Path.cwd(), [path]
        )
        return load_template(module)


def load(source: str | Path) -> Template:
    """A Template from a path to an .arch file (or from .arch text, if it is not a file)."""
    path = Path(source)
    if isinstance(source, Path) or (
        len(str(source)) < 4096 and "\n" not in str(source) and path.suffix == ".arch"
    ):
        return load_text(read_source(path), str(path))
    return load_text(str(source))


def _resolve_includes(module: ast.Module, base: Path, stack: list[str]) -> ast.Module:
    """Splice the declarations of `include "file.arch"` in place (layers of an include are not taken)."""
    if not any(isinstance(s, ast.Include) for s in module.statements):
        return module
    included: list = []
    for statement in module.statements:
        if not isinstance(statement, ast.Include):
            continue
        target = (base / statement.path).resolve()
        if len(stack) > MAX_INCLUDE_DEPTH:
            raise ArchonError(
                [
                    INCLUDE_TOO_DEEP.diagnostic(
                        f"includes nested more than {MAX_INCLUDE_DEPTH} deep (at '{statement.path}')",
                        statement.span,
                        module.path,
                        "include the shared declarations from one file rather than through a chain",
                    )
                ]
            )
        if str(target) in stack:
            raise ArchonError(
                [
                    INCLUDE_CYCLE.diagnostic(
                        f"'{statement.path}' includes itself",
                        statement.span,
                        module.path,
                        "remove the circular include",
                    )
                ]
            )
        text = read_source(
            target, what=f"included file '{statement.path}'", span=statement.span, within=module.path
        )
        included_module = _resolve_includes(parse(text, str(target)), target.parent, stack + [str(target)])
        kept = (ast.ModelDecl, ast.PoolDecl, ast.ProviderDecl, ast.Defaults)
        included.extend(included_module.included)
        included.extend(s for s in included_module.statements if isinstance(s, kept))
    module.included = included
    return module
