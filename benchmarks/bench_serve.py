"""Benchmark: `archonc serve` under load, its overhead per request, its memory, and its start-up.

    python benchmarks/bench_serve.py [--latency 0.1] [--concurrent 200] [--requests 2000] [--runs 3]

The loopback OpenAI-compatible server (tests/support/openai_server.py) runs in a subprocess and
answers every call after `--latency` seconds by echoing the last user message. The architecture
has 3 layers and 5 calls (a generator's 2 samples, a fuser's 2 samples, a final fuser), so every
answer holds its own question (q-N:) and no other's. `archonc serve` runs in a subprocess with no
cache (every request reaches the provider); the client is the `openai` SDK (AsyncOpenAI). Printed:

* load: `--concurrent` requests at once, half streamed: answered, correct, lost; provider hits
  against the plan's calls x requests; wall time; per-request server overhead (client wall time
  minus the executor's own time, the `archon.latency_s` the server reports), p50 and p99;
* overhead: 50 requests one after another through the server, against 50 queries run by the
  executor in this process (same architecture, same provider): p50 and p99 of each, and of the
  per-request overhead;
* memory: the server's RSS before and after `--requests` more requests (in waves of
  `--concurrent`, half streamed), all checked;
* start-up: a cold `archonc serve` until its first answer, against a cold `archonc run` of one
  question (process start to exit), median of `--runs`; the bar: serve at most 1.5x run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import openai

ROOT = Path(__file__).resolve().parents[1]
ARCHONC = str(Path(sys.executable).parent / "archonc")
READY = re.compile(r"at (http://127\.0\.0\.1:\d+/v1)")
ARCH = """archon "bench-3"
defaults {{ retries = 0; timeout = 60; concurrency = 0 }}
model gen = "openai/gen" {{ api_base = "{base}" }}
model fuse = "openai/fuse" {{ api_base = "{base}" }}
layer generator {{ model = gen; samples = 2 }}
layer fuser {{ model = fuse; samples = 2 }}
layer fuser {{ model = fuse }}
"""
ENV = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")} | {"NO_COLOR": "1"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms"


def fake_server(latency: float) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.openai_server", "--latency", str(latency)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    return process, process.stdout.readline().strip()


def hits(base_url: str) -> int:
    with urllib.request.urlopen(base_url.removesuffix("/v1") + "/_stats") as reply:
        return json.load(reply)["total"]


def start_serve(arch: Path, cwd: Path) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [ARCHONC, "serve", str(arch), "--port", "0", "--no-cache", "--max-requests", "1000"],
        cwd=cwd,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    line = process.stderr.readline()
    found = READY.search(line)
    if not found:
        process.kill()
        raise SystemExit(f"archonc serve did not start: {line}{process.stderr.read()}")
    return process, found.group(1)


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used (its own, not its children's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def ask(client: openai.AsyncOpenAI, number: int, stream: bool) -> tuple[str, float, float]:
    """(answer, client wall time, the executor's time the server reports) of one request."""
    messages = [{"role": "user", "content": f"q-{number}: what is {number} + {number}?"}]
    start = time.perf_counter()
    if not stream:
        reply = await client.chat.completions.create(model="bench-3", messages=messages)
        return reply.choices[0].message.content, time.perf_counter() - start, reply.archon["latency_s"]
    parts, executor_s = [], 0.0
    chunks = await client.chat.completions.create(model="bench-3", messages=messages, stream=True)
    async for chunk in chunks:
        if chunk.choices:
            parts.append(chunk.choices[0].delta.content or "")
            extension = (chunk.model_extra or {}).get("archon")
            if extension:
                executor_s = extension["latency_s"]
    return "".join(parts), time.perf_counter() - start, executor_s


def correct(answer: str, number: int) -> bool:
    """The answer holds its own question and no other request's."""
    return f"q-{number}:" in answer and set(re.findall(r"q-(\d+):", answer)) == {str(number)}


async def wave(client: openai.AsyncOpenAI, first: int, count: int) -> list[tuple[int, object]]:
    tasks = [ask(client, first + k, stream=k % 2 == 1) for k in range(count)]
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    return list(zip(range(first, first + count), outcomes, strict=True))


LOST: dict[str, int] = {}  # why requests were lost, over the whole run


def tally(outcomes: list[tuple[int, object]]) -> tuple[int, int, int, list[float]]:
    """(answered, correct, lost, per-request overhead in seconds)."""
    answered = good = lost = 0
    overhead = []
    for number, outcome in outcomes:
        if isinstance(outcome, BaseException):
            lost += 1
            reason = f"{type(outcome).__name__}: {str(outcome)[:80]}"
            LOST[reason] = LOST.get(reason, 0) + 1
            continue
        answer, wall, executor_s = outcome
        answered += 1
        good += correct(answer, number)
        overhead.append(wall - executor_s)
    return answered, good, lost, overhead


async def in_process(arch_path: Path, count: int) -> list[float]:
    """The executor's latency per query in this process, one query after another (no cache)."""
    import archon_dsl as ad
    from archon_dsl.runtime.executor import Executor, Query
    from archon_dsl.runtime.provider import Provider

    arch = ad.load(arch_path).instantiate()
    executor = Executor(arch, Provider.for_architecture(arch, cache=None, env_file=None))
    await executor.run_query(Query("q-0: warm-up", "w"))
    times = []
    for number in range(count):
        start = time.perf_counter()
        result = await executor.run_query(Query(f"q-{100_000 + number}: what?", str(number)))
        times.append(time.perf_counter() - start)
        assert result.error is None and correct(result.answer, 100_000 + number), result.error
    return times


async def in_process_wave(arch_path: Path, count: int) -> tuple[float, float, int]:
    """`count` queries at once through the executor in this process: (wall s, CPU s, correct)."""
    import archon_dsl as ad
    from archon_dsl.runtime.executor import Executor, Query
    from archon_dsl.runtime.provider import Provider

    arch = ad.load(arch_path).instantiate()
    executor = Executor(arch, Provider.for_architecture(arch, cache=None, env_file=None))
    await executor.run_query(Query("q-0: warm-up", "w"))
    numbers = range(500_000, 500_000 + count)
    start, cpu = time.perf_counter(), time.process_time()
    results = await asyncio.gather(*(executor.run_query(Query(f"q-{n}: what?", str(n))) for n in numbers))
    took, used = time.perf_counter() - start, time.process_time() - cpu
    return (
        took,
        used,
        sum(r.error is None and correct(r.answer, n) for r, n in zip(results, numbers, strict=True)),
    )


async def served_sequential(client: openai.AsyncOpenAI, count: int) -> tuple[list[float], list[float]]:
    walls, overheads = [], []
    for number in range(count):
        answer, wall, executor_s = await ask(client, 200_000 + number, stream=False)
        assert correct(answer, 200_000 + number)
        walls.append(wall)
        overheads.append(wall - executor_s)
    return walls, overheads


def cold_run(arch: Path, cwd: Path, number: int) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        [ARCHONC, "run", str(arch), f"q-{number}: cold?", "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=ENV,
    )
    took = time.perf_counter() - start
    assert done.returncode == 0 and correct(done.stdout, number), done.stderr
    return took


def cold_serve(arch: Path, cwd: Path, number: int) -> float:
    start = time.perf_counter()
    process, base_url = start_serve(arch, cwd)
    try:
        client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0)
        reply = client.chat.completions.create(
            model="bench-3", messages=[{"role": "user", "content": f"q-{number}: cold?"}]
        )
        took = time.perf_counter() - start
        assert correct(reply.choices[0].message.content, number)
    finally:
        process.terminate()
        process.wait(60)
    return took


async def main_async(args: argparse.Namespace, arch: Path, work: Path, base: str) -> None:
    import archon_dsl as ad

    calls = ad.plan(arch).to_dict()["calls"]["max"]
    print(f"architecture: 3 layers, {calls} calls a query, {args.latency * 1000:.0f} ms per provider call")
    process, base_url = start_serve(arch, work)
    try:
        client = openai.AsyncOpenAI(base_url=base_url, api_key="unused", max_retries=0, timeout=900)
        await ask(client, 0, stream=False)  # warm: connections and the first executor

        before, cpu = hits(base), cpu_s(process.pid)
        start = time.perf_counter()
        outcomes = await wave(client, 1, args.concurrent)
        took = time.perf_counter() - start
        used = cpu_s(process.pid) - cpu
        answered, good, lost, overhead = tally(outcomes)
        got = hits(base) - before
        print(
            f"load: {args.concurrent} concurrent ({args.concurrent // 2} streamed): {answered} answered, "
            f"{good} correct, {lost} lost, in {took:.2f} s; provider hits {got} "
            f"(plan: {calls} x {args.concurrent} = {calls * args.concurrent}); "
            f"server overhead per request p50 {ms(percentile(overhead, 50))}, p99 {ms(percentile(overhead, 99))}; "
            f"server CPU {ms(used / args.concurrent)} a request"
        )
        local_s, local_cpu, local_good = await in_process_wave(arch, args.concurrent)
        print(
            f"  the same {args.concurrent} at once through the executor in-process: {local_good} correct in "
            f"{local_s:.2f} s, CPU {ms(local_cpu / args.concurrent)} a query"
        )

        walls, seq_overhead = await served_sequential(client, 50)
        local = await in_process(arch, 50)
        print(
            f"one at a time (50 each): served p50 {ms(percentile(walls, 50))}, p99 {ms(percentile(walls, 99))}; "
            f"executor in-process p50 {ms(percentile(local, 50))}, p99 {ms(percentile(local, 99))}; "
            f"overhead (client wall - executor time) p50 {ms(percentile(seq_overhead, 50))}, "
            f"p99 {ms(percentile(seq_overhead, 99))}; "
            f"difference of medians {ms(statistics.median(walls) - statistics.median(local))}"
        )

        rss_before = rss_mb(process.pid)
        before = hits(base)
        results: list[tuple[int, object]] = []
        start = time.perf_counter()
        for first in range(10_000, 10_000 + args.requests, args.concurrent):
            results += await wave(client, first, min(args.concurrent, 10_000 + args.requests - first))
        took = time.perf_counter() - start
        answered, good, lost, _ = tally(results)
        rss_after = rss_mb(process.pid)
        print(
            f"memory: RSS {rss_before:.1f} MB before, {rss_after:.1f} MB after {args.requests} more requests "
            f"({answered} answered, {good} correct, {lost} lost, provider hits {hits(base) - before} "
            f"of {calls * args.requests}, {took:.1f} s)"
        )
        if LOST:
            print("lost:", "; ".join(f"{n} x {reason}" for reason, n in LOST.items()))
    finally:
        process.terminate()
        process.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrent", type=int, default=200)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    server, base = fake_server(args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            arch = work / "bench3.arch"
            arch.write_text(ARCH.format(base=base))
            asyncio.run(main_async(args, arch, work, base))
            runs = [cold_run(arch, work, 300_000 + k) for k in range(args.runs)]
            serves = [cold_serve(arch, work, 400_000 + k) for k in range(args.runs)]
            run_s, serve_s = statistics.median(runs), statistics.median(serves)
            print(
                f"start-up (median of {args.runs}): cold archonc run {run_s:.2f} s "
                f"({', '.join(f'{r:.2f}' for r in runs)}); archonc serve start + first answer {serve_s:.2f} s "
                f"({', '.join(f'{s:.2f}' for s in serves)}); ratio {serve_s / run_s:.2f}x (bar <= 1.5x)"
            )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
