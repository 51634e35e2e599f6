"""Benchmark: a dataset run on a 2-worker local Ray cluster against the same run in one process.

    python benchmarks/bench_ray_answers.py [--queries 2000] [--latency 0.05] [--concurrency 128]

The loopback server (tests/support/openai_server.py) runs on a thread of this process and
answers every call after `--latency` seconds; the architecture is bench_critical_path's, 29
calls a query. Both runs are cold `archonc run --data` processes with their own fresh cache:
first in one process, then with `--ray` (a local Ray instance started by the run, one worker
per CPU: 2 here). Printed for each: wall time, calls/s and the calls the server answered; then the bars:
the same answer and error for every id, no row lost or written twice, and provider hits equal
to queries x calls (the minimum: every call distinct, none made twice).
"""

from __future__ import annotations

import argparse
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_critical_path import LAYERS, arch_text, replies  # noqa: E402


def archonc() -> list[str]:
    found = shutil.which("archonc", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "archon_dsl.cli"]


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_data(path: Path, queries: int) -> None:
    path.write_text(
        "".join(json.dumps({"id": f"q{i}", "question": f"What is {i} * 23?"}) + "\n" for i in range(queries)),
        encoding="utf-8",
    )


def main(queries: int, latency: float, concurrency: int) -> None:
    from tests.support.openai_server import OpenAIServer, Reply

    per_query = sum(LAYERS)
    work = Path(tempfile.mkdtemp(prefix="archon-ray-"))
    with OpenAIServer(latency=latency, record=False) as server:
        for model, text in replies().items():
            server.set(model, Reply.ok(text))
        arch = work / "bench.arch"
        arch.write_text(arch_text(server.base_url), encoding="utf-8")
        data = work / "in.jsonl"
        write_data(data, queries)
        env = dict(os.environ)
        env.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

        def run(name: str, *extra: str) -> tuple[float, int, list[dict]]:
            before = server.total_hits
            command = [
                *archonc(),
                "run",
                str(arch),
                "--data",
                str(data),
                "--out",
                str(work / f"{name}.jsonl"),
            ]
            command += ["--cache-dir", str(work / f"cache-{name}"), "-j", str(concurrency), "--no-progress"]
            start = time.perf_counter()
            done = subprocess.run([*command, *extra], cwd=work, env=env, capture_output=True, text=True)
            wall = time.perf_counter() - start
            if done.returncode != 0:
                raise SystemExit(f"{name} run failed ({done.returncode}):\n{done.stderr[-3000:]}")
            return wall, server.total_hits - before, records(work / f"{name}.jsonl")

        print(
            f"{queries} queries x {per_query} calls = {queries * per_query} calls, server latency "
            f"{latency * 1000:.0f} ms, -j {concurrency}"
        )
        local_wall, local_hits, local = run("local")
        print(
            f"  one process:            {local_wall:6.1f}s wall (cold process), "
            f"{local_hits / local_wall:5.0f} calls/s, {local_hits} calls answered"
        )
        ray_wall, ray_hits, on_ray = run("ray", "--ray")
        print(
            f"  Ray, {os.cpu_count()} workers (local): {ray_wall:6.1f}s wall (cold process, Ray start included), "
            f"{ray_hits / ray_wall:5.0f} calls/s, {ray_hits} calls answered"
        )
        ids = [r["id"] for r in on_ray]
        by_id = {r["id"]: (r["answer"], r["error"]) for r in on_ray}
        same = sum(by_id.get(r["id"]) == (r["answer"], r["error"]) for r in local)
        print(
            f"  Ray output: {len(on_ray)} lines, {len(set(ids))} distinct ids of {queries} "
            f"({queries - len(set(ids))} lost, {len(ids) - len(set(ids))} written twice), "
            f"{sum(r['error'] is not None for r in on_ray)} errors"
        )
        print(f"  same answer and error as the local run: {same} of {queries} ids")
        print(
            f"  provider hits: local {local_hits}, Ray {ray_hits}, minimum {queries * per_query} "
            f"({ray_hits - queries * per_query} over the minimum on Ray)"
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=128)
    args = parser.parse_args()
    main(args.queries, args.latency, args.concurrency)
