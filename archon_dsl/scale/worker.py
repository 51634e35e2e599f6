"""One shard of a dataset run on a Ray worker: the anyio executor over its rows, each answer yielded as it finishes."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

_END = object()


@dataclass
class ShardJob:
    """What a worker needs to run its rows: the architecture, the shared services, the executor's settings."""

    architecture: Any
    queries: list[Any]
    cache: Any = None  # a CacheService actor handle, or None (no cache)
    limiter: Any = None  # a LimiterService actor handle, or None (no limit applies)
    limits: Any = None  # the cluster's Limits (runtime/limits.py), read to tell which calls ask the limiter
    share: Any = None  # this worker's share of them, used while the limiter cannot be reached
    concurrency: int | None = None  # calls in flight in this worker (None: the architecture's)
    env_file: str | None = None
    include_messages: bool = False
    unsafe_exec: bool = False
    teach: list[dict] = field(default_factory=list)  # sim runs: the rows' reference answers


def run_shard(job: ShardJob) -> Iterator[Any]:
    """Yield each query's QueryResult as it finishes, then a last dict of the shard's cache counts.

    The executor runs on its own thread (anyio's event loop) so that this generator, which Ray
    streams to the driver item by item, can hand results over while the rest keep running.
    """
    results: queue.Queue = queue.Queue()
    stop = threading.Event()

    def main() -> None:
        import anyio

        try:
            anyio.run(_run, job, results, stop)
        except BaseException as e:  # noqa: BLE001 - handed to the generator, which raises it on the worker
            results.put(e)
        finally:
            results.put(_END)

    thread = threading.Thread(target=main, name="archon-shard", daemon=True)
    thread.start()
    try:
        while True:
            item = results.get()
            if item is _END:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()  # the driver stopped reading (cancelled): the executor stops too
        thread.join(timeout=5)


async def _run(job: ShardJob, results: queue.Queue, stop: threading.Event) -> None:
    import anyio

    from ..runtime.executor import Executor
    from ..runtime.keys import load_env_file
    from ..runtime.provider import Provider
    from .cache import ClusterCache
    from .limiter import ClusterLimits

    load_env_file(job.env_file)
    if job.teach:
        from ..runtime.sim import register_answers

        register_answers(job.teach)
    cache = ClusterCache(job.cache) if job.cache is not None else None
    limits = job.share
    if job.limiter is not None:
        limits = ClusterLimits(job.limiter, job.share, job.limits)
    provider = Provider.for_architecture(job.architecture, cache=cache, limits=limits, env_file=job.env_file)  # type: ignore[arg-type]
    executor = Executor(
        job.architecture,
        provider,
        concurrency=job.concurrency,
        include_messages=job.include_messages,
        unsafe_exec=job.unsafe_exec,
    )
    async with anyio.create_task_group() as group:

        async def watch() -> None:
            while not stop.is_set():
                await anyio.sleep(0.1)
            group.cancel_scope.cancel()

        async def work() -> None:
            await executor.run_many(job.queries, results.put)
            group.cancel_scope.cancel()

        group.start_soon(watch)
        group.start_soon(work)
        if cache is not None:
            group.start_soon(cache.keep_flushing)
    if cache is not None:
        cache.close()
        results.put({"cache_hits": cache.hits, "cache_misses": cache.misses, "cache_fetched": cache.fetched})
    if isinstance(limits, ClusterLimits):
        await limits.settle()
        results.put({"limiter_fallbacks": limits.fallbacks})
