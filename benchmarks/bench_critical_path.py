"""Benchmark: one query's wall time through the executor against a bare openai-SDK loop, per layer at once.

    python benchmarks/bench_critical_path.py [--latency 0.1] [--rounds 7]

The loopback OpenAI-compatible server (tests/support/openai_server.py) runs in a subprocess
and answers every call after `--latency` seconds, in the format each component parses. The
architecture has 29 calls in 7 layers (generator x10, critic, ranker top 5, fuser x8, critic,
fuser x7, fuser), like the original Archon's larger stacks. Printed, against the latency floor
(layers x latency): the median wall time of one query through

* a bare loop, in this process and warmed up, that sends each layer's calls at once through one
  `openai.AsyncOpenAI` client, replaying the very requests the executor makes (the bar: the
  executor within 1.10x of it; the executor's calls go through the same SDK, runtime/transports);
* the executor with the Provider, cache off, and with a fresh cache (every call a miss);
* the calls one after another, as the original Archon code makes them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LAYERS = (10, 1, 1, 8, 1, 7, 1)  # calls per layer, matching ARCH below


def arch_text(base_url: str) -> str:
    """29 calls in 7 layers; the critic/ranker models are named for the candidate count they see."""

    def model(name: str) -> str:
        return f'model {name.replace("-", "_")} = "openai/{name}" {{ api_base = "{base_url}" }}'

    return "\n".join(
        [
            'archon "critical-path"',
            "defaults { max_tokens = 256; retries = 0 }",
            *(model(name) for name in ("gen", "critic-10", "ranker-10", "critic-8", "fuse")),
            "layer generator { model = gen; samples = 10 }",
            "layer critic { model = critic_10 }",
            "layer ranker { model = ranker_10; top_k = 5 }",
            "layer fuser { model = fuse; samples = 8 }",
            "layer critic { model = critic_8 }",
            "layer fuser { model = fuse; samples = 7 }",
            "layer fuser { model = fuse }",
        ]
    )


def replies() -> dict[str, str]:
    """What each model answers: parseable critiques and rankings for the candidate counts above."""

    def critiques(n: int) -> str:
        return json.dumps(
            {
                "critiques": [
                    {
                        "candidate": k + 1,
                        "strengths": "clear and direct",
                        "weaknesses": "could show more working",
                    }
                    for k in range(n)
                ]
            }
        )

    return {
        "gen": "Working it through step by step: 17 * 23 = 391.\nAnswer: 391",
        "critic-10": critiques(10),
        "ranker-10": json.dumps({"ranking": [3, 1, 2, 4, 5, 6, 7, 8, 9, 10]}),
        "critic-8": critiques(8),
        "fuse": "Taking the best of the candidates: 17 * 23 = 391.\nAnswer: 391",
    }


class Server:
    """The loopback server in a subprocess (its own interpreter, so it shares no GIL with the client)."""

    def __init__(self, latency: float):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.openai_server", "--latency", str(latency)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.base_url = self.process.stdout.readline().strip()
        self.root = self.base_url.removesuffix("/v1")
        for model, text in replies().items():
            self._post("/_script", {"model": model, "default": {"text": text}})

    def _post(self, path: str, data: dict) -> dict:
        request = urllib.request.Request(
            self.root + path,
            json.dumps(data).encode(),
            method="POST",
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read() or b"{}")

    def stats(self) -> dict:
        with urllib.request.urlopen(self.root + "/_stats") as response:
            return json.loads(response.read())

    def close(self) -> None:
        self.process.terminate()
        self.process.wait()


async def capture_requests(executor, question: str) -> list[list[dict]]:
    """The `chat.completions.create` keyword arguments of one query through `executor`, per layer.

    The bare loops replay exactly these requests (prompts with candidates, options, headers),
    so they differ from the executor only in what the executor itself does.
    """
    from archon_dsl.runtime.executor import Query
    from archon_dsl.runtime.transports.openai_sdk import OpenAITransport

    original = OpenAITransport.send
    seen: list[dict] = []

    async def recording(self, request):
        seen.append(self._arguments(request))
        return await original(self, request)

    OpenAITransport.send = recording
    try:
        result = await executor.run_query(Query(question, "capture"))
    finally:
        OpenAITransport.send = original
    assert result.error is None and not result.degradations, result
    layers, start = [], 0
    for width in LAYERS:
        layers.append(seen[start : start + width])
        start += width
    return layers


def replay(kwargs: dict, question: str, new_question: str) -> dict:
    """`kwargs` asking `new_question` instead of `question` (so no two runs send the same prompt)."""
    messages = [dict(m, content=m["content"].replace(question, new_question)) for m in kwargs["messages"]]
    return {**kwargs, "messages": messages}


def bare_client(base_url: str):
    """One AsyncOpenAI client, as a user's own loop would have (its retries off, as ours are)."""
    import openai

    return openai.AsyncOpenAI(base_url=base_url, api_key="sk-no-key", max_retries=0)


async def bare_query(client, requests: list[list[dict]], question: str, new_question: str) -> float:
    start = time.perf_counter()
    for layer in requests:
        await asyncio.gather(
            *(client.chat.completions.create(**replay(kwargs, question, new_question)) for kwargs in layer)
        )
    return time.perf_counter() - start


async def sequential_query(client, requests: list[list[dict]], question: str, new_question: str) -> float:
    start = time.perf_counter()
    for layer in requests:
        for kwargs in layer:
            await client.chat.completions.create(**replay(kwargs, question, new_question))
    return time.perf_counter() - start


QUESTION = "What is 17 * 23? (capture)"


async def main(latency: float, rounds: int) -> None:
    from archon_dsl.loader import load_text
    from archon_dsl.runtime.cache import Cache
    from archon_dsl.runtime.executor import Executor, Query
    from archon_dsl.runtime.provider import Provider

    server = Server(latency)
    client = bare_client(server.base_url)
    arch = load_text(arch_text(server.base_url)).instantiate()
    assert arch.calls_per_query() == sum(LAYERS) and len(arch.layers) == len(LAYERS)
    tmp = Path(tempfile.mkdtemp(prefix="archon-bench-"))
    cache = Cache(tmp / "cache.sqlite")
    # concurrency=0: no global bound, as the bare loop has none.
    no_cache = Executor(arch, Provider.for_architecture(arch, cache=None, env_file=None), concurrency=0)
    fresh_cache = Executor(arch, Provider.for_architecture(arch, cache=cache, env_file=None), concurrency=0)
    counter = iter(range(10**9))

    async def through(executor: Executor) -> float:
        start = time.perf_counter()
        # A new question each time: a fresh cache misses on every call.
        result = await executor.run_query(Query(f"What is 17 * 23? (run {next(counter)})", "q"))
        took = time.perf_counter() - start
        assert result.error is None and not result.degradations and result.calls == sum(LAYERS), result
        return took

    requests = await capture_requests(no_cache, QUESTION)
    variants = {
        "bare openai loop": lambda: bare_query(
            client, requests, QUESTION, f"What is 17 * 23? (bare {next(counter)})"
        ),
        "executor, no cache": lambda: through(no_cache),
        "executor, fresh cache": lambda: through(fresh_cache),
    }
    try:
        for variant in variants.values():  # warm up: imports, connections, first-call setup
            await variant()
            await variant()
        times: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(rounds):
            for name, variant in variants.items():  # interleaved, so load changes hit all alike
                times[name].append(await variant())
        sequential = await sequential_query(client, requests, QUESTION, "What is 17 * 23? (one at a time)")
        floor = len(LAYERS) * latency
        bare = statistics.median(times["bare openai loop"])
        print(
            f"one query, {sum(LAYERS)} calls in {len(LAYERS)} layers, server latency {latency * 1000:.0f} ms, "
            f"median of {rounds} rounds; floor (layers x latency) {floor * 1000:.0f} ms"
        )
        for name, values in times.items():
            took = statistics.median(values)
            print(
                f"  {name:24s} {took * 1000:7.1f} ms  {took / floor:5.2f}x floor  {took / bare:5.3f}x bare "
                f"(min {min(values) * 1000:.1f} ms)"
            )
        print(
            f"  {'calls one at a time':24s} {sequential * 1000:7.1f} ms  {sequential / floor:5.2f}x floor  "
            f"{sequential / bare:5.3f}x bare (one round; how the original Archon code runs)"
        )
        print(f"  server hits: {server.stats()['total']}")
    finally:
        cache.close()
        server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1, help="server seconds per call")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    asyncio.run(main(args.latency, args.rounds))
