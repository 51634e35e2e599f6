"""Evaluating one configuration: run it over rows through the executor (shared cache, one event loop) and score it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..architecture import Architecture, ModelSpec
from .scorers import ScoreContext, Scorer, get_scorer


@dataclass
class Evaluation:
    """How one configuration did on a set of rows."""

    score: float  # mean row score, 0..1 for the built-in scorers
    cost_usd: (
        float | None
    )  # dollars over all rows, cache hits at their price; None when some price is unknown
    calls: int  # LLM calls over all rows (cached ones included: the cost of running it afresh)
    tokens: int = 0
    errors: int = 0  # rows that ended in an error (scored 0)
    rows: int = 0
    duration: float = 0.0  # seconds of wall time
    scores: list[float] = field(default_factory=list, repr=False)

    def cost(self, metric: str) -> float:
        """Cost per query in the given metric: "cost_usd" (dollars) or "calls"."""
        total = self.cost_usd if metric == "cost_usd" else self.calls
        return float(total or 0.0) / max(self.rows, 1)


def architecture_cost(results: Iterable[Any], models: Mapping[str, ModelSpec]) -> float | None:
    """Dollars the calls of these query results cost at their models' prices, cache hits included.

    A search compares architectures, so a trial's cost is what running it costs, whatever
    this run found in the cache: a hit (recorded at $0 spent) is priced from its tokens
    with the model's price, as the call it stands for was. None when some price is unknown.
    """
    from ..pricing import model_info, spec_info
    from ..runtime.trace import add_costs

    def price(record: Any) -> float | None:
        if not record.cached:
            return record.cost_usd
        spec = models.get(record.model)
        info = spec_info(spec) if spec is not None else model_info(record.model)
        return info.cost(record.input_tokens, record.output_tokens) if info is not None else None

    return add_costs(price(record) for result in results for record in result.records)


class Evaluator(Protocol):
    """Scores a configuration on rows."""

    def evaluate(self, arch: Architecture, rows: Sequence[dict]) -> Evaluation: ...

    def close(self) -> None: ...


class FunctionEvaluator:
    """An evaluator from a plain function of the architecture (and rows) returning a score or an Evaluation.

    For objectives that are not a dataset (tests, toy problems, a user's own harness):
    `f(arch, rows) -> float | (score, cost) | Evaluation`; `cost` is per query.
    """

    def __init__(self, func: Callable[[Architecture, Sequence[dict]], Any]):
        self.func = func

    def evaluate(self, arch: Architecture, rows: Sequence[dict]) -> Evaluation:
        start = time.perf_counter()
        value = self.func(arch, rows)
        duration = time.perf_counter() - start
        n = max(len(rows), 1)
        if isinstance(value, Evaluation):
            value.duration = value.duration or duration
            return value
        if isinstance(value, tuple):
            score, cost = value
            return Evaluation(
                float(score), float(cost) * n, arch.calls_per_query() * n, rows=n, duration=duration
            )
        return Evaluation(float(value), None, arch.calls_per_query() * n, rows=n, duration=duration)

    def close(self) -> None:
        pass


class ExecutorEvaluator:
    """Runs configurations through the executor (sim or real providers) and scores the answers.

    One event loop (a blocking portal) serves every evaluation of a search, so the cache, the
    rate limits and the connections are shared across trials: configurations that overlap reuse
    the calls they have in common. sim_seed: the simulator's seed of every sim model it runs, the
    judge's included (None: env ARCHON_SIM_SEED, else each model's own, else 0).
    draws="architecture": each architecture draws its own samples instead: its sim models run at a
    seed of its own (sim.architecture_seed of sim_seed, else 0) and its cache entries are its own
    (runtime.cache.SaltedCache), so no two architectures share a reply (docs/search.md, "Draws").
    """

    def __init__(
        self,
        scorer: Scorer | str,
        *,
        sim: bool = False,
        sim_seed: int | None = None,
        draws: str = "shared",
        cache: Any = True,
        concurrency: int | None = None,
        query_concurrency: int | None = None,
        env_file: str | Path | None = ".env",
        unsafe_exec: bool = False,
    ):
        from ..runtime.sim.simulator import DRAWS

        if draws not in DRAWS:
            raise ValueError(f"draws must be one of {', '.join(DRAWS)}, got {draws!r}")
        self.scorer = get_scorer(scorer) if not isinstance(scorer, Scorer) else scorer
        self.sim = sim
        self.sim_seed = sim_seed
        self.draws = draws
        self.unsafe_exec = unsafe_exec  # execute mode and the code scorer may run code without a sandbox
        if getattr(self.scorer, "needs_sandbox", False):
            from ..runtime.isolation import select

            select(unsafe_exec)  # no sandbox: fail before the first trial, not after its calls
        from ..api import open_cache

        self.cache = open_cache(cache)
        self._owns_cache = self.cache is not None and self.cache is not cache
        self.concurrency = concurrency
        self.query_concurrency = query_concurrency
        self.env_file = env_file
        self._stack: ExitStack | None = None
        self._portal: Any = None  # anyio's BlockingPortal, while started
        self._portal_lock = threading.Lock()
        self._provider: Any = None  # a Provider, made on the first judge call

    def _ensure_portal(self):
        with self._portal_lock:  # several search workers may ask for it at once: one portal for all
            if self._portal is None:
                from anyio.from_thread import start_blocking_portal

                self._stack = ExitStack()
                self._portal = self._stack.enter_context(start_blocking_portal())
            return self._portal

    async def _run(self, arch: Architecture, rows: list[dict]) -> list[Any]:
        from ..api import arun_dataset

        sim_seed = self.sim_seed
        cache: Any = self.cache
        if self.draws == "architecture":
            from ..runtime.cache import SaltedCache
            from ..runtime.sim.simulator import architecture_seed

            sim_seed = architecture_seed(sim_seed or 0, arch)
            cache = SaltedCache(cache, f"draws:{sim_seed}") if cache is not None else None
        # check=False: the search space has applied the rules (or was told not to) to every point it runs.
        return await arun_dataset(
            arch,
            rows,
            sim=self.sim,
            sim_seed=sim_seed,
            cache=cache,
            concurrency=self.concurrency,
            query_concurrency=self.query_concurrency,
            env_file=self.env_file,
            unsafe_exec=self.unsafe_exec,
            check=False,
        )

    async def _complete(self, spec: Any, kind: str, attempt: int = 0) -> Any:
        """One call outside any architecture (the judge's), through the same cache; a CallResult."""
        from dataclasses import replace

        from ..architecture import Layer

        if self.sim:
            from ..runtime import sim as simulator

            spec = replace(spec, model=simulator.simulated_model(spec.model))
        if self.sim_seed is not None and spec.model.provider == "sim":
            # In the params, as the architectures' sim models carry it: part of the cache key.
            seeded = spec.model.model_copy(update={"params": {**spec.model.params, "seed": self.sim_seed}})
            spec = replace(spec, model=seeded)
        if self._provider is None:
            from ..runtime.provider import Provider

            owner = Architecture(name="scorer", layers=[Layer(kind="generator", models=[spec.model])])
            self._provider = Provider.for_architecture(owner, cache=self.cache, env_file=self.env_file)
        metadata = {"archon": {"kind": kind, "sample": spec.sample, "attempt": attempt}}
        return await self._provider.complete(spec, metadata=metadata, refresh=attempt > 0)

    async def aevaluate(self, arch: Architecture, rows: Sequence[dict]) -> Evaluation:
        start = time.perf_counter()
        rows = list(rows)
        results = await self._run(arch, rows)
        answers = [r.answer if r.error is None else None for r in results]
        scores = await self.scorer.ascore_all(answers, rows, self.score_context())
        return Evaluation(
            score=sum(scores) / len(scores) if scores else 0.0,
            cost_usd=architecture_cost(results, self.models_of(arch)),
            calls=sum(r.calls for r in results),
            tokens=sum(r.tokens for r in results),
            errors=sum(r.error is not None for r in results),
            rows=len(rows),
            duration=time.perf_counter() - start,
            scores=scores,
        )

    def evaluate(self, arch: Architecture, rows: Sequence[dict]) -> Evaluation:
        return self._ensure_portal().call(self.aevaluate, arch, rows)

    def models_of(self, arch: Architecture) -> dict[str, ModelSpec]:
        """The models the calls go to, by id: on the simulator, their simulated versions."""
        if self.sim:
            from ..runtime.sim import simulate

            arch = simulate(arch)
        return {model.id: model for layer in arch.layers for model in layer.models}

    def score_context(self) -> ScoreContext:
        """What a scorer that calls models (the judge) gets: this evaluator's executor and cache."""
        return ScoreContext(
            run=self._run, complete=self._complete, sim=self.sim, unsafe_exec=self.unsafe_exec
        )

    def score_answers(self, answers: Sequence[str | None], rows: Sequence[dict]) -> list[float]:
        """Scores of answers given as text (no architecture run), e.g. to check a scorer."""
        return self._ensure_portal().call(
            self.scorer.ascore_all, list(answers), list(rows), self.score_context()
        )

    def close(self) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = self._portal = None
        if self._owns_cache and self.cache is not None:
            self.cache.close()
            self._owns_cache = False

    def __enter__(self) -> ExecutorEvaluator:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
