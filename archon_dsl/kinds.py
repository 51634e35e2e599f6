"""The registry of component kinds: everything the language, planner, diagrams and runtime know about a kind.

A kind is one `KindSpec` here plus the component class that runs it (named by a
dotted path and imported only when a layer of the kind runs, so the front end
never imports the runtime). Adding a kind is one component module and one
`register_kind(KindSpec(...))`; validate, plan, render and run read it from here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .architecture import Layer
    from .components.base import Component

# What flows between layers besides the query.
Data = Literal["candidates", "critiques", "tests", "verdicts"]
# What a layer does to the candidates it is given:
#   replace: makes new ones (generator, fuser);  rank: orders them, the best first, and may keep the top;
#   filter: keeps some, in order (verifier);     pass: leaves them as they are (critic, unit-test generator).
Effect = Literal["replace", "rank", "filter", "pass"]


@dataclass(frozen=True)
class OptionSpec:
    """One layer option: its type, its default (None: the component decides) and its allowed values."""

    name: str
    type: Literal["int", "bool", "str", "float", "models"]
    default: Any = None
    choices: tuple[Any, ...] = ()
    # The error when a value is not among `choices`, with `{value}`; and how to fix it.
    choice_error: str = ""
    choice_hint: str | None = None
    doc: str = ""


# Options every layer accepts, whatever its kind.
COMMON_OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec("model", "models", doc="the one model of the layer"),
    OptionSpec("models", "models", doc="the layer's models"),
    OptionSpec("temperature", "float", doc="sampling temperature, 0..2"),
    OptionSpec("max_tokens", "int", doc="the longest reply"),
    OptionSpec("prompt", "str", doc="the user message template"),
    OptionSpec("system", "str", doc="the system message template"),
    OptionSpec("no_system", "bool", doc="send no system message (its text leads the user message)"),
)

# A verifier's calls per candidate: 2 reasons, then judges the reasoning (the original
# Archon's verifier); 1 asks for reasoning and verdict in one structured reply.
VERIFIER_STEPS = (1, 2)
DEFAULT_VERIFIER_STEPS = 2
EVALUATOR_MODES = ("judge", "execute")
DEFAULT_TEST_COUNT = 5


def _one(layer: Layer) -> int:
    return 1


def _keep_all(layer: Layer, candidates_in: int) -> int:
    return candidates_in


@dataclass(frozen=True)
class KindSpec:
    """What one component kind is: its options, prompts, data flow, cost, drawing and implementation."""

    name: str
    component: str  # "package.module:Class", imported when a layer of this kind runs
    summary: str  # one line, for docs and help
    options: tuple[OptionSpec, ...] = ()  # beyond COMMON_OPTIONS
    placeholders: tuple[str, ...] = ("query",)  # the `{name}`s its prompt and system templates may use
    single_model: bool = False  # the paper allows one model only (Table 4)
    consumes: frozenset[Data] = frozenset()  # besides the query
    produces: frozenset[Data] = frozenset()
    effect: Effect = "pass"
    # LLM calls per model for one query, given the candidates coming in (all steps counted).
    calls_per_model: Callable[[Layer, int], int] = lambda layer, candidates_in: 1
    # Calls made one after another for one candidate or sample (a verifier reasons, then judges).
    steps: Callable[[Layer], int] = _one
    # Candidates leaving the layer: the most, and the fewest a filter may keep.
    candidates_out: Callable[[Layer, int], int] = _keep_all
    fewest_out: Callable[[Layer, int], int] | None = None
    # What one call reads for the plan's token estimate: every candidate, one, or none.
    reads: Literal["all", "one", "none"] = "none"
    # What a call node of the plan's call graph is numbered by.
    call_key: Literal["sample", "candidate"] | None = None
    shape: str = "box"  # Graphviz node shape
    hue: str = "#DDDDDD"  # node fill before lightening (diagrams.KindStyle)
    mermaid: tuple[str, str] = ("[", "]")  # Mermaid node brackets
    json_name: str | None = None  # its "type" in the original Archon's JSON; None: not expressible there
    option_names: frozenset[str] = field(init=False, repr=False, compare=False)
    _by_name: dict[str, OptionSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Looked up for every option of every layer of every point of a space: a dict, built once.
        by_name = {o.name: o for o in COMMON_OPTIONS + self.options}
        object.__setattr__(self, "_by_name", by_name)
        object.__setattr__(self, "option_names", frozenset(by_name))

    @property
    def pass_through(self) -> bool:
        """Leaves the candidates as they are: they flow through it to the next layer."""
        return self.effect == "pass"

    def option(self, name: str) -> OptionSpec | None:
        return self._by_name.get(name)

    def calls(self, layer: Layer, candidates_in: int) -> int:
        """LLM calls a layer of this kind makes for one query."""
        return len(layer.models) * self.calls_per_model(layer, candidates_in)

    def fewest(self, layer: Layer, candidates_in: int) -> int:
        """Candidates leaving the layer at the fewest (a verifier may keep one)."""
        return (self.fewest_out or self.candidates_out)(layer, candidates_in)

    def load(self) -> Component:
        """An instance of the component that runs this kind (imports the runtime side)."""
        module, _, attr = self.component.partition(":")
        return getattr(importlib.import_module(module), attr)()


# --------------------------------------------------------------------------- the seven kinds of the paper


def _samples_out(layer: Layer, candidates_in: int) -> int:
    return len(layer.models) * layer.samples


def _top_k(layer: Layer, candidates_in: int) -> int:
    return candidates_in if layer.top_k is None else min(layer.top_k, candidates_in)


def _evaluator_out(layer: Layer, candidates_in: int) -> int:
    # first_k, when that many pass every test, keeps first_k instead of top_k.
    if layer.top_k is None:
        return candidates_in
    return min(max(layer.top_k, layer.first_k or 0), candidates_in)


def _verifier_steps(layer: Layer) -> int:
    return layer.steps or DEFAULT_VERIFIER_STEPS


_FIRST_K = OptionSpec("first_k", "int", doc="keep the first k that pass")

BUILTIN: tuple[KindSpec, ...] = (
    KindSpec(
        "generator",
        "archon_dsl.components.generator:Generator",
        "new candidates from the query alone",
        options=(OptionSpec("samples", "int", 1, doc="calls per model"),),
        placeholders=("query",),
        produces=frozenset({"candidates"}),
        effect="replace",
        calls_per_model=lambda layer, n: layer.samples,
        candidates_out=_samples_out,
        call_key="sample",
        shape="box",
        hue="#77AADD",
        mermaid=("(", ")"),
        json_name="generator",
    ),
    KindSpec(
        "critic",
        "archon_dsl.components.critic:Critic",
        "strengths and weaknesses of every candidate",
        placeholders=("query", "candidates", "n"),
        single_model=True,
        consumes=frozenset({"candidates"}),
        produces=frozenset({"critiques"}),
        effect="pass",
        reads="all",
        shape="note",
        hue="#EE8866",
        mermaid=(">", "]"),
        json_name="critic",
    ),
    KindSpec(
        "ranker",
        "archon_dsl.components.ranker:Ranker",
        "orders the candidates, the best first, and keeps the top_k",
        options=(
            OptionSpec("top_k", "int", doc="candidates kept (None: all)"),
            OptionSpec("batch_size", "int", doc="reward-model batch size"),
        ),
        placeholders=("query", "candidates", "critiques", "n", "top_k"),
        single_model=True,
        consumes=frozenset({"candidates", "critiques"}),
        produces=frozenset({"candidates"}),
        effect="rank",
        candidates_out=_top_k,
        reads="all",
        shape="cds",
        hue="#AAAA00",
        mermaid=("[/", "\\]"),
        json_name="ranker",
    ),
    KindSpec(
        "fuser",
        "archon_dsl.components.fuser:Fuser",
        "fuses the candidates (and their critiques) into new ones",
        options=(
            OptionSpec("samples", "int", 1, doc="calls per model"),
            OptionSpec("length_control", "bool", doc="no longer than the longest candidate"),
        ),
        placeholders=("query", "candidates", "critiques", "n"),
        consumes=frozenset({"candidates", "critiques"}),
        produces=frozenset({"candidates"}),
        effect="replace",
        calls_per_model=lambda layer, n: layer.samples,
        candidates_out=_samples_out,
        reads="all",
        call_key="sample",
        shape="hexagon",
        hue="#44BB99",
        mermaid=("{{", "}}"),
        json_name="fuser",
    ),
    KindSpec(
        "verifier",
        "archon_dsl.components.verifier:Verifier",
        "keeps the candidates judged correct",
        options=(
            OptionSpec(
                "steps",
                "int",
                DEFAULT_VERIFIER_STEPS,
                VERIFIER_STEPS,
                "`steps` is 1 or 2, got {value}",
                "2 (the default): a reasoning call, then a verdict call; 1: both in one structured reply",
                doc="calls per candidate",
            ),
            _FIRST_K,
        ),
        placeholders=("query", "candidate"),
        single_model=True,
        consumes=frozenset({"candidates"}),
        produces=frozenset({"verdicts"}),
        effect="filter",
        calls_per_model=lambda layer, n: n * _verifier_steps(layer),
        steps=_verifier_steps,
        fewest_out=lambda layer, n: min(1, n),
        reads="one",
        call_key="candidate",
        shape="octagon",
        hue="#DDDDDD",
        mermaid=("{", "}"),
        json_name="verifier",
    ),
    KindSpec(
        "unit_test_generator",
        "archon_dsl.components.unit_test_generator:UnitTestGenerator",
        "unit tests for the query",
        options=(OptionSpec("count", "int", DEFAULT_TEST_COUNT, doc="tests to write"),),
        placeholders=("query", "count"),
        single_model=True,
        produces=frozenset({"tests"}),
        effect="pass",
        shape="tab",
        hue="#EEDD88",
        mermaid=("[[", "]]"),
        json_name="unit_test_generator",
    ),
    KindSpec(
        "unit_test_evaluator",
        "archon_dsl.components.unit_test_evaluator:UnitTestEvaluator",
        "orders the candidates by the unit tests they pass",
        options=(
            OptionSpec("top_k", "int", doc="candidates kept (None: all)"),
            OptionSpec(
                "mode",
                "str",
                "judge",
                EVALUATOR_MODES,
                "`mode` is one of judge, execute, got {value}",
                doc="judge the tests with the model, or execute them",
            ),
            _FIRST_K,
        ),
        placeholders=("query", "candidate", "tests", "n_tests"),
        single_model=True,
        consumes=frozenset({"candidates", "tests"}),
        produces=frozenset({"candidates"}),
        effect="rank",
        # Executed tests are run, not judged: no LLM call.
        calls_per_model=lambda layer, n: 0 if layer.mode == "execute" else n,
        candidates_out=_evaluator_out,
        reads="one",
        call_key="candidate",
        shape="folder",
        hue="#99DDFF",
        mermaid=("[\\", "/]"),
        json_name="unit_test_evaluator",
    ),
)
BUILTIN_NAMES: tuple[str, ...] = tuple(spec.name for spec in BUILTIN)

_REGISTRY: dict[str, KindSpec] = {spec.name: spec for spec in BUILTIN}


def register_kind(spec: KindSpec) -> KindSpec:
    """Make `spec` a kind every command knows; an existing name is refused (unregister it first)."""
    if spec.name in _REGISTRY:
        raise ValueError(f"component kind '{spec.name}' is already registered")
    if not spec.name.isidentifier():
        raise ValueError(f"a component kind is named like an identifier, got '{spec.name}'")
    _REGISTRY[spec.name] = spec
    return spec


def unregister_kind(name: str) -> None:
    """Forget a kind added with `register_kind`; the paper's seven stay."""
    if name in BUILTIN_NAMES:
        raise ValueError(f"'{name}' is a built-in component kind")
    _REGISTRY.pop(name, None)


def kind_names() -> tuple[str, ...]:
    """Every registered kind, the paper's seven first."""
    return tuple(_REGISTRY)


def is_kind(name: Any) -> bool:
    return isinstance(name, str) and name in _REGISTRY


def kind_spec(name: str) -> KindSpec:
    """The spec of a registered kind (KeyError for any other name)."""
    return _REGISTRY[name]


def kind_specs() -> tuple[KindSpec, ...]:
    return tuple(_REGISTRY.values())
