"""The served models: every architecture of the given files and directories, checked as validate checks it."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..architecture import Architecture
from ..diagnostics import ArchonError
from ..template import Template

# Distinct parameter points (and their checked architectures) kept per model; a client sweeping
# a large space evicts the oldest, never grows the server without bound.
POINTS_KEPT = 64


class ModelsError(Exception):
    """Architectures that cannot be served: `results` holds validate's findings for each (CheckResult)."""

    def __init__(self, message: str, results: list[Any] | None = None, hint: str | None = None):
        super().__init__(message)
        self.results = results or []
        self.hint = hint


class ParamsError(ValueError):
    """Request params outside the space; `param` names the field (`params.n_gen`)."""

    def __init__(self, message: str, param: str):
        super().__init__(message)
        self.param = param


@dataclass
class ServedModel:
    """One architecture served as a model: its id, its template, and its plan at the defaults."""

    id: str
    path: str
    template: Template
    sim: bool = False
    plan: dict[str, Any] = field(default_factory=dict)
    _points: OrderedDict[tuple, Architecture] = field(default_factory=OrderedDict, repr=False)

    def card(self, created: int) -> dict[str, Any]:
        """The model's entry in GET /v1/models: OpenAI's fields, then the plan at the defaults."""
        return {
            "id": self.id,
            "object": "model",
            "created": created,
            "owned_by": "archon-dsl",
            "archon": {
                "path": self.path,
                "calls": self.plan["calls"],
                "depth": self.plan["depth"],
                "cost_usd": self.plan["cost_usd"],
                "params": {
                    name: {"default": _plain(p.default), "domain": p.domain_text()}
                    for name, p in self.template.params.items()
                },
            },
        }

    def architecture(self, params: dict[str, Any] | None = None) -> Architecture:
        """The architecture at `params` (the rest at their defaults), checked by validate's rules at that
        point; ParamsError for a name not in the space, a value outside its domain, or a point with errors."""
        from ..template import InstantiateError

        if params:
            unknown = [name for name in params if name not in self.template.params]
            if unknown:
                known = ", ".join(self.template.params) or "none"
                raise ParamsError(
                    f"model '{self.id}' has no parameter '{unknown[0]}' (parameters: {known})",
                    f"params.{unknown[0]}",
                )
        try:
            full = self.template.complete(params or {})
        except InstantiateError as e:
            raise ParamsError(_first_message(e), _param_field(params or {}, e)) from None
        key = tuple(sorted((name, repr(value)) for name, value in full.items()))
        found = self._points.get(key)
        if found is not None:
            self._points.move_to_end(key)
            return found
        found = self._checked(full, params or {})
        self._points[key] = found
        if len(self._points) > POINTS_KEPT:
            self._points.popitem(last=False)
        return found

    def _checked(self, full: dict[str, Any], asked: dict[str, Any]) -> Architecture:
        from ..api import blocking_errors, check_before_run
        from ..template import InstantiateError

        try:
            result = check_before_run(self.template, full)
            errors = blocking_errors(result)
            if errors:
                first = errors[0]
                raise ParamsError(
                    f"model '{self.id}' at {_describe(asked)} fails validation: {first.code} {first.message}",
                    "params",
                )
            arch = self.template.instantiate(full)
        except InstantiateError as e:
            raise ParamsError(_first_message(e), "params") from None
        if self.sim:
            from ..runtime import sim as simulator

            arch = simulator.simulate(arch)
        return arch


def architecture_files(paths: list[str | Path]) -> list[Path]:
    """The .arch files named: files as given, directories' `*.arch` (not their subdirectories)."""
    files: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(path.glob("*.arch"))
            if not found:
                raise ModelsError(
                    f"{path}: no .arch files in this directory",
                    hint="give .arch files or a directory holding some",
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise ModelsError(f"{path}: no such file or directory")
    if not files:
        raise ModelsError("no architecture to serve", hint="archonc serve FILE.arch... or a directory")
    return files


def load_models(paths: list[str | Path], *, sim: bool = False) -> list[ServedModel]:
    """Every architecture in `paths` as a served model, each checked over its whole space as
    `archonc validate` checks it. ModelsError (with every file's findings) if one has an error that
    holds everywhere, or two share a name."""
    from ..api import blocking_errors, check_before_run
    from ..checker import CheckResult
    from ..loader import load
    from ..planner import plan
    from ..report import SourceCache

    models: list[ServedModel] = []
    failed: list[Any] = []
    for path in architecture_files(paths):
        try:
            template = load(path)
        except ArchonError as e:
            source = SourceCache().get(str(path))
            failed.append(
                CheckResult(path=str(path), diagnostics=e.diagnostics, source=source, raw=0, valid=0)
            )
            continue
        result = check_before_run(template, whole_space=True)
        if blocking_errors(result):
            failed.append(result)
            continue
        model = ServedModel(id=template.name or path.stem, path=str(path), template=template, sim=sim)
        try:
            model.plan = plan(model.architecture()).to_dict()
        except ParamsError:  # the defaults are a point with errors, though others are valid: its findings
            try:
                failed.append(check_before_run(template, template.default_assignment()))
            except ArchonError as e:  # the defaults do not even instantiate
                failed.append(
                    CheckResult(
                        path=str(path), diagnostics=e.diagnostics, source=SourceCache().get(str(path))
                    )
                )
            continue
        models.append(model)
    if failed:
        names = ", ".join(r.path for r in failed)
        raise ModelsError(f"not serving: validate finds errors in {names}", failed)
    seen: dict[str, ServedModel] = {}
    for model in models:
        other = seen.setdefault(model.id, model)
        if other is not model:
            raise ModelsError(
                f"two architectures are named '{model.id}': {other.path} and {model.path}",
                hint='give each its own `archon "..."` name',
            )
    return models


def _plain(value: Any) -> Any:
    """A parameter value as JSON: a model choice by its name."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return getattr(value, "name", str(value))


def _first_message(error: ArchonError) -> str:
    return error.diagnostics[0].message if error.diagnostics else str(error)


def _param_field(params: dict[str, Any], error: ArchonError) -> str:
    """`params.NAME` for the parameter a domain error is about (its message starts with `NAME=`)."""
    message = _first_message(error)
    for name in params:
        if message.startswith(f"{name}="):
            return f"params.{name}"
    return "params"


def _describe(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items()) or "its defaults"
