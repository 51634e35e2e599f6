"""The simulator without messages: an architecture's answer to a row as the executor on the simulator gives it, in microseconds.

`run_row(arch, row, seed)` follows the executor's data flow (generators model-major, critiques
attached per candidate, a ranker's top_k, fusers replacing the candidates) and calls the same
draws and decision rules as the message-level simulator (simulator.generated, verdict_good,
ranked_order, fused), so the final answer is the very text `archonc run --sim` returns for that
seed; tests/runtime/test_sim_fast.py checks it against the executor. Generator, critic, ranker
and fuser layers only (the ITAS spaces); other kinds raise UnsupportedLayer. Models must not be
`broken` (retries are the executor's business).

`SimEvaluator` scores configurations with it for a search (an itas Evaluator).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ...architecture import Architecture
from ...components.prompting import model_samples  # the executor's numbering of a layer's calls
from . import model as M
from .simulator import (
    DRAWS,
    Caller,
    Shown,
    SimConfig,
    Truth,
    architecture_seed,
    canonical_of,
    fused,
    generated,
    ranked_order,
    tokens,
    truth_from_row,
    verdict_good,
)

SUPPORTED = ("generator", "critic", "ranker", "fuser")
# Tokens a call's instructions add to what it is shown, by kind (the components' system prompt and
# template, about 4 characters a token); the fast path's cost is an estimate built on these.
PROMPT_TOKENS = {"generator": 75, "critic": 130, "ranker": 140, "fuser": 170}
CRITIQUE_TOKENS = 40  # a critique of one candidate
RANK_TOKENS = 3  # a ranking's tokens per candidate


class UnsupportedLayer(ValueError):
    """An architecture the fast path (and the exact expectation) cannot simulate."""


@dataclass(frozen=True)
class Candidate:
    """One candidate as the fast path tracks it: its text, class (R/W/O), answer as shown and canonical, round."""

    text: str
    cls: str
    shown: str
    canonical: str | None
    round: int
    signal: int = 0  # critiques' verdicts: +1 per critic that found it right, -1 per one that did not
    criticised: bool = False


@dataclass
class RowRun:
    """The answer to one row and what it took."""

    answer: str
    cls: str  # R, W or O
    calls: int
    input_tokens: dict[str, int]  # by model id
    output_tokens: dict[str, int]


def check_supported(arch: Architecture) -> None:
    """Raise UnsupportedLayer unless the fast path simulates every layer of `arch` as the executor would."""
    for index, layer in enumerate(arch.layers):
        if layer.kind not in SUPPORTED:
            raise UnsupportedLayer(
                f"layer {index} is a {layer.kind}: the fast simulator runs {', '.join(SUPPORTED)} layers only "
                "(run the architecture through the executor with sim=True instead)"
            )
        if layer.kind == "generator" and index:
            raise UnsupportedLayer(
                f"layer {index}: a generator after the first layer (a generator must come first)"
            )
        for model in layer.models:
            if model.provider != "sim":
                raise UnsupportedLayer(
                    f"model {model.id} is not a sim model (use runtime.sim.simulate first)"
                )
            if model.params.get("broken"):
                raise UnsupportedLayer(f"model {model.id} is broken > 0: its retries need the executor")


def configs(arch: Architecture, seed: int | None) -> dict[str, SimConfig]:
    """Each model's SimConfig by id, with `seed` (when given) as every model's seed."""
    out = {}
    for layer in arch.layers:
        for model in layer.models:
            if model.id not in out:
                cfg = SimConfig.for_model(model.id.removeprefix("sim/"), model.params)
                out[model.id] = cfg if seed is None else replace(cfg, seed=seed)
    return out


class _Truths:
    """Truth per row question, built once (truth_from_row), with each answer's class and canonical form."""

    def __init__(self) -> None:
        self.truths: dict[str, Truth] = {}
        self.classes: dict[tuple[str, str], tuple[str, str | None]] = {}

    def of(self, row: Mapping[str, Any]) -> Truth:
        question = str(row["question"])
        truth = self.truths.get(question)
        if truth is None:
            truth = self.truths[question] = truth_from_row(row)
        return truth

    def classify(self, truth: Truth, shown: str) -> tuple[str, str | None]:
        key = (truth.question, shown)
        found = self.classes.get(key)
        if found is None:
            canonical = canonical_of(truth, shown) if shown else None
            lure = canonical_of(truth, truth.wrong[0]) if truth.wrong else None
            cls = (
                "R"
                if canonical == truth.answer
                else ("W" if canonical is not None and canonical == lure else "O")
            )
            found = self.classes[key] = (cls, canonical)
        return found


TRUTHS = _Truths()


def _shown(candidates: Sequence[Candidate]) -> Shown:
    classes = "".join(c.cls for c in candidates)
    signal = {c.cls: c.signal for c in reversed(candidates)}  # the first of a class speaks for it
    return Shown(classes, max(c.round for c in candidates), signal.get("R", 0), signal.get("W", 0))


def run_row(
    arch: Architecture,
    row: Mapping[str, Any],
    seed: int | None = None,
    cfgs: dict[str, SimConfig] | None = None,
) -> RowRun:
    """The executor's answer to `row` on the simulator (with every sim model's seed set to `seed`, when given)."""
    truth = TRUTHS.of(row)
    cfgs = cfgs if cfgs is not None else configs(arch, seed)
    query_tokens = tokens(str(row["question"]))
    calls = 0
    spent_in: dict[str, int] = {}
    spent_out: dict[str, int] = {}

    def spend(model_id: str, kind: str, shown_tokens: int, out: int) -> None:
        spent_in[model_id] = spent_in.get(model_id, 0) + PROMPT_TOKENS[kind] + query_tokens + shown_tokens
        spent_out[model_id] = spent_out.get(model_id, 0) + out

    candidates: list[Candidate] = []
    for layer in arch.layers:
        kind = layer.kind
        if kind == "generator":
            for model, s in model_samples(layer):
                text, said = generated(truth, Caller(model.id.removeprefix("sim/"), cfgs[model.id], s))
                cls, canonical = TRUTHS.classify(truth, said)
                candidates.append(Candidate(text, cls, said, canonical, 0))
                calls += 1
                spend(model.id, kind, 0, tokens(text))
            continue
        n = len(candidates)
        if not n:
            continue
        shown_tokens = sum(tokens(c.text) for c in candidates)
        if kind == "critic":
            round_ = max(c.round for c in candidates)
            signals = [0] * n
            for model in layer.models:
                who = Caller(model.id.removeprefix("sim/"), cfgs[model.id])
                for k, c in enumerate(candidates):
                    signals[k] += 1 if verdict_good(truth, who, round_, c.cls, c.canonical) else -1
                calls += 1
                spend(model.id, kind, shown_tokens, CRITIQUE_TOKENS * n)
            candidates = [replace(c, signal=signals[k], criticised=True) for k, c in enumerate(candidates)]
        elif kind == "ranker":
            keep = n if layer.top_k is None else max(0, min(layer.top_k, n))
            if n > 1:
                shown = _shown(candidates)
                position = [0] * n
                for model in layer.models:
                    order = ranked_order(truth, Caller(model.id.removeprefix("sim/"), cfgs[model.id]), shown)
                    for place, j in enumerate(order):
                        position[j] += place
                    calls += 1
                    spend(
                        model.id,
                        kind,
                        shown_tokens + CRITIQUE_TOKENS * n * any(c.criticised for c in candidates),
                        RANK_TOKENS * n,
                    )
                candidates = [candidates[j] for j in sorted(range(n), key=lambda j: (position[j], j))]
            candidates = candidates[:keep]
        elif kind == "fuser":
            shown = _shown(candidates)
            other = next((c.shown for c in candidates if c.cls == "O"), "")
            critiques = CRITIQUE_TOKENS * n * any(c.criticised for c in candidates)
            out = []
            for model, s in model_samples(layer):
                text, _, given = fused(
                    truth, Caller(model.id.removeprefix("sim/"), cfgs[model.id], s), shown, other
                )
                cls, canonical = TRUTHS.classify(truth, given)
                out.append(Candidate(text, cls, given, canonical, shown.round + 1))
                calls += 1
                spend(model.id, kind, shown_tokens + critiques, tokens(text))
            candidates = out
        else:  # pragma: no cover - check_supported refuses it first
            raise UnsupportedLayer(f"{kind} layers are not simulated by the fast path")
    first = candidates[0] if candidates else None
    return RowRun(first.text if first else "", first.cls if first else "O", calls, spent_in, spent_out)


class SimEvaluator:
    """Scores configurations on the fast simulator at one seed: an itas Evaluator for searching in-process.

    `evaluate(arch, rows)` gives the Evaluation the executor on the simulator (`sim_seed=seed`)
    would give, without its per-call work: the same answers and scores, the same call count; cost
    and tokens are estimates (prompts counted by kind, PROMPT_TOKENS). `row_evaluations` counts
    the rows evaluated so far (a search's budget). `draws="architecture"`: each architecture runs at
    its own seed, derived from `seed` and the architecture (simulator.architecture_seed), as
    `archonc search --draws architecture` does.
    """

    def __init__(self, scorer: Any = "numeric", seed: int = 0, draws: str = "shared"):
        from ...itas.scorers import get_scorer

        if draws not in DRAWS:
            raise ValueError(f"draws must be one of {', '.join(DRAWS)}, got {draws!r}")
        self.scorer = get_scorer(scorer)
        self.seed = seed
        self.draws = draws
        self.row_evaluations = 0
        self._prices: dict[str, tuple[float, float] | None] = {}

    def evaluate(self, arch: Architecture, rows: Sequence[dict]) -> Any:
        from ...itas.evaluate import Evaluation

        start = time.perf_counter()
        check_supported(arch)
        cfgs = configs(arch, self.seed if self.draws == "shared" else architecture_seed(self.seed, arch))
        scores, calls, spent_in, spent_out = [], 0, 0, 0
        cost: float | None = 0.0
        for row in rows:
            result = run_row(arch, row, cfgs=cfgs)
            scores.append(float(self.scorer.score(result.answer, row)))
            calls += result.calls
            for model_id, count in result.input_tokens.items():
                out = result.output_tokens.get(model_id, 0)
                spent_in += count
                spent_out += out
                price = self._price(arch, model_id)
                cost = (
                    None
                    if cost is None or price is None
                    else cost + (count * price[0] + out * price[1]) / 1e6
                )
        self.row_evaluations += len(rows)
        return Evaluation(
            score=sum(scores) / len(scores) if scores else 0.0,
            cost_usd=cost,
            calls=calls,
            tokens=spent_in + spent_out,
            rows=len(rows),
            duration=time.perf_counter() - start,
            scores=scores,
        )

    def _price(self, arch: Architecture, model_id: str) -> tuple[float, float] | None:
        """$ per million input and output tokens of a model, as the executor prices it (pricing.spec_info)."""
        spec = next(m for layer in arch.layers for m in layer.models if m.id == model_id)
        key = f"{model_id}|{spec.cost_in}|{spec.cost_out}|{spec.params.get('skill')}"
        if key not in self._prices:
            from ...pricing import spec_info

            info = spec_info(spec)
            per_in, per_out = (info.cost(1e6, 0), info.cost(0, 1e6)) if info is not None else (None, None)
            self._prices[key] = (per_in, per_out) if per_in is not None and per_out is not None else None
        return self._prices[key]

    def close(self) -> None:
        pass


__all__ = ["SUPPORTED", "RowRun", "SimEvaluator", "UnsupportedLayer", "check_supported", "run_row", "M"]
