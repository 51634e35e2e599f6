"""Dataset runs on Ray: rows sharded into tasks, answers streamed back, one resumable output file on the driver.

The driver (this process) opens and locks `--out` (runtime/batch.py ResultsFile), skips the ids
already in it, cuts the rest into shards and starts one Ray task per shard (worker.run_shard, the
anyio executor). Each task yields every answer as it finishes; the driver appends it to the file at
once, so a killed driver loses only the queries in flight, whose calls are in the cache. A shard
whose worker dies is started again with its unwritten rows (at most SHARD_RETRIES times); an id is
written once however often its shard ran.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..runtime.trace import QueryResult
from .cluster import connect, on_this_node

SHARDS_PER_WORKER = 4  # a worker's rows come in this many shards: a lost worker costs a quarter of its share
SHARD_RETRIES = 2  # times a shard whose worker died is started again
MIN_SHARD_ROWS = 16  # fewer rows are not worth a task of their own (a search trial's few rows: one task)


def run_rows_on_ray(arch: Any, rows: Any, out: str | Path | None = None, **options: Any) -> list[QueryResult]:
    """`arun_rows_on_ray` in its own event loop."""
    import anyio

    return anyio.run(lambda: arun_rows_on_ray(arch, rows, out, **options))


async def arun_rows_on_ray(
    arch: Any,
    rows: Iterable[Any] | str | Path,
    out: str | Path | None = None,
    *,
    address: str | None = None,
    num_cpus: int | None = None,
    params: dict[str, Any] | None = None,
    sim: bool = False,
    sim_seed: int | None = None,
    cache: Any = True,
    concurrency: int | None = None,
    trace: str | Path | None = None,
    include_messages: bool = False,
    env_file: str | Path | None = ".env",
    on_result: Callable[[QueryResult], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
    check: bool = True,
    unsafe_exec: bool = False,
    keep_failed: bool = False,
    stats: dict[str, Any] | None = None,
    session: RaySession | None = None,
) -> list[QueryResult]:
    """Run every row on the Ray cluster at `address` (None: a local instance of `num_cpus` CPUs).

    Options as for `archon_dsl.run_dataset` (`sim_seed` included: the seed goes into the prepared
    architecture's sim models, so the workers need no environment of their own). `cache` is the driver's cache (True: .archon/, a
    directory, or False); the workers read and write it through an actor on this node.
    `concurrency` is the calls in flight over the whole cluster (split evenly between the shards
    running at once; None: the architecture's default in each shard). The limits of
    runtime/limits.py hold for the whole cluster. `stats`, if given, is filled with the run's
    counts (shards, retries, cache and limiter figures). `session`: a RaySession several runs share
    (its cluster, cache and limiter; then `address`, `num_cpus` and `cache` are the session's).
    Returns one QueryResult per row, in row order.
    """
    from .. import api
    from ..runtime.batch import ResultsFile, to_queries

    where = str(rows) if isinstance(rows, (str, Path)) else None
    rows = api.dataset_rows(rows) if isinstance(rows, (str, Path)) else list(rows)
    queries = to_queries(rows, where)
    output = ResultsFile(out, keep_failed=keep_failed) if out is not None else None
    counts: dict[str, Any] = stats if stats is not None else {}
    try:
        done = dict(output.done) if output is not None else {}
        todo = [q for q in queries if q.id not in done]
        if not todo:
            if on_start is not None:
                on_start(len(queries), len(queries))
            return [done[q.id] for q in queries]
        architecture = api._prepare(arch, params, sim, check, sim_seed)
        from ..runtime.keys import load_env_file, require_credentials

        env = str(Path(env_file).resolve()) if env_file is not None else None
        load_env_file(env)
        require_credentials(architecture)  # said here, before a cluster is joined or a call made
        teach: list[dict] = []
        if sim or api._uses_simulator(architecture):
            teach = [
                {**row, "question": query.question}
                for row, query in zip(rows, queries, strict=True)
                if isinstance(row, dict) and row.get("answer") is not None
            ]
        fresh = await _run_on_cluster(
            architecture,
            todo,
            output,
            session=session,
            address=address,
            num_cpus=num_cpus,
            cache=cache,
            concurrency=concurrency,
            trace=trace,
            include_messages=include_messages,
            env_file=env,
            on_result=on_result,
            on_start=lambda: on_start(len(queries), len(queries) - len(todo)) if on_start else None,
            unsafe_exec=unsafe_exec,
            teach=teach,
            counts=counts,
        )
    finally:
        if output is not None:
            output.close()
    by_id = {**done, **fresh}
    return [by_id[q.id] for q in queries if q.id in by_id]


class RaySession:
    """A cluster joined once, with the cache and limiter actors every run in it shares (a search's trials).

    `cache` as for run_dataset (the driver's cache file; False: none). The limiter starts with the
    first architecture some limit applies to; its limits are that architecture's (a search's
    configurations share their template's provider blocks).
    """

    def __init__(self, address: str | None = None, *, num_cpus: int | None = None, cache: Any = True):
        import ray

        from .cache import CacheService

        self.cluster = connect(address, num_cpus=num_cpus)
        self.workers = self.cluster.workers
        self.limits: Any = None
        self.limiter: Any = None
        self.service: Any = None
        path = _cache_path(cache)
        if path is not None:
            self.service = (
                ray.remote(CacheService)
                .options(
                    num_cpus=0, max_concurrency=32, **on_this_node()
                )  # threads: hits are not held up by commits
                .remote(str(path))
            )

    def limiter_for(self, architecture: Any) -> tuple[Any, Any, list[Any]]:
        """(limiter actor or None, the cluster's Limits, the architecture's models)."""
        import ray

        from ..runtime.limits import Limits
        from .limiter import LimiterService, needs_limiter

        models = list({m.id: m for layer in architecture.layers for m in layer.models}.values())
        if self.limits is None:
            self.limits = Limits.configure(architecture)
        if self.limiter is None and needs_limiter(self.limits, models):
            self.limiter = (
                ray.remote(LimiterService)
                .options(num_cpus=0, max_concurrency=10_000, max_restarts=3, **on_this_node())
                .remote(self.limits)
            )
        return self.limiter, self.limits, models

    def close(self, counts: dict[str, Any] | None = None) -> None:
        """Commit the cache, stop the actors, and leave the cluster if this session started it."""
        import ray

        try:
            if self.service is not None:
                closed = ray.get(self.service.close.remote())
                if counts is not None:
                    counts.update({f"cache_{k}": v for k, v in closed.items()})
            if self.limiter is not None and counts is not None:
                counts["limiter"] = ray.get(self.limiter.stats.remote())
        finally:
            for handle in (self.service, self.limiter):
                if handle is not None:
                    try:
                        ray.kill(handle)
                    except Exception:
                        pass
            self.service = self.limiter = None
            self.cluster.close()


async def _run_on_cluster(
    architecture: Any,
    todo: list[Any],
    output: Any,
    *,
    session: RaySession | None,
    address: str | None,
    num_cpus: int | None,
    cache: Any,
    concurrency: int | None,
    trace: Any,
    include_messages: bool,
    env_file: str | None,
    on_result: Callable[[QueryResult], None] | None,
    on_start: Callable[[], Any],
    unsafe_exec: bool,
    teach: list[dict],
    counts: dict[str, Any],
) -> dict[str, QueryResult]:
    import anyio
    import ray

    from ..runtime.trace import TraceWriter
    from .limiter import share_of
    from .worker import ShardJob, run_shard

    owned = session is None
    if session is None:
        session = RaySession(address, num_cpus=num_cpus, cache=cache)
    started = time.perf_counter()
    writer = TraceWriter(trace, include_messages) if isinstance(trace, (str, Path)) else trace
    try:
        workers = session.workers
        shards = _shards(todo, workers * SHARDS_PER_WORKER)
        running = min(workers, len(shards))
        limiter, limits, models = session.limiter_for(architecture)
        per_shard = concurrency  # None: the architecture's default; 0: no bound
        if concurrency:
            per_shard = max(1, math.ceil(concurrency / running))  # the cluster-wide bound, split
        on_start()
        task = ray.remote(run_shard).options(num_cpus=1, max_retries=0)
        written: dict[str, QueryResult] = {}
        counts.update(shards=len(shards), workers=workers, retries=0, lost_rows=0)

        def job(queries: list[Any]) -> ShardJob:
            return ShardJob(
                architecture,
                queries,
                cache=session.service,
                limiter=limiter,
                limits=limits,
                share=share_of(limits, running, models),
                concurrency=per_shard,
                env_file=env_file,
                include_messages=include_messages,
                unsafe_exec=unsafe_exec,
                teach=teach,
            )

        async def keep(result: QueryResult) -> None:
            if result.id in written:
                return  # a retried shard answered it again: written once
            written[result.id] = result
            if output is not None:
                await output.append(result)
            if writer is not None:
                writer.write_query(result)
            if on_result is not None:
                on_result(result)

        async def follow(queries: list[Any]) -> None:
            failure = "no attempt"
            for attempt in range(SHARD_RETRIES + 1):
                left = [q for q in queries if q.id not in written]
                if not left:
                    return
                if attempt:
                    counts["retries"] += 1
                try:
                    answers: Any = task.remote(job(left))  # an ObjectRefGenerator: one ref per answer
                    async for ref in answers:
                        item = await ref
                        if isinstance(item, QueryResult):
                            await keep(item)
                        else:
                            for name, value in item.items():
                                counts[name] = counts.get(name, 0) + value
                    return
                except ray.exceptions.RayError as e:
                    failure = _first_line(e)
            for query in queries:  # the shard's worker died every time: its rows fail, and rerun next time
                if query.id not in written:
                    counts["lost_rows"] += 1
                    await keep(
                        QueryResult(
                            id=query.id,
                            question=query.question,
                            reference=query.reference,
                            error=f"WorkerLost: the Ray task running this row failed: {failure}",
                        )
                    )

        async with anyio.create_task_group() as group:
            for shard in shards:
                group.start_soon(follow, shard)
        counts["wall_s"] = time.perf_counter() - started
        return written
    finally:
        if writer is not None and writer is not trace:
            writer.close()
        if owned:
            session.close(counts)  # a few milliseconds: the cache commits what the workers sent


def _shards(queries: list[Any], count: int) -> list[list[Any]]:
    """`queries` cut into at most `count` runs of neighbours (so answers come back roughly in row order),
    of MIN_SHARD_ROWS at least."""
    size = max(MIN_SHARD_ROWS, math.ceil(len(queries) / max(1, count)))
    return [queries[i : i + size] for i in range(0, len(queries), size)]


def _cache_path(cache: Any) -> Path | None:
    """The driver's cache file, absolute (the service opens it on this node), or None for no cache."""
    from ..runtime.cache import DEFAULT_PATH, Cache

    if cache is None or cache is False:
        return None
    if cache is True:
        return (Path.cwd() / DEFAULT_PATH).resolve()
    if isinstance(cache, Cache):
        return cache.path.resolve()
    path = Path(cache)
    return (path if path.suffix in (".sqlite", ".db") else path / "cache.sqlite").resolve()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[-1][:300] if text else type(error).__name__
