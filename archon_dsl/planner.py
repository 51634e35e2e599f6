"""The plan of one query: its call DAG, calls per query, sequential depth, tokens and cost.

Figures are estimates made before any call, from the architecture alone:

* calls: `max` keeps every candidate a filter could keep; `min` assumes each
  verifier keeps one. Rankers and unit-test evaluators keep `top_k` in both.
  Verifiers make `steps` calls per candidate and model (2 by default: reasoning,
  then verdict, as the original Archon's), judging evaluators one; an
  evaluator in mode "execute" runs the tests and makes no LLM call. Re-asks for
  output that does not parse are not counted.
* depth: sequential calls on the critical path. The executor runs the calls of
  a layer at once and layers one after another, so each layer that calls a model
  adds its steps (one; a verifier's `steps`, VERIFIER_STEPS unless set).
* tokens per call: output = `tokens_per_call` if given, else OUTPUT_FILL of the
  call's max_tokens (layer, else model, else defaults). Input = prompt overhead +
  query + what the call reads: every candidate (at the output length of the
  layer that wrote it) for critics, rankers and fusers, plus critiques (the
  critic's output shared over the candidates) when present; one candidate (and
  the unit tests) for verifiers and evaluators.
* cost: input and output tokens times the model's price (`cost_in`/`cost_out`,
  else litellm's table). A model with no known price makes the cost None,
  shown "unknown", never 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .architecture import DEFAULT_VERIFIER_STEPS, Architecture, Layer
from .kinds import kind_spec
from .pricing import spec_info

# A verifier's calls per candidate unless its `steps` says otherwise: a reasoning call,
# then a verdict call on that reasoning (components/verifier.py).
VERIFIER_STEPS = DEFAULT_VERIFIER_STEPS
PROMPT_OVERHEAD_TOKENS = 250  # system prompt and instructions around the data
QUERY_TOKENS = 150  # a typical query: the plan does not see the dataset
OUTPUT_FILL = 0.5  # a reply uses half its max_tokens on average


@dataclass(frozen=True, slots=True)
class LayerPlan:
    """The figures of one layer for one query."""

    index: int
    kind: str
    models: tuple[str, ...]
    calls_min: int
    calls_max: int
    candidates_in: tuple[int, int]  # (min, max)
    candidates_out: tuple[int, int]
    steps: int  # sequential calls this layer adds to the depth
    input_tokens: int  # per call
    output_tokens: int  # per call (the longest of the layer's models)
    tokens: int  # input + output over the layer's calls (max case)
    cost_usd: float | None  # max case; None if a model has no price
    cost_usd_min: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "kind": self.kind,
            "models": list(self.models),
            "calls": {"min": self.calls_min, "max": self.calls_max},
            "candidates_in": {"min": self.candidates_in[0], "max": self.candidates_in[1]},
            "candidates_out": {"min": self.candidates_out[0], "max": self.candidates_out[1]},
            "steps": self.steps,
            "tokens_per_call": {"input": self.input_tokens, "output": self.output_tokens},
            "tokens": self.tokens,
            "cost_usd": self.cost_usd,
            "cost_usd_min": self.cost_usd_min,
        }


@dataclass
class Plan:
    """What one query through an architecture costs before it runs (see the module docstring)."""

    architecture: Architecture
    layers: list[LayerPlan]
    unpriced_models: list[str]
    tokens_per_call: int | None = None
    _graph: Any = field(default=None, repr=False)

    @property
    def calls_min(self) -> int:
        return sum(layer.calls_min for layer in self.layers)

    @property
    def calls_max(self) -> int:
        return sum(layer.calls_max for layer in self.layers)

    @property
    def depth(self) -> int:
        return sum(layer.steps for layer in self.layers)

    @property
    def cost_usd(self) -> float | None:
        return _total(layer.cost_usd for layer in self.layers)

    @property
    def cost_usd_min(self) -> float | None:
        return _total(layer.cost_usd_min for layer in self.layers)

    @property
    def input_tokens(self) -> int:
        return sum(layer.input_tokens * layer.calls_max for layer in self.layers)

    @property
    def output_tokens(self) -> int:
        return sum(layer.tokens for layer in self.layers) - self.input_tokens

    def to_dict(self) -> dict[str, Any]:
        input_tokens = self.input_tokens
        total = sum(layer.tokens for layer in self.layers)
        return {
            "name": self.architecture.name,
            "calls": {"min": self.calls_min, "max": self.calls_max},
            "depth": self.depth,
            "cost_usd": self.cost_usd,
            "cost_usd_min": self.cost_usd_min,
            "tokens": {"input": input_tokens, "output": total - input_tokens, "total": total},
            "unpriced_models": list(self.unpriced_models),
            "layers": [layer.to_dict() for layer in self.layers],
            "assumptions": {
                "prompt_overhead_tokens": PROMPT_OVERHEAD_TOKENS,
                "query_tokens": QUERY_TOKENS,
                "output_fill": OUTPUT_FILL,
                "tokens_per_call": self.tokens_per_call,
                "verifier_steps": VERIFIER_STEPS,
            },
        }

    @property
    def graph(self):
        """The call DAG (networkx.DiGraph), built on first use.

        A node per LLM call, keyed `(layer, n)`, with attributes layer, kind, model,
        sample (generator and fuser) or candidate (verifier, evaluator) and step.
        Edges run from every call of each layer whose output a call reads (through
        layers that make no call) to the call.
        """
        if self._graph is None:
            self._graph = _call_graph(self)
        return self._graph

    def text(self) -> str:
        """A readable table of the plan."""
        headers = ("layer", "kind", "models", "calls", "candidates", "tokens/call", "cost")
        rows = []
        for layer in self.layers:
            names = tuple(m.name for m in self.architecture.layers[layer.index].models)
            calls = (
                str(layer.calls_max)
                if layer.calls_min == layer.calls_max
                else f"{layer.calls_min}-{layer.calls_max}"
            )
            flow = f"{_span(layer.candidates_in)} -> {_span(layer.candidates_out)}"
            rows.append(
                (
                    str(layer.index + 1),
                    layer.kind,
                    _models(names),
                    calls,
                    flow,
                    f"{layer.input_tokens:,} in / {layer.output_tokens:,} out",
                    _money(layer.cost_usd),
                )
            )
        widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
        lines = [
            "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
            "  ".join("-" * w for w in widths),
        ]
        lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
        calls = (
            str(self.calls_max) if self.calls_min == self.calls_max else f"{self.calls_min}-{self.calls_max}"
        )
        tokens = self.to_dict()["tokens"]
        lines.append("")
        lines.append(
            f"{self.architecture.name}: {calls} calls per query, depth {self.depth}, "
            f"~{tokens['total']:,} tokens, cost {_money(self.cost_usd)} per query"
        )
        if self.unpriced_models:
            lines.append(
                f"no price known for: {', '.join(self.unpriced_models)} (give them cost_in/cost_out)"
            )
        return "\n".join(lines)


def plan(architecture: Architecture, *, tokens_per_call: int | None = None) -> Plan:
    """The plan of one query through `architecture`; pure and fast (no network, no litellm)."""
    defaults = architecture.defaults
    layers: list[LayerPlan] = []
    unpriced: dict[str, None] = {}
    n_min = n_max = 0  # candidates flowing (min and max)
    candidate_tokens = 0  # output length of the layer that wrote the current candidates
    critique_tokens = 0  # one candidate's critique, while critiques travel with the candidates
    test_tokens = 0  # all unit tests, once generated
    for index, layer in enumerate(architecture.layers):
        kind = layer.kind
        models = layer.models
        outputs = [
            _output_tokens(layer.max_tokens or m.max_tokens or defaults.max_tokens, tokens_per_call)
            for m in models
        ]
        calls_min, calls_max = _calls(layer, n_min), _calls(layer, n_max)
        per_model_min = calls_min // len(models) if models else 0
        per_model_max = calls_max // len(models) if models else 0
        spec = kind_spec(kind)
        reads = PROMPT_OVERHEAD_TOKENS + QUERY_TOKENS
        if spec.reads == "all":
            reads += n_max * (candidate_tokens + critique_tokens)
        elif spec.reads == "one":
            reads += candidate_tokens + critique_tokens + (test_tokens if "tests" in spec.consumes else 0)
        cost_max: float | None = 0.0
        cost_min: float | None = 0.0
        for model, out in zip(models, outputs, strict=True) if calls_max else ():
            info = spec_info(model)
            if info is None or not info.priced:
                unpriced.setdefault(model.id, None)
                cost_max = cost_min = None
                continue
            one = info.cost(reads, out)
            if cost_max is not None and cost_min is not None and one is not None:
                cost_max += one * per_model_max
                cost_min += one * per_model_min
        out_max = max(outputs) if outputs else 0
        tokens = sum((reads + out) * per_model_max for out in outputs)
        out_min_flow, out_max_flow = _flow(layer, n_min, minimum=True), _flow(layer, n_max, minimum=False)
        layers.append(
            LayerPlan(
                index=index,
                kind=kind,
                models=tuple(m.id for m in models),
                calls_min=calls_min,
                calls_max=calls_max,
                candidates_in=(n_min, n_max),
                candidates_out=(out_min_flow, out_max_flow),
                steps=_steps(layer) if calls_max else 0,
                input_tokens=reads if calls_max else 0,
                output_tokens=out_max if calls_max else 0,
                tokens=tokens if calls_max else 0,
                cost_usd=cost_max,
                cost_usd_min=cost_min,
            )
        )
        if spec.effect == "replace":  # new candidates, at this layer's output length, with no critiques
            candidate_tokens = round(sum(outputs) / len(outputs)) if outputs else 0
            critique_tokens = 0
        elif "critiques" in spec.produces and n_max:
            critique_tokens = math.ceil(out_max / n_max)
        elif "tests" in spec.produces:
            test_tokens = out_max
        n_min, n_max = out_min_flow, out_max_flow
    return Plan(architecture, layers, sorted(unpriced), tokens_per_call)


def _output_tokens(max_tokens: int, tokens_per_call: int | None) -> int:
    if tokens_per_call is not None:
        return min(max_tokens, tokens_per_call)
    return max(1, math.ceil(max_tokens * OUTPUT_FILL))


def _calls(layer: Layer, candidates_in: int) -> int:
    return kind_spec(layer.kind).calls(layer, candidates_in)


def _flow(layer: Layer, candidates_in: int, *, minimum: bool) -> int:
    """Candidates leaving `layer`; with `minimum`, the fewest a filter keeps (a verifier: one)."""
    spec = kind_spec(layer.kind)
    return spec.fewest(layer, candidates_in) if minimum else spec.candidates_out(layer, candidates_in)


def _steps(layer: Layer) -> int:
    return kind_spec(layer.kind).steps(layer)


def _total(values) -> float | None:
    total = 0.0
    for value in values:
        if value is None:
            return None
        total += value
    return total


def _call_graph(plan: Plan):
    import networkx as nx

    arch = plan.architecture
    flow = arch.graph()
    g = nx.DiGraph()
    nodes: dict[int, list[tuple[int, int]]] = {}
    for layer_plan in plan.layers:
        i = layer_plan.index
        layer = arch.layers[i]
        nodes[i] = []
        n_in = layer_plan.candidates_in[1]
        for node_index, attrs in enumerate(_call_nodes(layer, n_in)):
            node = (i, node_index)
            g.add_node(node, layer=i, kind=layer.kind, **attrs)
            nodes[i].append(node)
    sources_memo: dict[int, list[tuple[int, int]]] = {}

    def sources(j: int) -> list[tuple[int, int]]:
        """Calls whose output layer `j` passes on: its own, or (if it makes none) its inputs'."""
        if j not in sources_memo:
            if nodes.get(j):
                sources_memo[j] = nodes[j]
            else:
                found: dict[tuple[int, int], None] = {}
                for parent in flow.predecessors(j):
                    if parent != "query":
                        found.update(dict.fromkeys(sources(parent)))
                sources_memo[j] = list(found)
        return sources_memo[j]

    for i, calls in nodes.items():
        parents: dict[tuple[int, int], None] = {}
        for j in flow.predecessors(i):
            if j != "query":
                parents.update(dict.fromkeys(sources(j)))
        for call in calls:
            if g.nodes[call].get("step", 0) > 0:  # a later step of the same candidate's verification
                g.add_edge((i, call[1] - 1), call)
                continue
            for parent in parents:
                g.add_edge(parent, call)
    return g


def _call_nodes(layer: Layer, candidates_in: int) -> list[dict[str, Any]]:
    """One node per call of each model: numbered by sample or candidate (as the kind says), then step."""
    spec = kind_spec(layer.kind)
    steps = spec.steps(layer)
    chains = spec.calls_per_model(layer, candidates_in) // steps
    out = []
    for model in layer.models:
        for k in range(chains):
            numbered = {spec.call_key: k} if spec.call_key else {}
            out += [{"model": model.id, **numbered, "step": step} for step in range(steps)]
    return out


def _span(pair: tuple[int, int]) -> str:
    return str(pair[1]) if pair[0] == pair[1] else f"{pair[0]}-{pair[1]}"


def _models(names: tuple[str, ...]) -> str:
    shown = ", ".join(names[:3])
    return shown + (f" +{len(names) - 3}" if len(names) > 3 else "")


def _money(value: float | None) -> str:
    if value is None:
        return "unknown"
    if value == 0:
        return "$0"
    return f"${value:.4f}" if value >= 0.0001 else f"${value:.2e}"
