"""Running architectures on a suite's questions: one resumable results file each, one cache, one judge."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..suites.base import RowScore, Suite, SuiteScore


@dataclass
class ArchitectureRun:
    """One architecture's answers to a suite, their scores and what they cost."""

    label: str  # unique among the architectures compared (the file's stem)
    name: str  # the architecture's own name
    path: str
    results: list[Any]  # QueryResult per row, in row order
    row_scores: list[RowScore]
    score: SuiteScore
    resumed: int = 0  # rows read back from the results file, not run again
    judge: dict[str, Any] = field(default_factory=dict)  # the judge's calls, tokens, dollars for this run
    costs: list[float | None] = field(default_factory=list)  # per row, at the models' prices
    fresh: set[str] = field(default_factory=set)  # ids of the rows answered by this run

    @property
    def queries(self) -> int:
        return len(self.results)

    def totals(self) -> dict[str, Any]:
        """Calls, tokens, dollars and latency over the rows (what answering them costs, cached or not)."""
        from ..runtime.trace import add_costs

        n = max(len(self.results), 1)
        cost = add_costs(self.costs or [r.cost_usd for r in self.results]) if self.results else 0.0
        fresh = [r for r in self.results if r.id in self.fresh]
        return {
            "queries": len(self.results),
            "errors": sum(r.error is not None for r in self.results),
            "calls": sum(r.calls for r in self.results),
            "cached_calls": sum(r.cached_calls for r in self.results),
            "tokens": sum(r.tokens for r in self.results),
            "cost_usd": cost,
            "cost_per_query": None if cost is None else cost / n,
            "latency_per_query_s": sum(r.latency_s for r in self.results) / n,
            # What this invocation paid for: calls not answered from the cache, for rows it answered.
            "this_run": {
                "queries": len(fresh),
                "paid_calls": sum(r.calls - r.cached_calls for r in fresh),
                "spent_usd": add_costs(r.cost_usd for r in fresh) if fresh else 0.0,
            },
        }


class JudgeClient:
    """The judge's calls (a scorer's `ScoreContext.complete`): through the run's cache, the simulator with
    --sim, the judge's own ModelSpec (so an api_base declared in an .arch file is used), usage counted."""

    def __init__(self, judge: Any, *, sim: bool, cache: Any, env_file: Any):
        from ..suites.judging import judge_spec

        self.spec = judge_spec(judge)
        self.sim, self.cache, self.env_file = sim, cache, env_file
        self._provider: Any = None
        self.reset()

    def reset(self) -> None:
        self.calls = self.cached = self.tokens = 0
        self.cost: float | None = 0.0

    def require_credentials(self) -> None:
        """Raise MissingCredentials now if the judge's key is missing (loads the env file first)."""
        from ..architecture import Architecture, Layer
        from ..runtime.keys import load_env_file, require_credentials

        load_env_file(self.env_file)
        require_credentials(Architecture(name="judge", layers=[Layer(kind="generator", models=[self.spec])]))

    def usage(self) -> dict[str, Any]:
        return {
            "model": self.spec.id,
            "calls": self.calls,
            "cached_calls": self.cached,
            "tokens": self.tokens,
            "cost_usd": self.cost,
        }

    async def complete(self, spec: Any, kind: str, attempt: int = 0) -> Any:
        from ..architecture import Architecture, Layer
        from ..runtime.trace import add_costs

        model = self.spec if spec.model.id == self.spec.id else spec.model
        if self.sim:
            from ..runtime.sim import simulated_model

            model = simulated_model(model)
        spec = replace(spec, model=model)
        if self._provider is None:
            from ..runtime.keys import require_credentials
            from ..runtime.provider import Provider

            owner = Architecture(name="judge", layers=[Layer(kind="generator", models=[model])])
            if not self.sim:
                require_credentials(owner)
            self._provider = Provider.for_architecture(owner, cache=self.cache, env_file=self.env_file)
        metadata = {"archon": {"kind": kind, "sample": spec.sample, "attempt": attempt}}
        reply = await self._provider.complete(spec, metadata=metadata, refresh=attempt > 0)
        self.calls += 1
        self.cached += bool(reply.cached)
        self.tokens += reply.input_tokens + reply.output_tokens
        self.cost = add_costs([self.cost, reply.cost_usd])
        return reply


def answers_of(suite: Suite, results: Sequence[Any]) -> list[Any]:
    """What the scorer reads of each result: the answer, each turn's answer for a multi-turn suite, None on error."""
    if suite.multi_turn:
        return [None if r.error is not None else (getattr(r, "turns", None) or [r.answer]) for r in results]
    return [None if r.error is not None else r.answer for r in results]


async def run_architecture(
    label: str,
    arch: Any,
    suite: Suite,
    rows: list[dict[str, Any]],
    *,
    out_dir: Path,
    judge: JudgeClient | None,
    sim: bool,
    cache: Any,
    options: dict[str, Any],
    on_start: Callable[[int, int], None] | None = None,
    on_result: Callable[[Any], None] | None = None,
    samples: int = 1,
) -> ArchitectureRun:
    """Answer every row with `arch` (`samples` times each, for pass@k), resuming from its results file,
    then score the answers."""
    from ..api import arun_dataset
    from ..itas.scorers import ScoreContext

    resumed = 0
    fresh: set[str] = set()

    def finished(result: Any) -> None:
        fresh.add(result.id)
        if on_result is not None:
            on_result(result)

    def started(total: int, done: int) -> None:
        nonlocal resumed
        resumed += done
        if on_start is not None:
            on_start(total, done)

    results: list[Any] = []
    all_rows: list[dict[str, Any]] = []
    for sample in range(samples):
        batch = rows if samples == 1 else sample_rows(rows, sample)
        sample_cache = cache if sample == 0 else sample_cache_of(cache, sample)
        try:
            results += await arun_dataset(
                arch,
                batch,
                out=out_dir / "results" / f"{label}.jsonl",
                sim=sim,
                cache=sample_cache,
                on_start=started,
                on_result=finished,
                check=False,  # checked by the caller, as `archonc validate` checks it
                **options,
            )
        finally:
            if sample_cache is not cache:
                sample_cache.close()
        all_rows += batch
    rows = all_rows

    async def no_baseline_run(*_: Any) -> list[Any]:
        raise RuntimeError("suite rows carry their baseline answers")

    if judge is not None:
        judge.reset()
    ctx = ScoreContext(
        run=no_baseline_run,
        complete=judge.complete if judge is not None else None,
        sim=sim,
        unsafe_exec=bool(options.get("unsafe_exec")),
    )
    row_scores = await suite.scorer(judge.spec if judge is not None else None).row_scores(
        answers_of(suite, results), rows, ctx
    )
    return ArchitectureRun(
        label=label,
        name=getattr(arch, "name", label),
        path=str(getattr(arch, "path", "") or ""),
        results=results,
        row_scores=row_scores,
        score=suite.summarize(rows, row_scores),
        resumed=resumed,
        judge=judge.usage() if judge is not None else {},
        costs=priced(arch, results, sim),
        fresh=fresh,
    )


def sample_rows(rows: Sequence[dict[str, Any]], sample: int) -> list[dict[str, Any]]:
    """The rows of one sample of several: ids `ID#S`, each row naming its `problem` (pass@k groups by it)."""
    return [{**row, "id": f"{row['id']}#{sample}", "problem": row["id"]} for row in rows]


def sample_cache_of(cache: Any, sample: int) -> Any:
    """A cache of its own for sample `sample` > 0 (beside the run's), so that the samples of a question
    are separate calls, each still cached for a rerun; None when the run has no cache."""
    if cache is None:
        return None
    from ..runtime.cache import Cache

    return Cache(Path(cache.path).with_name(f"cache-sample{sample}.sqlite"))


def priced(arch: Any, results: Sequence[Any], sim: bool) -> list[float | None]:
    """Each row's dollars at its models' prices, cache hits priced as the calls they stand for (as the
    search prices trials); a row read back from a results file keeps the dollars recorded when it ran."""
    from ..itas.evaluate import architecture_cost

    if sim:
        from ..runtime.sim import simulate

        arch = simulate(arch)
    models = {model.id: model for layer in arch.layers for model in layer.models}
    return [architecture_cost([r], models) if r.records else r.cost_usd for r in results]


def labels_for(paths: Sequence[str | Path]) -> list[str]:
    """A unique, file-name-safe label per architecture file: its stem, numbered when two share one."""
    import re

    stems = [re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(p).stem) or "arch" for p in paths]
    out = []
    for i, stem in enumerate(stems):
        out.append(stem if stems.count(stem) == 1 else f"{stem}-{stems[: i + 1].count(stem)}")
    return out
