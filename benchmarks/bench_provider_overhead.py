"""Benchmark: Provider.complete against a bare openai-SDK loop, on the loopback server.

    python benchmarks/bench_provider_overhead.py [--calls 500] [--concurrency 64] [--latency 0.05]

First the Provider's own work per call, with the transport stubbed out. Then, with the server in
a subprocess (so it does not share our event loop or GIL) and the same concurrency for
both: throughput of N calls, CPU time per call, and the wall time of one query of 28 calls
in 7 layers (layers in sequence, the calls of a layer at once); medians of several rounds,
bare and Provider interleaved. On a shared machine, expect a few percent of noise.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

QUERY_LAYERS = (8, 1, 1, 8, 1, 1, 8)
STUB_CALLS = 5000  # 28 calls in 7 layers, like generator/critic/ranker/fuser stacks


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    root = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.openai_server", "--latency", str(latency)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
    )
    return process, process.stdout.readline().strip()


async def main(calls: int, concurrency: int, latency: float, rounds: int) -> None:
    from bench_critical_path import bare_client

    from archon_dsl.architecture import ModelSpec
    from archon_dsl.components.base import CallSpec
    from archon_dsl.runtime.cache import Cache
    from archon_dsl.runtime.limits import Limits
    from archon_dsl.runtime.provider import Provider

    process, base = start_server(latency)
    client = bare_client(base)
    model = ModelSpec(name="m", id="openai/bench", api_base=base)
    tmp = tempfile.mkdtemp()
    cache = Cache(Path(tmp) / "cache.sqlite")
    provider = Provider(limits=Limits.configure(config=False, environ={}), cache=cache, env_file=None)
    provider_nocache = Provider(env_file=None)
    counter = iter(range(10**9))

    def messages() -> list[dict]:
        # Distinct prompts: every Provider call misses the cache and writes an entry.
        return [
            {"role": "system", "content": "You answer briefly."},
            {"role": "user", "content": f"question {next(counter)}: what is 17 * 23?"},
        ]

    async def bare(semaphore: asyncio.Semaphore) -> None:
        async with semaphore:
            await client.chat.completions.create(
                model="bench",
                messages=messages(),
                temperature=0.7,
                max_tokens=256,
                timeout=120,
            )

    def via(p: Provider):
        async def call(semaphore: asyncio.Semaphore) -> None:
            async with semaphore:
                result = await p.complete(CallSpec(model=model, messages=tuple(messages()), max_tokens=256))
                assert result.error is None, result.error

        return call

    variants = {
        "bare openai": bare,
        "Provider (cache+limits)": via(provider),
        "Provider (no cache)": via(provider_nocache),
    }

    async def throughput(call) -> tuple[float, float]:
        """Calls per second, and CPU seconds of this process (all threads) per call."""
        semaphore = asyncio.Semaphore(concurrency)
        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(call(semaphore) for _ in range(calls)))
        return calls / (time.perf_counter() - start), (time.process_time() - cpu) / calls

    async def query(call) -> float:
        semaphore = asyncio.Semaphore(concurrency)
        start = time.perf_counter()
        for width in QUERY_LAYERS:
            await asyncio.gather(*(call(semaphore) for _ in range(width)))
        return time.perf_counter() - start

    try:
        for call in variants.values():  # warm up: connections, imports, first-call setup
            await throughput(call)
        rates = {name: [] for name in variants}
        cpus = {name: [] for name in variants}
        times = {name: [] for name in variants}
        for _ in range(rounds):
            for name, call in variants.items():
                rate, cpu = await throughput(call)
                rates[name].append(rate)
                cpus[name].append(cpu)
                times[name].append(await query(call))
        bare_rate = statistics.median(rates["bare openai"])
        bare_time = statistics.median(times["bare openai"])
        print(
            f"{calls} calls at concurrency {concurrency}, server latency {latency * 1000:.0f} ms, {rounds} rounds (medians)"
        )
        bare_cpu = statistics.median(cpus["bare openai"])
        for name in variants:
            rate, took, cpu = (
                statistics.median(rates[name]),
                statistics.median(times[name]),
                statistics.median(cpus[name]),
            )
            print(
                f"  {name:24s} {rate:6.0f} calls/s ({rate / bare_rate:.2f}x)  CPU {cpu * 1e6:5.0f} us/call "
                f"({(cpu - bare_cpu) * 1e6:+4.0f})  query of {sum(QUERY_LAYERS)} calls in {len(QUERY_LAYERS)} "
                f"layers {took * 1000:5.1f} ms ({took / bare_time:.2f}x)"
            )
    finally:
        cache.close()
        process.terminate()
        process.wait()


async def own_work(model_id: str = "openai/gpt-4o") -> None:
    """Microseconds of Provider work per call with the transport's send stubbed out (no network)."""
    from archon_dsl.architecture import ModelSpec
    from archon_dsl.components.base import CallSpec
    from archon_dsl.runtime.cache import Cache
    from archon_dsl.runtime.limits import Limit, Limits
    from archon_dsl.runtime.provider import Provider
    from archon_dsl.runtime.transports import Reply
    from archon_dsl.runtime.transports.openai_sdk import OpenAITransport

    reply = Reply("391", 40, 3)

    async def stub(self, request):
        return reply

    real, OpenAITransport.send = OpenAITransport.send, stub
    model = ModelSpec(name="m", id=model_id, api_base="http://127.0.0.1:1/v1")
    specs = [
        CallSpec(
            model,
            (
                {"role": "system", "content": "You answer briefly. " * 20},
                {"role": "user", "content": f"question {i}: " + "what is 17 * 23? " * 30},
            ),
        )
        for i in range(STUB_CALLS)
    ]
    tmp = Path(tempfile.mkdtemp())
    variants = {
        "no cache, no limits": Provider(env_file=None),
        "limits set (rpm, concurrency)": Provider(
            env_file=None,
            limits=Limits(providers={"openai": Limit(rpm=1e9, concurrency=1000)}, concurrency=1000),
        ),
        "cache (every call a miss + write)": Provider(env_file=None, cache=Cache(tmp / "a.sqlite")),
    }
    try:
        print(f"Provider's own work per call, transport stubbed ({STUB_CALLS} calls, 2 KB prompts):")
        warm = [CallSpec(model, ({"role": "user", "content": f"warm-up {i}"},)) for i in range(200)]
        for p in variants.values():
            for spec in warm:
                await p.complete(spec)
        for name, p in variants.items():
            start = time.perf_counter()
            for spec in specs:
                await p.complete(spec)
            print(f"  {name:34s} {(time.perf_counter() - start) / STUB_CALLS * 1e6:6.1f} us")
        cached = variants["cache (every call a miss + write)"]
        start = time.perf_counter()
        for spec in specs:
            assert (await cached.complete(spec)).cached
        print(f"  {'cache hit':34s} {(time.perf_counter() - start) / STUB_CALLS * 1e6:6.1f} us")
        cached.cache.close()
    finally:
        OpenAITransport.send = real


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(own_work())
    asyncio.run(main(args.calls, args.concurrency, args.latency, args.rounds))
