"""Benchmark: calls per second of many queries through the executor against a bare openai-SDK loop.

    python benchmarks/bench_throughput.py [--queries 200] [--concurrency 64] [--latency 0.05] [--rounds 3]

The loopback server runs in a subprocess with `--latency` seconds per call. The load: `--queries`
queries of the 29-call, 7-layer architecture of bench_critical_path.py, at most `--concurrency`
calls in flight. Printed: calls per second and CPU per call of

* a bare loop: the same number of `chat.completions.create` calls through one
  `openai.AsyncOpenAI` client, replaying the requests the executor makes for a query (prompts,
  options), all started at once under a semaphore of `--concurrency` (no layers to wait for,
  so an upper bound for any executor);
* the executor (global bound `--concurrency`) with the Provider, cache off and fresh cache.

The bar: the executor at least 0.9x the bare loop's calls per second. On a machine where the
client is CPU-bound (the SDK's own CPU per call), that is what is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_critical_path import LAYERS, QUESTION, Server, arch_text, bare_client, capture_requests, replay


async def main(queries: int, concurrency: int, latency: float, rounds: int) -> None:
    from archon_dsl.loader import load_text
    from archon_dsl.runtime.cache import Cache
    from archon_dsl.runtime.executor import Executor, Query
    from archon_dsl.runtime.provider import Provider

    server = Server(latency)
    client = bare_client(server.base_url)
    arch = load_text(arch_text(server.base_url)).instantiate()
    calls = queries * sum(LAYERS)
    tmp = Path(tempfile.mkdtemp(prefix="archon-bench-"))
    counter = iter(range(10**9))

    requests = [
        kwargs
        for layer in await capture_requests(
            Executor(arch, Provider.for_architecture(arch, cache=None, env_file=None)), QUESTION
        )
        for kwargs in layer
    ]

    async def bare(n: int = queries) -> tuple[int, float, float]:
        semaphore = asyncio.Semaphore(concurrency)
        run = next(counter)
        calls = n * len(requests)

        async def one(i: int) -> None:
            async with semaphore:
                kwargs = replay(
                    requests[i % len(requests)], QUESTION, f"run {run}: what is {i // len(requests)} * 23?"
                )
                await client.chat.completions.create(**kwargs)

        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(i) for i in range(calls)))
        return calls, time.perf_counter() - start, time.process_time() - cpu

    def through(cached: bool):
        async def go(n: int = queries) -> tuple[int, float, float]:
            cache = Cache(tmp / f"cache-{next(counter)}.sqlite") if cached else None
            executor = Executor(
                arch, Provider.for_architecture(arch, cache=cache, env_file=None), concurrency=concurrency
            )
            run = next(counter)
            start, cpu = time.perf_counter(), time.process_time()
            results = await executor.run_many(
                [Query(f"run {run}: what is {i} * 23?", str(i), i) for i in range(n)]
            )
            took, used = time.perf_counter() - start, time.process_time() - cpu
            if cache is not None:
                cache.close()
            bad = [r for r in results if r.error or r.degradations]
            assert not bad, bad[0]
            return sum(r.calls for r in results), took, used

        return go

    variants = {
        "bare openai loop": bare,
        "executor, no cache": through(False),
        "executor, fresh cache": through(True),
    }
    try:
        for variant in variants.values():  # warm up at a tenth of the load: imports, connections
            await variant(max(1, queries // 10))
        rates: dict[str, list[float]] = {name: [] for name in variants}
        cpus: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(rounds):
            for name, variant in variants.items():  # interleaved, so load changes hit all alike
                made, took, used = await variant()
                rates[name].append(made / took)
                cpus[name].append(used / made)
        bare_rate = statistics.median(rates["bare openai loop"])
        print(
            f"{queries} queries x {sum(LAYERS)} calls = {calls} calls, concurrency {concurrency}, "
            f"server latency {latency * 1000:.0f} ms, median of {rounds} rounds "
            f"(ceiling concurrency/latency = {concurrency / latency:.0f} calls/s)"
        )
        for name in variants:
            rate, cpu = statistics.median(rates[name]), statistics.median(cpus[name])
            print(
                f"  {name:24s} {rate:7.0f} calls/s  {rate / bare_rate:5.3f}x bare  CPU {cpu * 1e3:5.2f} ms/call "
                f"(rounds: {', '.join(f'{r:.0f}' for r in rates[name])})"
            )
        print(f"  server hits: {server.stats()['total']}")
    finally:
        server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.05, help="server seconds per call")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.queries, args.concurrency, args.latency, args.rounds))
