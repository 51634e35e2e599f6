"""The public Python API for planning and running architectures: plan, run, arun, run_dataset, arun_dataset.

    import archon_dsl as ad
    result = ad.run("examples/general.arch", "What is 17 * 23?", sim=True)
    result.answer, result.cost_usd, result.calls

    results = ad.run_dataset(arch, "questions.jsonl", out="answers.jsonl")   # resumable
    results = await ad.arun_dataset(arch, rows, sim=True, cache=shared_cache, concurrency=32)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .architecture import Architecture
from .loader import load
from .template import Template

if TYPE_CHECKING:
    from .planner import Plan
    from .runtime.cache import Cache
    from .runtime.trace import QueryResult

__all__ = [
    "load", "plan", "run", "arun", "run_dataset", "arun_dataset", "resolve_architecture", "open_cache", "dataset_rows",
]

ArchLike = Architecture | Template | str | Path


def resolve_architecture(arch: ArchLike, params: dict[str, Any] | None = None) -> Architecture:
    """An Architecture from an Architecture, a Template, a path to an .arch file or .arch text.

    `params` fixes template parameters (the rest take their defaults); it is an error to give
    params with an Architecture, which has them fixed already.
    """
    if isinstance(arch, Architecture):
        if params:
            raise ValueError("params apply to a template or an .arch file, not to a concrete Architecture")
        return arch
    template = arch if isinstance(arch, Template) else load(arch)
    return template.instantiate(params or {})


def plan(arch: ArchLike, params: dict[str, Any] | None = None) -> Plan:
    """The execution plan: calls per query (min, max), depth, critical path and cost estimate.

    >>> plan("examples/general.arch", {"depth": 3}).to_dict()["calls"]
    """
    from .planner import plan as plan_architecture

    return plan_architecture(resolve_architecture(arch, params))


def open_cache(cache: Any) -> Cache | None:
    """The cache a run uses: True is the project's (.archon/cache.sqlite), a directory holds
    cache.sqlite, a .sqlite path is the file itself, a Cache is shared as is, False/None is none."""
    if cache is None or cache is False:
        return None
    from .runtime.cache import Cache

    if cache is True:
        return Cache.default()
    if isinstance(cache, (str, Path)):
        path = Path(cache)
        return Cache(path if path.suffix in (".sqlite", ".db") else path / "cache.sqlite")
    return cache


def _prepare(arch: ArchLike, params: dict[str, Any] | None, sim: bool) -> Architecture:
    architecture = resolve_architecture(arch, params)
    if sim:
        from .runtime import sim as simulator

        architecture = simulator.simulate(architecture)
    return architecture


def _uses_simulator(arch: ArchLike) -> bool:
    """True for an architecture written with `sim/...` models: it runs on the simulator as is."""
    return isinstance(arch, Architecture) and any(m.provider == "sim" for layer in arch.layers for m in layer.models)


class _Session:
    """An executor with the trace writer and cache it opened itself (closed afterwards; shared ones are not)."""

    def __init__(self, architecture: Architecture, *, provider: Any, cache: Any, env_file: Any,
                 concurrency: int | None, trace: Any, include_messages: bool, query_concurrency: int | None = None):
        from .runtime.executor import Executor
        from .runtime.trace import TraceWriter

        self._owned: list[Any] = []
        if provider is None:
            from .runtime.keys import load_env_file, require_credentials

            load_env_file(env_file)
            require_credentials(architecture)  # a missing key is said before any file is opened or call made
            opened = open_cache(cache)
            if opened is not None and opened is not cache:
                self._owned.append(opened)
            from .runtime.provider import Provider

            provider = Provider.for_architecture(architecture, cache=opened, env_file=env_file)
        writer = trace
        if isinstance(trace, (str, Path)):
            writer = TraceWriter(trace, include_messages)
            self._owned.append(writer)
        self.executor = Executor(architecture, provider, concurrency=concurrency, query_concurrency=query_concurrency,
                                 include_messages=include_messages, trace=writer)

    def close(self) -> None:
        for resource in self._owned:
            resource.close()


async def arun(
    arch: ArchLike,
    question: str,
    *,
    params: dict[str, Any] | None = None,
    sim: bool = False,
    cache: Any = True,
    trace: str | Path | None = None,
    include_messages: bool = False,
    concurrency: int | None = None,
    provider: Any = None,
    env_file: str | Path | None = ".env",
) -> QueryResult:
    """Answer one question; see `run`."""
    session = _Session(_prepare(arch, params, sim), provider=provider, cache=cache, env_file=env_file,
                       concurrency=concurrency, trace=trace, include_messages=include_messages)
    try:
        return await session.executor.run_query(question)
    finally:
        session.close()


def run(arch: ArchLike, question: str, **options: Any) -> QueryResult:
    """Answer one question with an architecture; returns a QueryResult (answer, error, calls, tokens,
    cost_usd (None when a price is unknown), latency_s, per-layer stats, degradations).

    arch: an Architecture, Template, path to an .arch file or .arch text.
    params: template parameter values, e.g. {"n_gen": 5}.
    sim: route every model to the offline simulator (no network, no keys).
    cache: True (default: .archon/cache), False, a directory, or a shared Cache instance.
    trace: a path to append a JSONL trace of every call to; include_messages adds prompts and replies.
    concurrency: calls in flight at most (default: the architecture's; 0: no bound).

    >>> run("examples/general.arch", "What is 17 * 23?", sim=True).answer
    """
    import anyio

    return anyio.run(lambda: arun(arch, question, **options))


async def arun_dataset(
    arch: ArchLike,
    rows: Iterable[Any] | str | Path,
    *,
    params: dict[str, Any] | None = None,
    sim: bool = False,
    cache: Any = True,
    concurrency: int | None = None,
    query_concurrency: int | None = None,
    out: str | Path | None = None,
    trace: str | Path | None = None,
    include_messages: bool = False,
    provider: Any = None,
    env_file: str | Path | None = ".env",
    on_result: Callable[[QueryResult], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
    keep_failed: bool = False,
) -> list[QueryResult]:
    """Run every row of a dataset; see `run_dataset`."""
    from .runtime.batch import ResultsFile, run_batch, to_queries

    where = str(rows) if isinstance(rows, (str, Path)) else None
    rows = dataset_rows(rows) if isinstance(rows, (str, Path)) else list(rows)
    queries = to_queries(rows, where)
    output = ResultsFile(out, keep_failed=keep_failed) if out is not None else None  # checked and locked
    try:
        if output is not None and all(q.id in output.done for q in queries):
            if on_start is not None:  # nothing to run: no provider, no simulator to start
                on_start(len(queries), len(queries))
            return [output.done[q.id] for q in queries]
        architecture = _prepare(arch, params, sim)
        if sim or _uses_simulator(architecture):
            _teach_simulator(rows, queries)
        session = _Session(architecture, provider=provider, cache=cache, env_file=env_file,
                           concurrency=concurrency, trace=trace, include_messages=include_messages,
                           query_concurrency=query_concurrency)
        try:
            batch = await run_batch(session.executor, queries, out=output, on_result=on_result, on_start=on_start)
        finally:
            session.close()
    finally:
        if output is not None:
            output.close()
    return batch.results


def run_dataset(arch: ArchLike, rows: Iterable[Any] | str | Path, **options: Any) -> list[QueryResult]:
    """Run a dataset through an architecture; one QueryResult per row, in row order.

    rows: dicts with "question" (or "query"/"prompt") and optional "id" and "answer" (kept as
    `reference`), plain strings, a path to a JSONL file, or a built-in dataset name
    ("arithmetic", "multiple_choice", "python_functions").
    out: a JSONL file to append each finished query to (fsynced); ids already answered in it are
    not run again, so a killed run resumes where it stopped, and the cache covers the calls of a
    query that was cut off. Failed rows run again (their new record replaces the old one), unless
    keep_failed=True. The file is locked for the run, and an existing file that is not such an
    output is refused untouched (OutputError). Other options as for `run`, plus query_concurrency (queries in flight),
    on_start(total, already_done) and on_result(result) callbacks.

    To evaluate many configurations, share one cache (and optionally one Provider, for shared
    rate limits): `cache = Cache("runs/cache.sqlite")`, then for each configuration
    `results = await arun_dataset(arch, rows, sim=True, cache=cache, concurrency=32)`.
    """
    import anyio

    return anyio.run(lambda: arun_dataset(arch, rows, **options))


def _teach_simulator(rows: list[Any], queries: list[Any]) -> None:
    """Give the simulator the rows' reference answers, so its models are right or wrong about them."""
    from .runtime.sim import register_answers

    register_answers(
        {**row, "question": query.question} for row, query in zip(rows, queries)
        if isinstance(row, dict) and row.get("answer") is not None
    )


def dataset_rows(rows: Iterable[Any] | str | Path) -> list[Any]:
    """Rows from a JSONL path (any row shape `run_dataset` takes), a built-in dataset name, or an iterable."""
    if not isinstance(rows, (str, Path)):
        return list(rows)
    from .datasets import read_rows

    return read_rows(rows)
