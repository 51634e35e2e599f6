"""The concrete, typed Architecture (pydantic) and its NetworkX data-flow graph."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .diagnostics import Span
from .kinds import (  # noqa: F401  (re-exported: the kinds' facts live in kinds.py)
    BUILTIN_NAMES,
    COMMON_OPTIONS,
    DEFAULT_VERIFIER_STEPS,
    EVALUATOR_MODES,
    VERIFIER_STEPS,
    is_kind,
    kind_spec,
)

# The paper's seven kinds; `kinds.kind_names()` adds any registered since.
KINDS: tuple[str, ...] = BUILTIN_NAMES
COMMON_LAYER_OPTIONS = frozenset(o.name for o in COMMON_OPTIONS)
# Rankers that are reward models, not LLMs: the original Archon runs them in-process
# (`batch_size` applies to them only); no provider serves them here.
REWARD_MODELS = frozenset({"llm-blender/PairRM"})

# Model options with a meaning of their own; any other option is passed to the provider.
MODEL_OPTIONS = frozenset(
    {
        "api_base",
        "temperature",
        "max_tokens",
        "rpm",
        "tpm",
        "concurrency",
        "timeout",
        "fallbacks",
        "context_window",
        "cost_in",
        "cost_out",
        "transport",
    }
)
# How a model's calls are sent (runtime/transports/): the openai SDK or litellm.
TRANSPORTS = ("openai", "litellm")
DEFAULT_OPTIONS = frozenset({"temperature", "max_tokens", "timeout", "retries", "concurrency", "fan_in"})
PROVIDER_OPTIONS = frozenset({"rpm", "tpm", "concurrency", "api_base", "timeout"})
BUDGET_METRICS = ("calls", "cost", "depth", "tokens")

# The paper's fuser context limit: at most this many candidates into one fuser.
DEFAULT_FAN_IN = 24


# Schemas are built on first validation, not at import: the linter builds its
# architectures with model_construct from values the template already checked,
# and building every schema cost archonc validate a tenth of its start-up.
_LAZY = ConfigDict(defer_build=True)


class EnvVar(BaseModel):
    """A value read from the environment when the architecture runs: `env("NAME")`."""

    model_config = ConfigDict(frozen=True, defer_build=True)
    env: str
    default: str | None = None

    def resolve(self) -> str | None:
        import os

        return os.environ.get(self.env, self.default)


class ModelSpec(BaseModel):
    """One model: its litellm id and per-model options."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    name: str  # the declared name, or the id itself for an inline string
    id: str  # litellm model id, "provider/model"
    api_base: str | EnvVar | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    rpm: float | None = None
    tpm: float | None = None
    concurrency: int | None = None
    timeout: float | None = None
    fallbacks: tuple[str, ...] = ()
    context_window: int | None = None
    cost_in: float | None = None  # dollars per million input tokens
    cost_out: float | None = None  # dollars per million output tokens
    transport: Literal["openai", "litellm"] | None = None  # None: the provider decides (runtime/provider.py)
    params: dict[str, Any] = Field(default_factory=dict)  # passed to the provider as is

    @property
    def provider(self) -> str:
        return self.id.split("/", 1)[0] if "/" in self.id else ""

    def __hash__(self) -> int:
        return hash((self.name, self.id))


class Layer(BaseModel):
    """One layer: a single component kind over a list of models."""

    model_config = _LAZY

    kind: str  # a registered kind (kinds.py)
    models: list[ModelSpec]
    samples: int = 1
    temperature: float | None = None
    max_tokens: int | None = None
    top_k: int | None = None
    count: int | None = None  # unit tests to generate
    mode: str | None = None  # unit_test_evaluator: judge | execute
    steps: int | None = None  # verifier: calls per candidate (None: DEFAULT_VERIFIER_STEPS)
    first_k: int | None = None  # verifier, unit_test_evaluator: keep the first k that pass
    length_control: bool | None = None  # fuser: no longer than the longest candidate
    no_system: bool | None = None  # send no system message (its text leads the user message)
    batch_size: int | None = None  # ranker: reward-model batch size (interop)
    prompt: str | None = None
    system: str | None = None
    # Options of a registered kind that have no field above (kinds.KindSpec.options).
    options: dict[str, Any] = Field(default_factory=dict)
    span: Span | None = Field(default=None, exclude=True, repr=False)

    @field_validator("kind")
    @classmethod
    def _registered(cls, kind: str) -> str:
        if not is_kind(kind):
            raise ValueError(f"unknown component kind '{kind}'")
        return kind

    def option(self, name: str) -> Any:
        """A kind option's value: its field, else `options`, else the kind's default."""
        if name in type(self).model_fields:
            value = getattr(self, name)
        else:
            value = self.options.get(name)
        if value is None:
            spec = kind_spec(self.kind).option(name)
            return spec.default if spec is not None else None
        return value

    def calls(self, candidates_in: int) -> int:
        """LLM calls this layer makes for one query, given its input candidates."""
        return kind_spec(self.kind).calls(self, candidates_in)

    def candidates_out(self, candidates_in: int) -> int:
        """Candidates this layer passes on (the most, for filters)."""
        return kind_spec(self.kind).candidates_out(self, candidates_in)


class Defaults(BaseModel):
    model_config = _LAZY

    temperature: float = 0.7
    max_tokens: int = 2048
    timeout: float = 120.0
    retries: int = 3
    concurrency: int = 64
    fan_in: int = DEFAULT_FAN_IN


class Budget(BaseModel):
    model_config = _LAZY

    metric: str
    op: str = "<="
    limit: float
    span: Span | None = Field(default=None, exclude=True, repr=False)

    def allows(self, value: float) -> bool:
        return value <= self.limit if self.op == "<=" else value < self.limit


class ProviderLimits(BaseModel):
    model_config = _LAZY

    rpm: float | None = None
    tpm: float | None = None
    concurrency: int | None = None
    api_base: str | EnvVar | None = None
    timeout: float | None = None


class Architecture(BaseModel):
    """A concrete architecture: every parameter fixed, every default applied."""

    model_config = _LAZY

    name: str = "archon"
    layers: list[Layer]
    defaults: Defaults = Field(default_factory=Defaults)
    budgets: list[Budget] = Field(default_factory=list)
    providers: dict[str, ProviderLimits] = Field(default_factory=dict)
    assignment: dict[str, Any] = Field(default_factory=dict)  # the parameter values it came from
    path: str | None = Field(default=None, exclude=True)

    def same_as(self, other: Architecture) -> bool:
        """Equal in meaning: source positions, parameter values and model aliases aside."""
        return self.meaning() == other.meaning()

    def meaning(self) -> dict:
        data = self.model_dump(exclude={"assignment"})
        for layer in data["layers"]:
            for model in layer["models"]:
                model.pop("name")
        return data

    def candidate_flow(self) -> list[int]:
        """Candidates leaving each layer (the most, where filters may keep fewer)."""
        flow, n = [], 0
        for layer in self.layers:
            n = layer.candidates_out(n)
            flow.append(n)
        return flow

    def calls_per_query(self) -> int:
        """LLM calls per query at most (verifiers keep every candidate)."""
        total, n = 0, 0
        for layer in self.layers:
            total += layer.calls(n)
            n = layer.candidates_out(n)
        return total

    def model_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for layer in self.layers:
            for model in layer.models:
                seen.setdefault(model.id, None)
        return list(seen)

    def graph(self):
        """The layer-level data-flow DAG: what each layer reads from which layer.

        Nodes are "query", layer indices 0..n-1 and "answer"; each edge has a
        `data` attribute: query, candidates, critiques or tests.
        """
        import networkx as nx

        g = nx.DiGraph()
        g.add_node("query")
        last_candidates: int | str = "query"
        critiques_from: int | None = None
        tests_from: int | None = None
        for i, layer in enumerate(self.layers):
            g.add_node(i, kind=layer.kind, layer=layer)
            spec = kind_spec(layer.kind)
            g.add_edge("query", i, data="query")
            if "candidates" in spec.consumes and last_candidates != "query":
                g.add_edge(last_candidates, i, data="candidates")
            if critiques_from is not None and "critiques" in spec.consumes:
                g.add_edge(critiques_from, i, data="critiques")
            if tests_from is not None and "tests" in spec.consumes:
                g.add_edge(tests_from, i, data="tests")
            if "critiques" in spec.produces:
                critiques_from = i
            elif spec.effect == "replace" and "candidates" in spec.consumes:
                critiques_from = None  # a fuser's new candidates have no critiques
            if "tests" in spec.produces:
                tests_from = i
            if not spec.pass_through:
                last_candidates = i
        g.add_node("answer")
        if last_candidates != "query":
            g.add_edge(last_candidates, "answer", data="candidates")
        return g

    def to_arch(self) -> str:
        """This architecture as canonical .arch text (see `archonc expand`)."""
        from .concrete import architecture_to_module
        from .language.printer import print_module

        return print_module(architecture_to_module(self))

    def _repr_mimebundle_(self, include=None, exclude=None):
        from .diagrams import render_svg

        try:
            return {"image/svg+xml": render_svg(self), "text/plain": repr(self)}
        except Exception:  # no graphviz binary: fall back to text in notebooks
            return {"text/plain": self.to_arch()}
