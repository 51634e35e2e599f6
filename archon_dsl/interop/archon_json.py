"""The original Archon's JSON configs: import to an Architecture (and .arch text), export back.

How a published config is represented, where the two formats differ:

* Layers keep the order they were published in, even when that breaks one of
  the paper's rules (a unit-test generator first, so that its tests reach the
  generators): the .arch file is written all the same, and the linter names
  the rule. A layer that mixes component types is written as consecutive
  layers of one kind each, in the order of its components, with an A001
  diagnostic: nothing the user wrote is lost.
* `temperature` and `max_tokens` go where they hold: the most common values
  become `defaults`, a value shared by a whole layer becomes a layer option,
  and values that differ within a layer go on the model declarations.
* Different `samples` per model in one layer become the greatest common
  divisor as the layer's `samples`, each model repeated in `models` for the
  rest (the same calls, in the same order).
* `vLLM` models become OpenAI-compatible servers at $VLLM_API_BASE, `tgi`
  endpoints the model "openai/tgi" with the endpoint as api_base.
* Keys the original ignores or misspells, and settings the language cannot
  express, are dropped with a warning that names their JSON path.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ..architecture import Architecture, Defaults, Layer, ModelSpec
from ..diagnostics import ArchonError, Diagnostic, Severity, Span, did_you_mean, read_source
from ..kinds import BUILTIN, kind_spec
from . import providers
from .jsonpos import JsonDocument, JsonPath, parse_json, path_text

# The original's component types (its "type" names; the same as the paper's seven kinds').
KINDS: tuple[str, ...] = tuple(spec.json_name for spec in BUILTIN if spec.json_name)
# Keys every component may hold, as the original reads them (through its Generator).
COMMON_KEYS = frozenset({"type", "model", "model_type", "temperature", "max_tokens", "samples", "no_system"})
# Keys the original reads for each kind, beyond the common ones.
KIND_KEYS: dict[str, frozenset[str]] = {
    "generator": frozenset(),
    "fuser": frozenset({"length_control"}),
    "ranker": frozenset({"top_k", "use_critiques", "ranker_batch_size"}),
    "critic": frozenset(),
    "verifier": frozenset({"first_k"}),
    "unit_test_generator": frozenset({"unit_test_cap"}),
    "unit_test_evaluator": frozenset(
        {"top_k", "first_k", "first_pass", "remove_unit_tests_from_prompt", "unit_test_cap"}
    ),
}
# Keys found in published configs that the original never reads.
IGNORED_KEYS = {
    "checkpoint": "the original never reads it",
    "batch_num": "the original never reads it",
    "max_context_length": "the original never reads it (its use is commented out)",
    "length_contorl": "a misspelling of `length_control`, so the original ignores it",
}
MISSPELLINGS = frozenset({"length_contorl"})
ALL_KEYS = COMMON_KEYS | frozenset().union(*KIND_KEYS.values())
TOP_KEYS = frozenset({"name", "layers", "custom"})
# The language's unit-test count when a config leaves it to the model.
DEFAULT_TEST_COUNT = 5
# Model options for planning and rate limits here, with no bearing on the answers.
LOCAL_ONLY_OPTIONS = ("rpm", "tpm", "concurrency", "timeout", "context_window", "cost_in", "cost_out")
# The batch size every published PairRM config uses.
PAIRRM_BATCH = 16


# ---------------------------------------------------------------------------
# Notes: diagnostics about the JSON file, grouped per layer
# ---------------------------------------------------------------------------


@dataclass
class _Note:
    code: str
    name: str
    severity: Severity
    message: str
    hint: str | None
    paths: list[JsonPath]


class _Notes:
    """Collects import findings; the same finding on several components of a layer is reported once."""

    def __init__(self, document: JsonDocument, path: str):
        self.document, self.path = document, path
        self.notes: dict[tuple, _Note] = {}
        self.errors: list[Diagnostic] = []

    def error(
        self,
        where: JsonPath,
        message: str,
        hint: str | None = None,
        code: str = "J002",
        name: str = "invalid-config",
    ) -> None:
        self.errors.append(
            Diagnostic(
                code,
                name,
                Severity.ERROR,
                f"{path_text(where)}: {message}",
                self.document.span(where),
                self.path,
                hint,
            )
        )

    def add(
        self, code: str, name: str, severity: Severity, where: JsonPath, message: str, hint: str | None = None
    ) -> None:
        # Group by the component's layer and the key: `$.layers[0][*].top_k` once, not six times.
        component, key = _split_component(where)
        group = (code, message, hint, component[:-1] if component else (), key)
        note = self.notes.setdefault(group, _Note(code, name, severity, message, hint, []))
        note.paths.append(where)

    def ignored(
        self, where: JsonPath, message: str, hint: str | None = None, *, suspicious: bool = False
    ) -> None:
        """A key the original never acts on: dropping it changes nothing, so it is a note, unless
        it looks like a mistake (unknown or misspelt) the author would want to hear about."""
        severity = Severity.WARNING if suspicious else Severity.INFO
        self.add("J010", "ignored-key", severity, where, message, hint)

    def not_expressible(self, where: JsonPath, message: str, hint: str | None = None) -> None:
        self.add("J011", "not-expressible", Severity.WARNING, where, message, hint)

    def adapted(self, where: JsonPath, message: str, hint: str | None = None) -> None:
        self.add("J012", "adapted", Severity.INFO, where, message, hint)

    def missing(self, where: JsonPath, message: str, hint: str | None = None) -> None:
        self.add("J013", "missing-key", Severity.WARNING, where, message, hint)

    def reward_model(self, where: JsonPath, message: str, hint: str | None = None) -> None:
        self.add("J014", "reward-model-ranker", Severity.WARNING, where, message, hint)

    def checks_all(self, where: JsonPath, message: str, hint: str | None = None) -> None:
        self.add("J015", "checks-every-candidate", Severity.INFO, where, message, hint)

    def diagnostics(self) -> list[Diagnostic]:
        out = []
        for note in self.notes.values():
            out.append(
                Diagnostic(
                    note.code,
                    note.name,
                    note.severity,
                    f"{_paths_text(note.paths)}: {note.message}",
                    self.document.span(note.paths[0]),
                    self.path,
                    note.hint,
                )
            )
        return sorted(out, key=lambda d: d.sort_key())


def _split_component(where: JsonPath) -> tuple[JsonPath, JsonPath]:
    """(the component's path, the rest) for a path inside a component; ((), where) elsewhere."""
    for i in range(len(where) - 1, 0, -1):
        if isinstance(where[i], int) and (isinstance(where[i - 1], int) or where[i - 1] == "models"):
            return where[: i + 1], where[i + 1 :]
    return (), where


def _paths_text(paths: list[JsonPath]) -> str:
    """`$.layers[0][0..5].top_k` for the same key on components 0 to 5 of one layer."""
    if len(paths) == 1:
        return path_text(paths[0])
    component, key = _split_component(paths[0])
    indices = [cast(int, _split_component(p)[0][-1]) for p in paths]  # a component's index
    if sorted(indices) == list(range(min(indices), max(indices) + 1)):
        part = f"{min(indices)}..{max(indices)}"
    else:
        part = ",".join(str(i) for i in indices)
    return path_text(component[:-1]) + f"[{part}]" + path_text(key)[1:]


# ---------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------


@dataclass
class _Component:
    """One component of the JSON config, checked and mapped."""

    where: JsonPath
    kind: str
    model: ModelSpec
    temperature: float | None
    max_tokens: int | None
    samples: int
    data: dict[str, Any]


@dataclass
class ImportResult:
    """An imported config: the architecture, its .arch text, and what the import found."""

    architecture: Architecture
    text: str
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def import_file(path: str | Path, arch_path: str | None = None) -> ImportResult:
    """Import the Archon JSON config at `path` (see import_text)."""
    text = read_source(path)
    return import_text(text, str(path), arch_path)


def import_text(text: str, path: str = "<string>", arch_path: str | None = None) -> ImportResult:
    """Import Archon JSON text; a config that cannot be read raises ArchonError with every problem found.

    Findings that do not stop the import (ignored keys, a rule the layout
    breaks) come back in `.diagnostics`, pointing into the JSON file.
    """
    document = parse_json(text, path)
    notes = _Notes(document, path)
    data = document.value
    for duplicate in document.duplicates:
        notes.ignored(
            duplicate, "key given twice; the original (Python's json) keeps the last value", suspicious=True
        )
    if not isinstance(data, dict):
        notes.error((), f'expected an object with "name" and "layers", got {_type(data)}')
        raise ArchonError(notes.errors)

    name = _name(data, path, notes)
    for key in data:
        if key not in TOP_KEYS:
            notes.ignored(
                (key,),
                f"unknown top-level key `{key}`; the original ignores it",
                _guess(key, TOP_KEYS),
                suspicious=True,
            )
    if "custom" in data and data["custom"] not in (False, None):
        notes.ignored(
            ("custom",),
            "`custom` only asks the original to wait for custom components; "
            "every type here is built in, so it is dropped",
        )

    layers = data.get("layers")
    if "layers" not in data:
        notes.error((), 'missing "layers"', 'add "layers": [[{"type": "generator", ...}], ...]')
    elif not isinstance(layers, list):
        notes.error(("layers",), f"expected a list of layers, got {_type(layers)}")
    elif not layers:
        notes.error(("layers",), "no layers", "an architecture needs at least one layer of generators")
    parsed: list[list[_Component]] = []
    if isinstance(layers, list):
        for i, layer in enumerate(layers):
            read = (_component(value, where, notes) for value, where in _layer_components(layer, i, notes))
            parsed.append([c for c in read if c is not None])
    if notes.errors:
        raise ArchonError(notes.errors)

    defaults = _defaults(parsed)
    arch_layers: list[Layer] = []
    mixed: list[Diagnostic] = []
    for i, components in enumerate(parsed):
        runs = _runs(components)
        if len(runs) > 1:
            mixed.append(_mixed_kinds(i, runs, document, path))
        for run in runs:
            arch_layers.append(_layer(run, defaults, notes))
    architecture = Architecture(name=name, layers=arch_layers, defaults=defaults, path=arch_path)
    diagnostics = sorted(mixed + notes.diagnostics(), key=lambda d: d.sort_key())
    return ImportResult(architecture, arch_text(architecture, path, diagnostics), diagnostics)


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {json.dumps(value)}"
    return "a list" if isinstance(value, list) else "an object"


def _guess(word: str, choices) -> str | None:
    guess = did_you_mean(word, choices)
    return f"did you mean `{guess}`?" if guess else None


def _name(data: dict, path: str, notes: _Notes) -> str:
    name = data.get("name")
    if isinstance(name, str) and name.strip():
        return name
    stem = Path(path).stem if not path.startswith("<") else "archon"
    if "name" not in data:
        notes.missing((), f'no "name"; using "{stem}", the file\'s name')
    elif not isinstance(name, str):
        notes.error(("name",), f"expected a string, got {_type(name)}")
    else:
        notes.missing(("name",), f'empty "name"; using "{stem}", the file\'s name')
    return stem


def _layer_components(layer: Any, i: int, notes: _Notes) -> list[tuple[Any, JsonPath]]:
    """A layer's components with their paths, from any of the shapes the original accepted."""
    where: JsonPath = ("layers", i)
    if isinstance(layer, list):
        if not layer:
            notes.error(where, "empty layer", "a layer needs at least one component, or remove it")
        return [(c, where + (j,)) for j, c in enumerate(layer)]
    if isinstance(layer, dict) and "models" in layer:
        # The older shape, {"branches": N, "models": [...]}: the original reads the models only.
        models = layer["models"]
        for key in layer:
            if key == "branches":
                branches = layer[key]
                if not _is_int(branches) or branches < 1:
                    notes.error(where + (key,), f"expected a positive integer, got {_type(branches)}")
                elif branches != 1:
                    notes.ignored(
                        where + (key,),
                        f"`branches = {branches}` is ignored by the original runner, which "
                        'reads only "models"',
                        f'to draw {branches} answers per model, set "samples": {branches}',
                        suspicious=True,
                    )
            elif key != "models":
                notes.ignored(
                    where + (key,), f"unknown layer key `{key}`; the original ignores it", suspicious=True
                )
        if not isinstance(models, list):
            notes.error(where + ("models",), f"expected a list of components, got {_type(models)}")
            return []
        if not models:
            notes.error(
                where + ("models",), "empty layer", "a layer needs at least one component, or remove it"
            )
        return [(c, where + ("models", j)) for j, c in enumerate(models)]
    if isinstance(layer, dict) and "type" in layer:
        notes.adapted(
            where,
            "a layer written as a single component, not a list of them; read as a one-component layer",
            'the original runner fails on this shape (it looks for "models"): write [{...}]',
        )
        return [(layer, where)]
    notes.error(
        where,
        f"expected a list of components, got {_type(layer)}",
        'write each layer as [{"type": ..., "model": ..., "model_type": ...}, ...]',
    )
    return []


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _component(data: Any, where: JsonPath, notes: _Notes) -> _Component | None:
    """Check one component's keys and types, and map its model; None when it cannot be read."""
    if not isinstance(data, dict):
        notes.error(where, f"expected a component object, got {_type(data)}")
        return None
    errors = len(notes.errors)
    kind = data.get("type")
    if "type" not in data:
        notes.error(where, 'component has no "type"', f"types: {', '.join(KINDS)}")
    elif not isinstance(kind, str):
        notes.error(where + ("type",), f"expected a string, got {_type(kind)}")
    elif kind not in KINDS:
        guess = did_you_mean(kind, KINDS)
        notes.error(
            where + ("type",),
            f'unknown component type "{kind}"',
            f'did you mean "{guess}"?'
            if guess
            else f"types: {', '.join(KINDS)} (custom components cannot be imported)",
            code="J003",
            name="unknown-component-type",
        )
    for key in ("model", "model_type"):
        if key not in data:
            notes.error(where, f'component has no "{key}"')
        elif not isinstance(data[key], str):
            notes.error(where + (key,), f"expected a string, got {_type(data[key])}")
    if "model" in data and isinstance(data["model"], str) and not data["model"].strip():
        notes.error(where + ("model",), "empty model name")
    model = None
    if kind == "ranker" and data.get("model") == providers.PAIRRM and isinstance(data.get("model_type"), str):
        # The original picks PairRM by name, whatever the model_type says (its Ranker never reads it).
        model = ModelSpec(name=providers.PAIRRM, id=providers.PAIRRM)
        read_as = f' (model_type "{data["model_type"]}" is not read for it)' if data["model_type"] else ""
        notes.reward_model(
            where + ("model",),
            f"PairRM is a reward model, not an LLM: the original ranks with it in-process"
            f"{read_as}. No provider serves it here, so the ranker is kept as written (export writes it back, "
            "with its `ranker_batch_size` as `batch_size`) but cannot run: validate reports its provider unknown",
            "to run it here, give the ranker a chat model instead",
        )
    elif (
        isinstance(data.get("model"), str)
        and isinstance(data.get("model_type"), str)
        and data["model"].strip()
    ):
        try:
            imported = providers.import_model(data["model"], data["model_type"])
            model = imported.model
            if imported.note:
                notes.adapted(where + ("model_type",), imported.note)
        except providers.UnknownModelType:
            guess = did_you_mean(data["model_type"], providers.KNOWN_MODEL_TYPES)
            notes.error(
                where + ("model_type",),
                f'unknown model_type "{data["model_type"]}"',
                f'did you mean "{guess}"?'
                if guess
                else f"model types: {', '.join(providers.KNOWN_MODEL_TYPES)}",
                code="J004",
                name="unknown-model-type",
            )

    temperature = _number(data, "temperature", where, notes)
    max_tokens = _positive_int(data, "max_tokens", where, notes)
    samples = _positive_int(data, "samples", where, notes)
    for key in ("top_k", "first_k", "unit_test_cap", "ranker_batch_size"):
        if key in data and data[key] is not None:
            _positive_int(data, key, where, notes)
    for key in (
        "use_critiques",
        "first_pass",
        "remove_unit_tests_from_prompt",
        "length_control",
        "no_system",
    ):
        if key in data and not isinstance(data[key], bool) and data[key] is not None:
            notes.error(where + (key,), f"expected true or false, got {_type(data[key])}")
    if len(notes.errors) > errors or kind is None or model is None:  # no error above: both are set
        return None
    for key in ("temperature", "max_tokens"):
        if key not in data:
            notes.missing(
                where, f"no `{key}`: the original runner requires it; the language's default applies"
            )
    _check_keys(kind, data, where, notes)
    return _Component(where, kind, model, temperature, max_tokens, 1 if samples is None else samples, data)


def _number(data: dict, key: str, where: JsonPath, notes: _Notes) -> float | None:
    if key not in data:
        return None
    value = data[key]
    if not _is_number(value):
        notes.error(where + (key,), f"expected a number, got {_type(value)}")
        return None
    return float(value)


def _positive_int(data: dict, key: str, where: JsonPath, notes: _Notes) -> int | None:
    if key not in data:
        return None
    value = data[key]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not _is_int(value) or value < 1:
        notes.error(where + (key,), f"expected a positive integer, got {_type(data[key])}")
        return None
    return value


def _check_keys(kind: str, data: dict, where: JsonPath, notes: _Notes) -> None:
    """Warn on every key the original ignores for this kind, or that the language cannot express."""
    read = COMMON_KEYS | KIND_KEYS[kind]
    article = "an" if kind[0] in "aeiou" else "a"
    for key in data:
        path = where + (key,)
        if key in IGNORED_KEYS:
            notes.ignored(path, f"`{key}` dropped: {IGNORED_KEYS[key]}", suspicious=key in MISSPELLINGS)
        elif key not in read:
            if key in ALL_KEYS:
                notes.ignored(
                    path, f"`{key}` has no effect on {article} {kind} in the original runner; dropped"
                )
            else:
                notes.ignored(
                    path, f"unknown key `{key}`; the original ignores it", _guess(key, read), suspicious=True
                )
    if kind == "ranker" and data.get("samples", 1) != 1:
        notes.ignored(
            where + ("samples",), "`samples` on a ranker is ignored: the original's ranker forces one sample"
        )
    elif (
        kind in ("critic", "verifier", "unit_test_generator", "unit_test_evaluator")
        and data.get("samples", 1) != 1
    ):
        notes.not_expressible(
            where + ("samples",),
            f"`samples` on {article} {kind} only made the original repeat the call and keep "
            "the first reply; the language makes one call",
        )
    if kind == "ranker":
        if data.get("use_critiques") is False:
            notes.ignored(
                where + ("use_critiques",),
                "`use_critiques = false` has no effect: the original's ranker "
                "reads the critiques whenever a critic came before, and so does this one",
            )
        if "ranker_batch_size" in data and data.get("model") != providers.PAIRRM:
            notes.ignored(
                where + ("ranker_batch_size",), "`ranker_batch_size` only applies to PairRM; dropped"
            )
        if "top_k" not in data:
            notes.missing(
                where,
                "a ranker with no `top_k`: the original runner requires it; this one keeps every candidate",
            )
    if kind in ("verifier", "unit_test_evaluator") and _first_k(kind, data) is not None:
        key = "first_k" if data.get("first_k") is not None else "first_pass"
        passes = "is judged correct" if kind == "verifier" else "passes every test"
        notes.checks_all(
            where + (key,),
            f"`{key}` becomes `first_k = {_first_k(kind, data)}`: the same candidates are kept (the "
            f"first that many, in order, of those that {passes}), but where the original checks candidates one "
            "by one and stops there, this one checks them all at once: faster, with up to the calls `plan` counts",
        )
        if kind == "unit_test_evaluator" and data.get("first_k") is not None and data.get("first_pass"):
            notes.ignored(
                where + ("first_pass",),
                "`first_pass` has no effect next to `first_k`, which the original reads first",
            )
        if "remove_unit_tests_from_prompt" not in data:
            notes.missing(where, "no `remove_unit_tests_from_prompt`: the original runner requires it")
        elif data["remove_unit_tests_from_prompt"] is False:
            notes.not_expressible(
                where + ("remove_unit_tests_from_prompt",),
                "tests are never pasted into the query here, so the "
                "evaluator always sees the query without them (as with `true`)",
            )
        if data.get("unit_test_cap") is not None:
            notes.ignored(
                where + ("unit_test_cap",),
                "`unit_test_cap` on an evaluator is read but never used by the original; dropped",
            )


def _first_k(kind: str, data: dict) -> int | None:
    """first_k as the original reads it; an evaluator's `first_pass` is first_k = 1 when first_k is absent."""
    if data.get("first_k") is not None:
        return data["first_k"]
    return 1 if kind == "unit_test_evaluator" and data.get("first_pass") else None


def _defaults(layers: list[list[_Component]]) -> Defaults:
    """The most common temperature and max_tokens (ties go to the language's own default)."""
    base = Defaults()

    def common(values: list, fallback):
        if not values:
            return fallback
        counts = Counter(values)
        best = max(counts.values())
        return fallback if counts.get(fallback) == best else next(v for v in values if counts[v] == best)

    temps = [c.temperature for layer in layers for c in layer if c.temperature is not None]
    tokens = [c.max_tokens for layer in layers for c in layer if c.max_tokens is not None]
    return base.model_copy(
        update={"temperature": common(temps, base.temperature), "max_tokens": common(tokens, base.max_tokens)}
    )


def _runs(components: list[_Component]) -> list[list[_Component]]:
    """Consecutive components of the same kind, in order."""
    runs: list[list[_Component]] = []
    for component in components:
        if runs and runs[-1][0].kind == component.kind:
            runs[-1].append(component)
        else:
            runs.append([component])
    return runs


def _mixed_kinds(index: int, runs: list[list[_Component]], document: JsonDocument, path: str) -> Diagnostic:
    """Rule 1 (one kind per layer), reported with the rule's own code so it reads like the linter's."""
    try:
        from ..rules.one_kind_per_layer import OneKindPerLayer

        code, name = OneKindPerLayer.code, OneKindPerLayer.name
    except ImportError:
        code, name = "A001", "one-kind-per-layer"
    kinds = ", ".join(dict.fromkeys(run[0].kind for run in runs))
    layout = " | ".join(f"{run[0].kind} x{len(run)}" for run in runs)
    return Diagnostic(
        code,
        name,
        Severity.ERROR,
        f"$.layers[{index}]: one layer mixes component kinds ({kinds}); written as {len(runs)} consecutive "
        f"layers, in the components' order: {layout}",
        document.span(("layers", index)),
        path,
        "the original runs them side by side on the same input; decide which layer each belongs to",
    )


def _layer(components: list[_Component], defaults: Defaults, notes: _Notes) -> Layer:
    """One Layer from a run of components of one kind."""
    kind = components[0].kind
    temps = [c.temperature if c.temperature is not None else defaults.temperature for c in components]
    tokens = [c.max_tokens if c.max_tokens is not None else defaults.max_tokens for c in components]
    fields: dict[str, Any] = {}
    # A value the whole layer shares is a layer option; values that differ go on the models.
    per_model_temp = len(set(temps)) > 1
    per_model_tokens = len(set(tokens)) > 1
    if not per_model_temp and temps[0] != defaults.temperature:
        fields["temperature"] = temps[0]
    if not per_model_tokens and tokens[0] != defaults.max_tokens:
        fields["max_tokens"] = tokens[0]

    # (model, calls) per component; a run of one model is one entry drawing all their samples,
    # since the runtime tells samples of a model apart but not repeats of it.
    entries: list[tuple[ModelSpec, int]] = []
    for component, temperature, max_tokens in zip(components, temps, tokens, strict=True):
        update = {}
        if per_model_temp and temperature != defaults.temperature:
            update["temperature"] = temperature
        if per_model_tokens and max_tokens != defaults.max_tokens:
            update["max_tokens"] = max_tokens
        model = component.model.model_copy(update=update) if update else component.model
        calls = component.samples if kind in ("generator", "fuser") else 1
        if kind in ("generator", "fuser") and entries and entries[-1][0] == model:
            entries[-1] = (model, entries[-1][1] + calls)
        else:
            entries.append((model, calls))

    samples = math.gcd(*(calls for _, calls in entries))
    if samples > 1:
        fields["samples"] = samples
    models = [model for model, calls in entries for _ in range(calls // samples)]
    if kind in ("generator", "fuser") and len(set(models)) < len(models):
        counts = ", ".join(f"{m.id} x{calls}" for m, calls in entries)
        notes.not_expressible(
            components[0].where[:-1],
            f"this {kind} layer draws different numbers of samples per model "
            f"({counts}), which the language cannot say: written as samples = {samples} with models listed "
            "more than once (the same calls, but repeats of a model may be answered from one cache entry)",
            "give every model of the layer the same samples, or split the models across search variants",
        )

    if kind == "ranker":
        top_k = _first_value(components, "top_k", notes)
        if top_k is not None:
            fields["top_k"] = top_k
        if all(c.model.id == providers.PAIRRM for c in components):
            batch = _first_value(components, "ranker_batch_size", notes)
            if batch is not None:
                fields["batch_size"] = batch
    elif kind == "verifier":
        first_k = _first_value(components, "first_k", notes, lambda c: _first_k(kind, c.data))
        if first_k is not None:
            fields["first_k"] = first_k
    elif kind == "fuser":
        if _first_value(components, "length_control", notes, _flag("length_control")):
            fields["length_control"] = True
    elif kind == "unit_test_generator":
        count = _first_value(components, "unit_test_cap", notes)
        if count is None:
            notes.adapted(
                components[0].where,
                f"no `unit_test_cap`: the original lets the model choose how many "
                f"tests; written as count = {DEFAULT_TEST_COUNT}, the language's default",
            )
        fields["count"] = count if count is not None else DEFAULT_TEST_COUNT
    elif kind == "unit_test_evaluator":
        top_k = _first_value(components, "top_k", notes)
        if top_k is not None:
            fields["top_k"] = top_k
        first_k = _first_value(components, "first_k", notes, lambda c: _first_k(kind, c.data))
        if first_k is not None:
            fields["first_k"] = first_k
    if _first_value(components, "no_system", notes, _flag("no_system")):
        fields["no_system"] = True
    return Layer(kind=kind, models=models, **fields)


def _flag(key: str):
    """Reads a true/false key of a component, absent meaning false (as the original's .get(key, False))."""
    return lambda c: bool(c.data.get(key))


def _first_value(components: list[_Component], key: str, notes: _Notes, read=None) -> Any:
    """A layer-wide setting taken from its components (`read` picks it, else `key`); the first one
    wins when they disagree."""
    pick = read or (lambda c: c.data.get(key))
    values = [(c, pick(c)) for c in components if pick(c) is not None]
    if not values:
        return None
    if len({v for _, v in values}) > 1:
        notes.not_expressible(
            values[1][0].where + (key,),
            f"components of one layer disagree on `{key}` "
            f"({', '.join(str(v) for _, v in values)}); the layer takes the first, {values[0][1]}",
        )
    return values[0][1]


def arch_text(arch: Architecture, json_path: str, diagnostics: list[Diagnostic]) -> str:
    """The .arch file for an imported architecture: a header naming the source and the import notes."""
    header = [f"# Imported from {Path(json_path).name} (an Archon JSON config) by `archonc import`."]
    notes = [d for d in diagnostics if d.code.startswith("J") or d.code.startswith("A")]
    if notes:
        header.append("# What the import changed or dropped (see docs/interop.md):")
        for d in notes:
            # A key may hold any character; a comment must stay on its line.
            message = (
                d.message
                if d.message.isprintable()
                else "".join(c if c.isprintable() else " " for c in d.message)
            )
            # The formatter drops a comment's trailing spaces: so does this, and `fmt --check` agrees.
            header.append(f"#   {d.code} {message}".rstrip())
    # Comments on their own lines before the first statement print as written, so the
    # canonical text is the header and then the formatter's text of the architecture
    # (no second parse of the whole file).
    return "\n".join(header) + "\n" + arch.to_arch()


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


@dataclass
class ExportResult:
    """An exported config (a dict ready for json.dump) and what could not be carried over."""

    config: dict
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The config as JSON, one component per line (as the original's own configs are written).

        Each component is encoded by json's C encoder; `indent=` would take its pure-Python
        path, several times slower on a config of many layers.
        """
        rest = {k: v for k, v in self.config.items() if k != "layers"}
        head = [f"    {json.dumps(k)}: {json.dumps(v)}," for k, v in rest.items()]
        layers = [
            "        [\n" + ",\n".join("            " + json.dumps(c) for c in layer) + "\n        ]"
            if layer
            else "        []"
            for layer in self.config.get("layers", [])
        ]
        body = '    "layers": [\n' + ",\n".join(layers) + "\n    ]" if layers else '    "layers": []'
        return "{\n" + "\n".join(head + [body]) + "\n}\n"


def export_architecture(arch: Architecture) -> ExportResult:
    """The original Archon's JSON config for `arch`; raises ArchonError when a model has no model_type."""
    path = arch.path
    diagnostics: list[Diagnostic] = []
    errors: list[Diagnostic] = []
    flow_in = [0] + arch.candidate_flow()[:-1]

    def warn(message: str, span: Span | None, hint: str | None = None) -> None:
        diagnostics.append(
            Diagnostic("J021", "dropped-on-export", Severity.WARNING, message, span, path, hint)
        )

    warned_models: set[str] = set()
    local_only: list[str] = []
    layers = []
    for index, layer in enumerate(arch.layers):
        where = f"layer {index + 1} ({layer.kind})"
        json_type = kind_spec(layer.kind).json_name
        if json_type is None:  # a registered kind the original runner has no component for
            errors.append(
                Diagnostic(
                    "J020",
                    "not-exportable",
                    Severity.ERROR,
                    f"{where}: the original Archon has no {layer.kind} component",
                    layer.span,
                    path,
                )
            )
            continue
        for option in ("prompt", "system"):
            if getattr(layer, option) is not None:
                warn(f"{where}: `{option}` has no equivalent in the JSON format; dropped", layer.span)
        if layer.mode == "execute":
            warn(
                f'{where}: `mode = "execute"` has no equivalent: the original\'s evaluator always judges '
                "with the model",
                layer.span,
            )
        if layer.kind == "verifier" and layer.steps == 1:
            warn(
                f"{where}: `steps = 1` has no equivalent: the original's verifier always makes two calls per "
                "candidate (reasoning, then verdict)",
                layer.span,
            )
        components = []
        for model, calls in _merged_models(layer):
            try:
                name, model_type, note = providers.export_model(model)
            except providers.NotExportable as e:
                errors.append(
                    Diagnostic("J020", "not-exportable", Severity.ERROR, f"{where}: {e}", layer.span, path)
                )
                continue
            if model.name not in warned_models:
                warned_models.add(model.name)
                if note:
                    warn(note, layer.span)
                if model.fallbacks or model.params:
                    dropped = (["fallbacks"] if model.fallbacks else []) + list(model.params)
                    warn(
                        f"model '{model.name}': {', '.join(dropped)} not expressible in the JSON format; dropped",
                        layer.span,
                    )
                if any(getattr(model, f) is not None for f in LOCAL_ONLY_OPTIONS):
                    local_only.append(model.name)
            component: dict[str, Any] = {
                "type": json_type,
                "model": name,
                "model_type": model_type,
                "temperature": _pick(layer.temperature, model.temperature, arch.defaults.temperature),
                "max_tokens": _pick(layer.max_tokens, model.max_tokens, arch.defaults.max_tokens),
                "samples": calls,
            }
            if layer.kind == "ranker":
                # The original requires top_k; keeping every candidate is top_k = their number.
                component["top_k"] = layer.top_k if layer.top_k is not None else max(flow_in[index], 1)
                component["use_critiques"] = True
                if model.id == providers.PAIRRM:
                    # The original's PairRM ranker requires it.
                    component["ranker_batch_size"] = layer.batch_size or PAIRRM_BATCH
            elif layer.kind == "unit_test_generator":
                component["unit_test_cap"] = layer.count if layer.count is not None else DEFAULT_TEST_COUNT
            elif layer.kind == "unit_test_evaluator":
                component["remove_unit_tests_from_prompt"] = True
                if layer.top_k is not None:
                    component["top_k"] = layer.top_k
            if layer.first_k is not None:
                component["first_k"] = layer.first_k
            if layer.length_control:
                component["length_control"] = True
            if layer.no_system:
                component["no_system"] = True
            components.append(component)
        layers.append(components)
    if errors:
        raise ArchonError(errors)
    if local_only:
        diagnostics.append(
            Diagnostic(
                "J021",
                "dropped-on-export",
                Severity.INFO,
                f"prices, context windows and rate limits of {', '.join(local_only)} serve planning and "
                "limits on this side only; the JSON format has no place for them",
                None,
                path,
            )
        )
    if arch.budgets:
        diagnostics.append(
            Diagnostic(
                "J021",
                "dropped-on-export",
                Severity.INFO,
                "budgets are checks on this side only; the JSON format has none",
                arch.budgets[0].span,
                path,
            )
        )
    return ExportResult({"name": arch.name, "layers": layers}, diagnostics)


def _merged_models(layer: Layer) -> list[tuple[ModelSpec, int]]:
    """(model, samples) per component: a run of one model becomes one component drawing all their samples."""
    per_model = layer.samples if layer.kind in ("generator", "fuser") else 1
    merged: list[tuple[ModelSpec, int]] = []
    for model in layer.models:
        if merged and merged[-1][0] == model and layer.kind in ("generator", "fuser"):
            merged[-1] = (model, merged[-1][1] + per_model)
        else:
            merged.append((model, per_model))
    return merged


def _pick(*values):
    """The first value that is set: layer option, then model option, then the architecture's default."""
    return next(v for v in values if v is not None)
