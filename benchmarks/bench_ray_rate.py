"""Benchmark: a cluster-wide limit of 600 requests a minute, as the provider sees it, on a 2-worker local Ray cluster.

    python benchmarks/bench_ray_rate.py [--queries 300] [--rpm 600] [--latency 0.05]

The loopback server runs on a thread of this process and notes when each request arrives. The
architecture has 4 calls a query (a generator of 3 samples, a fuser) and a
`provider "openai" { rpm = 600 }` block; `archonc run --data --ray` runs the queries on a local Ray
instance (one worker per CPU), every worker asking the one limiter actor before each call. At
600 rpm the 1,200 calls take about two minutes. Printed: the requests in every 60-second window
that starts at a request (the windows wholly inside the run), their least and most against the
limit (the bar: within 5% of it, and never above it by more), and the same over 10-second windows.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def archonc() -> list[str]:
    found = shutil.which("archonc", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "archon_dsl.cli"]


def arch_text(base_url: str, rpm: int) -> str:
    return "\n".join(
        [
            'archon "rate"',
            "defaults { max_tokens = 64; retries = 0 }",
            f'provider "openai" {{ rpm = {rpm} }}',
            f'model gen = "openai/gen" {{ api_base = "{base_url}" }}',
            f'model fuse = "openai/fuse" {{ api_base = "{base_url}" }}',
            "layer generator { model = gen; samples = 3 }",
            "layer fuser { model = fuse }",
        ]
    )


def windows(times: list[float], seconds: float) -> list[int]:
    """Requests in each window [t, t + seconds) that starts at a request and ends before the last one."""
    counts = []
    for i, start in enumerate(times):
        if start + seconds > times[-1]:
            break
        counts.append(bisect.bisect_left(times, start + seconds) - i)
    return counts


def main(queries: int, rpm: int, latency: float) -> None:
    from tests.support.openai_server import OpenAIServer, Reply

    work = Path(tempfile.mkdtemp(prefix="archon-ray-rate-"))
    with OpenAIServer(latency=latency, record=True) as server:
        server.set("gen", Reply.ok("Working: 17 * 23 = 391.\nAnswer: 391"))
        server.set("fuse", Reply.ok("Taking the best: 17 * 23 = 391.\nAnswer: 391"))
        arch = work / "rate.arch"
        arch.write_text(arch_text(server.base_url, rpm), encoding="utf-8")
        data = work / "in.jsonl"
        data.write_text(
            "".join(
                json.dumps({"id": f"q{i}", "question": f"What is {i} * 23?"}) + "\n" for i in range(queries)
            ),
            encoding="utf-8",
        )
        command = [*archonc(), "run", str(arch), "--data", str(data), "--out", str(work / "out.jsonl")]
        command += ["--no-cache", "--no-progress", "--ray"]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=work, env=dict(os.environ), capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"the run failed ({done.returncode}):\n{done.stderr[-3000:]}")
        times = sorted(request.at for request in server.requests)
    calls = len(times)
    span = times[-1] - times[0]
    print(
        f"{queries} queries x 4 calls under a cluster-wide {rpm} rpm, 2 Ray workers: {calls} calls "
        f"in {span:.1f}s from first to last request ({wall:.1f}s wall with Ray's start); "
        f"mean {calls / span * 60:.0f} requests/min"
    )
    minute = windows(times, 60.0)
    if not minute:
        raise SystemExit("the run took less than a minute: give more --queries")
    low, high = min(minute), max(minute)
    print(
        f"  60-s windows ({len(minute)}, one starting at each request): least {low} ({low / rpm - 1:+.1%}), "
        f"most {high} ({high / rpm - 1:+.1%}) against {rpm}; within 5%: {low >= 0.95 * rpm and high <= 1.05 * rpm}"
    )
    ten = windows(times, 10.0)
    print(
        f"  10-s windows: least {min(ten)}, most {max(ten)} against {rpm / 6:.0f} "
        f"(late calls bunch: the spread is the workers' scheduling, not the limiter's booking)"
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rpm", type=int, default=600)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    main(args.queries, args.rpm, args.latency)
