"""The public Python API for planning, drawing and running architectures: plan, render, run, run_dataset, search.

import archon_dsl as ad
result = ad.run("examples/general_purpose.arch", "What is 17 * 23?", sim=True)
result.answer, result.cost_usd, result.calls

results = ad.run_dataset(arch, "questions.jsonl", out="answers.jsonl")   # resumable
results = await ad.arun_dataset(arch, rows, sim=True, cache=shared_cache, concurrency=32)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from .architecture import Architecture
from .diagnostics import ArchonError, Diagnostic
from .loader import load
from .template import Template

if TYPE_CHECKING:
    from .checker import CheckResult
    from .itas.driver import SearchResult
    from .itas.ranking import Ranking
    from .planner import Plan
    from .runtime.cache import Cache
    from .runtime.trace import QueryResult

__all__ = [
    "ArchitectureError",
    "load",
    "check_before_run",
    "plan",
    "render",
    "run",
    "arun",
    "run_dataset",
    "arun_dataset",
    "search",
    "rank_models",
    "resolve_architecture",
    "open_cache",
    "dataset_rows",
]

ArchLike = Architecture | Template | str | Path
# A question, or a conversation: OpenAI-style messages ending with the user's turn.
Question = str | Sequence[Mapping[str, Any]]


class ArchitectureError(ArchonError):
    """validate rejects what was asked to run: raised before any call; `.diagnostics` holds every finding."""

    def __init__(self, diagnostics: list[Diagnostic], result: CheckResult | None = None):
        super().__init__(diagnostics)
        self.result = result
        errors = [d for d in diagnostics if d.is_error]
        if errors:
            first = errors[0]
            where = (
                f"{first.path}:{first.span.line}:{first.span.column}"
                if first.path and first.span
                else first.path
            )
            more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
            self.args = (f"{where + ': ' if where else ''}{first.code} {first.message}{more}",)


def check_before_run(
    arch: ArchLike, params: dict[str, Any] | None = None, *, whole_space: bool = False
) -> CheckResult:
    """What `archonc validate` finds in what is about to run: the one configuration `params` picks (the
    template's own findings and every rule on that architecture), or with `whole_space` every point of
    a template's space, as validate checks it (search). Findings are returned, not raised."""
    from .checker import check_configuration, check_template
    from .report import SourceCache

    if isinstance(arch, Architecture):
        return check_configuration(arch)
    template = arch if isinstance(arch, Template) else load(arch)
    if whole_space or not template.params or any(d.is_error for d in template.diagnostics):
        result = check_template(template)
    else:
        result = check_configuration(template.instantiate(params or {}), template)
    result.source = SourceCache().get(template.path)
    return result


def blocking_errors(result: CheckResult) -> list[Diagnostic]:
    """The errors that stop a run. Over a whole space (search) an error that holds only at some points
    (`when ...`) leaves the others to search, which skips those points; one that holds everywhere, or a
    space with no valid point, stops it."""
    errors = result.errors
    if not result.params or not errors:
        return errors
    everywhere = [d for d in errors if d.when is None]
    return everywhere or (errors if result.valid == 0 else [])


def _require_valid(
    arch: ArchLike, params: dict[str, Any] | None = None, *, whole_space: bool = False
) -> None:
    result = check_before_run(arch, params, whole_space=whole_space)
    if blocking_errors(result):
        raise ArchitectureError(result.diagnostics, result)


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


def plan(arch: ArchLike, params: dict[str, Any] | None = None, *, check: bool = True) -> Plan:
    """The execution plan: calls per query (min, max), depth, critical path and cost estimate.

    check: first check it as `archonc validate` does; an error-level finding raises ArchitectureError.

    >>> plan("examples/general_search.arch", {"depth": 3}).to_dict()["calls"]
    {'min': 13, 'max': 13}
    """
    from .planner import plan as plan_architecture

    return plan_architecture(_prepare(arch, params, sim=False, check=check))


TextFormat = Literal["svg", "dot", "mermaid"]


@overload
def render(
    target: ArchLike, fmt: TextFormat = ..., params: dict[str, Any] | None = ..., *, dpi: int | None = ...
) -> str: ...
@overload
def render(
    target: ArchLike, fmt: Literal["png"], params: dict[str, Any] | None = ..., *, dpi: int | None = ...
) -> bytes: ...
def render(
    target: ArchLike, fmt: str = "svg", params: dict[str, Any] | None = None, *, dpi: int | None = None
) -> str | bytes:
    """A diagram of an architecture (or of a template or .arch file at `params`): svg, dot or mermaid
    text, or png bytes (at `dpi` pixels per inch, default 200). A RenderError names a missing Graphviz.

    >>> render("examples/general_search.arch", "dot", {"depth": 3}).count("critic</b>")
    3
    >>> render("examples/moa.arch", "png")[:4]
    b'\\x89PNG'
    """
    from .diagrams import render as draw

    if isinstance(target, Architecture):
        if params:
            raise ValueError("params apply to a template or an .arch file, not to a concrete Architecture")
        data = draw(target, fmt, dpi=dpi)
    else:
        template = target if isinstance(target, Template) else load(target)
        data = draw(template, fmt, assignment=params or {}, dpi=dpi)
    return data if fmt == "png" else data.decode("utf-8")


def _needs(extra: str, what: str) -> None:
    """Raise ModuleNotFoundError naming the extra to install if `extra` is not installed (imports nothing)."""
    from .extras import install_message, require

    try:
        require(extra)
    except ModuleNotFoundError as e:
        raise ModuleNotFoundError(install_message(extra, what), name=e.name) from None


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


def _prepare(
    arch: ArchLike, params: dict[str, Any] | None, sim: bool, check: bool = True, sim_seed: int | None = None
) -> Architecture:
    """The architecture to run, checked first (ArchitectureError if validate finds an error), simulated if asked.

    sim_seed (else env ARCHON_SIM_SEED): the seed of every sim model, in its params (so in the cache key).
    """
    if not isinstance(arch, (Architecture, Template)):
        arch = load(arch)
    if check:
        _require_valid(arch, params)
    architecture = resolve_architecture(arch, params)
    if sim:
        from .runtime import sim as simulator

        architecture = simulator.simulate(architecture)
    if sim_seed is not None or os.environ.get("ARCHON_SIM_SEED") is not None:
        from .runtime import sim as simulator

        architecture = simulator.seeded(architecture, sim_seed)
    return architecture


def _uses_simulator(arch: ArchLike) -> bool:
    """True for an architecture written with `sim/...` models: it runs on the simulator as is."""
    return isinstance(arch, Architecture) and any(
        m.provider == "sim" for layer in arch.layers for m in layer.models
    )


class _Session:
    """An executor with the trace writer and cache it opened itself (closed afterwards; shared ones are not)."""

    def __init__(
        self,
        architecture: Architecture,
        *,
        provider: Any,
        cache: Any,
        env_file: Any,
        concurrency: int | None,
        trace: Any,
        include_messages: bool,
        query_concurrency: int | None = None,
        unsafe_exec: bool = False,
    ):
        from .runtime.executor import Executor
        from .runtime.isolation import require_for
        from .runtime.trace import TraceWriter

        require_for(
            architecture, unsafe_exec
        )  # execute mode without a sandbox fails before anything is opened

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
        # Passed only when asked, so an executor without the keyword keeps working.
        extra: dict[str, Any] = {"unsafe_exec": True} if unsafe_exec else {}
        self.executor = Executor(
            architecture,
            provider,
            concurrency=concurrency,
            query_concurrency=query_concurrency,
            include_messages=include_messages,
            trace=writer,
            **extra,
        )

    def close(self) -> None:
        for resource in self._owned:
            resource.close()


async def arun(
    arch: ArchLike,
    question: Question,
    *,
    params: dict[str, Any] | None = None,
    sim: bool = False,
    sim_seed: int | None = None,
    cache: Any = True,
    trace: str | Path | None = None,
    include_messages: bool = False,
    concurrency: int | None = None,
    provider: Any = None,
    env_file: str | Path | None = ".env",
    check: bool = True,
    unsafe_exec: bool = False,
) -> QueryResult:
    """Answer one question or conversation; see `run`."""
    _needs("run", "archon_dsl.arun")
    from .runtime.executor import Query

    query = Query.of(question)  # bad messages are refused before anything is opened
    session = _Session(
        _prepare(arch, params, sim, check, sim_seed),
        provider=provider,
        cache=cache,
        env_file=env_file,
        concurrency=concurrency,
        trace=trace,
        include_messages=include_messages,
        unsafe_exec=unsafe_exec,
    )
    try:
        return await session.executor.run_query(query)
    finally:
        session.close()


def run(arch: ArchLike, question: Question, **options: Any) -> QueryResult:
    """Answer one question with an architecture; returns a QueryResult (answer, error, calls, tokens,
    cost_usd (None when a price is unknown), latency_s, per-layer stats, degradations).

    arch: an Architecture, Template, path to an .arch file or .arch text.
    question: a string (one user turn), or a conversation: OpenAI-style messages
        [{"role": "system" | "user" | "assistant", "content": "..."}, ...] ending with the user's
        message, which is the turn answered (result.messages keeps the conversation). Bad messages
        raise conversation.MessagesError (a ValueError) naming the field, e.g. "messages[1].role".
    params: template parameter values, e.g. {"n_gen": 5}.
    sim: route every model to the offline simulator (no network, no keys).
    sim_seed: the simulator's seed (every sim model's; default env ARCHON_SIM_SEED, else 0).
    cache: True (default: .archon/cache), False, a directory, or a shared Cache instance.
    trace: a path to append a JSONL trace of every call to; include_messages adds prompts and replies.
    concurrency: calls in flight at most (default: the architecture's; 0: no bound).
    check: first check it as `archonc validate` does (the default); an error-level finding raises
        ArchitectureError (with `.diagnostics`) before any call. check=False skips that.
    unsafe_exec: let unit-test evaluators run generated code without an isolation backend.

    >>> run("examples/general_purpose.arch", "What is 17 * 23?", sim=True, cache=None).answer.splitlines()[-1]
    'Answer: 391'
    """
    _needs("run", "archon_dsl.run")
    import anyio

    return anyio.run(lambda: arun(arch, question, **options))


async def arun_dataset(
    arch: ArchLike,
    rows: Iterable[Any] | str | Path,
    *,
    params: dict[str, Any] | None = None,
    sim: bool = False,
    sim_seed: int | None = None,
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
    check: bool = True,
    unsafe_exec: bool = False,
    keep_failed: bool = False,
    ray: str | bool | None = None,
) -> list[QueryResult]:
    """Run every row of a dataset; see `run_dataset`."""
    _needs("run", "archon_dsl.arun_dataset")
    if ray is not None and ray is not False:  # the rows go to Ray tasks; this process writes `out`
        if provider is not None:
            raise ValueError("ray= runs its own providers on the workers; do not pass provider= with it")
        from .scale import arun_rows_on_ray

        return await arun_rows_on_ray(
            arch,
            rows,
            out,
            address=None if ray is True else ray,
            params=params,
            sim=sim,
            sim_seed=sim_seed,
            cache=cache,
            concurrency=concurrency,
            trace=trace,
            include_messages=include_messages,
            env_file=env_file,
            on_result=on_result,
            on_start=on_start,
            check=check,
            unsafe_exec=unsafe_exec,
            keep_failed=keep_failed,
        )
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
        architecture = _prepare(arch, params, sim, check, sim_seed)
        if sim or _uses_simulator(architecture):
            _teach_simulator(rows, queries)
        session = _Session(
            architecture,
            provider=provider,
            cache=cache,
            env_file=env_file,
            concurrency=concurrency,
            trace=trace,
            include_messages=include_messages,
            query_concurrency=query_concurrency,
            unsafe_exec=unsafe_exec,
        )
        try:
            batch = await run_batch(
                session.executor, queries, out=output, on_result=on_result, on_start=on_start
            )
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
    ("arithmetic", "multiple_choice", "python_functions"). A row may instead carry "messages" (a
    conversation ending with the user's turn) or "turns" (the user's messages, answered one after
    another, each asked with the earlier turns and the architecture's own answers; the result's
    `turns` holds every turn's answer and `answer` the last).
    out: a JSONL file to append each finished query to (fsynced); ids already answered in it are
    not run again, so a killed run resumes where it stopped, and the cache covers the calls of a
    query that was cut off. Failed rows run again (their new record replaces the old one), unless
    keep_failed=True. The file is locked for the run, and an existing file that is not such an
    output is refused untouched (OutputError). Other options as for `run`, plus query_concurrency (queries in flight),
    on_start(total, already_done) and on_result(result) callbacks.
    ray: True (a local Ray instance) or a cluster's address ("HOST:6379", "auto"): the rows run as Ray
    tasks under one rate limit and one cache, and this process writes `out` (docs/scale.md).

    To evaluate many configurations, share one cache (and optionally one Provider, for shared
    rate limits): `cache = Cache("runs/cache.sqlite")`, then for each configuration
    `results = await arun_dataset(arch, rows, sim=True, cache=cache, concurrency=32)`.
    """
    _needs("run", "archon_dsl.run_dataset")
    import anyio

    return anyio.run(lambda: arun_dataset(arch, rows, **options))


def search(
    template: Template | str | Path,
    data: Any,
    scorer: Any = "exact",
    *,
    check: bool = True,
    unsafe_exec: bool = False,
    sim_seed: int | None = None,
    **options: Any,
) -> SearchResult:
    """Search a template's parameters for the best configuration on a dataset (ITAS); see
    `archon_dsl.itas.search` for the options. The whole space is checked first, as `archonc validate`
    checks it: an error-level finding raises ArchitectureError before any call (check=False skips it).
    sim_seed: the simulator's seed for every sim model the search runs, the judge's included (default:
    env ARCHON_SIM_SEED, else 0); recorded in the search's state.json, so --resume at another is refused.

    >>> result = search("examples/itas.arch", "arithmetic", "numeric", strategy="random", trials=2, sim=True,
    ...                 cache=None)
    >>> len(result.trials), 0 <= result.best_score <= 1
    (2, True)
    """
    _needs("search", "archon_dsl.search")
    from .itas import search as run_search

    if not isinstance(template, Template):
        template = load(template)
    if check:
        _require_valid(template, whole_space=True)
    if not options.get("sim") and options.get("evaluator") is None:  # a missing key, before Ax starts
        from .runtime.keys import load_env_file, require_space_credentials

        load_env_file()
        require_space_credentials(template)
    if unsafe_exec:  # passed only when asked, so a search without the keyword keeps working
        options["unsafe_exec"] = True
    return run_search(template, data, scorer, sim_seed=sim_seed, **options)


def rank_models(
    file: str | Path,
    pool: str,
    data: Any,
    scorer: Any = "exact",
    *,
    check: bool = True,
    sim_seed: int | None = None,
    **options: Any,
) -> Ranking:
    """Score each model of a pool alone and write the pool back best-first; see
    `archon_dsl.itas.ranking.rank_models`. The file is checked first, as `archonc validate` checks it.
    sim_seed: the simulator's seed for every sim model scored (default: env ARCHON_SIM_SEED, else 0)."""
    _needs("run", "archon_dsl.rank_models")
    from .itas.ranking import rank_models as run_ranking

    if check:
        _require_valid(load(file), whole_space=True)
    return run_ranking(file, pool, data, scorer, sim_seed=sim_seed, **options)


def _teach_simulator(rows: list[Any], queries: list[Any]) -> None:
    """Give the simulator the rows' reference answers, so its models are right or wrong about them."""
    from .runtime.sim import register_answers

    register_answers(
        {**row, "question": query.question}
        for row, query in zip(rows, queries, strict=True)
        if isinstance(row, dict) and row.get("answer") is not None
    )


def dataset_rows(rows: Iterable[Any] | str | Path, *, search: bool = False) -> list[Any]:
    """Rows from a JSONL path, a built-in dataset name, or an iterable: the one reader of rows, for run and search.

    For a run, any row shape `run_dataset` takes. For a search (`search=True`), a path is an evaluation
    dataset (`load_dataset`: each row an id, a question and an answer), and every row becomes an object
    with an id (a string is a question; an id defaults to the row's position); a row of another type, or
    no rows at all, is a search-usage error (R021).
    """
    if isinstance(rows, (str, Path)):
        from .datasets import load_dataset, read_rows

        listed = load_dataset(str(rows)) if search else read_rows(rows)
    else:
        listed = list(rows)
    if not search:
        return listed
    out = []
    for position, row in enumerate(listed):
        if isinstance(row, str):
            row = {"question": row}
        elif not isinstance(row, dict):
            raise _search_usage(f"row {position + 1} is a {type(row).__name__}, not an object")
        row = dict(row)
        row.setdefault("id", str(position))
        out.append(row)
    if not out:
        raise _search_usage("the dataset has no rows")
    return out


def _search_usage(message: str) -> ArchonError:
    from .diagnostics import Severity

    return ArchonError([Diagnostic("R021", "search-usage", Severity.ERROR, message)])
