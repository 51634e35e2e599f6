"""Benchmark: a 16-trial random search on a local Ray cluster against the same search serially in one process.

    python benchmarks/bench_ray_search.py [--trials 16] [--workers 4] [--latency 0.1] [--rows 8]

The loopback OpenAI-compatible server runs in a subprocess with `--latency` seconds per call. The
template has 16 distinct architectures (a generator with 1-4 samples at 4 temperatures, then a
fuser: two calls in sequence per row), `--rows` development rows, no held-out split and no cache,
so every trial pays its calls. Each search is a cold process (`archon_dsl.search`, strategy random,
seed 0): serially; with `workers=N, ray=True` (a local Ray instance, one worker per CPU, started
inside the process: its start is in the process's time, not the search's). Printed: the search's
wall time around the `search` call, the process's, the configurations evaluated and their scores
(the same on both), and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TEMPLATE = """\
archon "ray-search-bench"
model g = "openai/gen" {{ api_base = "{base}" }}
param n: int = 1 in 1..4
param t: float = 0.0 in {{0.0, 0.3, 0.6, 0.9}}
layer generator {{ models = [g]; samples = n; temperature = t }}
layer fuser {{ model = g }}
"""

RUN = """\
import json, sys, time
ray = sys.argv[5] == "ray"
if ray:
    from archon_dsl.scale.cluster import connect
    connect()  # the local instance's start is not the search's time
from archon_dsl import search
started = time.perf_counter()
result = search(sys.argv[1], sys.argv[2], "exact", strategy="random", trials=int(sys.argv[3]),
                workers=int(sys.argv[4]), split=0, cache=False, **({"ray": True} if ray else {}))
print(json.dumps({"search": time.perf_counter() - started, "evaluations": result.evaluations,
                  "trials": sorted((json.dumps(t.params, sort_keys=True), t.score) for t in result.trials)}))
"""


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.openai_server", "--latency", str(latency)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def one_run(template: Path, data: Path, trials: int, workers: int, mode: str) -> dict:
    env = {**os.environ, "OPENAI_API_KEY": "sk-loopback"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(template), str(data), str(trials), str(workers), mode],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"search failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["process"] = wall
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.1, help="server seconds per call")
    parser.add_argument("--rows", type=int, default=8)
    args = parser.parse_args()
    server, base = start_server(args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            template = Path(tmp) / "search.arch"
            template.write_text(TEMPLATE.format(base=base), encoding="utf-8")
            data = Path(tmp) / "rows.jsonl"
            data.write_text(
                "".join(
                    json.dumps({"id": str(i), "question": f"q{i}", "answer": "a"}) + "\n"
                    for i in range(args.rows)
                ),
                encoding="utf-8",
            )
            serial = one_run(template, data, args.trials, 1, "local")
            on_ray = one_run(template, data, args.trials, args.workers, "ray")
    finally:
        server.terminate()
        server.wait()
    print(
        f"{args.trials}-trial random search, loopback provider at {args.latency * 1000:.0f} ms per call, "
        f"2 calls in sequence per row, {args.rows} rows, cache off; one cold process each"
    )
    for name, figures in (("serial, one process", serial), (f"workers {args.workers}, Ray", on_ray)):
        print(
            f"  {name}: search {figures['search']:.2f} s, whole process {figures['process']:.2f} s, "
            f"{figures['evaluations']} evaluations"
        )
    print(
        f"  same configurations and scores: {serial['trials'] == on_ray['trials']}; "
        f"ratio Ray / serial: search {on_ray['search'] / serial['search']:.2f}x"
    )


if __name__ == "__main__":
    main()
