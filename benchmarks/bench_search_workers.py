"""Benchmark: a search with --workers N against the same search serially, on the loopback provider.

    python benchmarks/bench_search_workers.py [--trials 16] [--workers 4] [--latency 0.1] [--rounds 3] [--ray]

The loopback OpenAI-compatible server runs in a subprocess with `--latency` seconds per call. The
template has 16 distinct architectures (a generator and three fusers, the first and last at one of 4
temperatures each: four calls in sequence per row), 4 development rows, no held-out split and no cache, so
every trial pays its calls. Each run is a cold process (`archonc search --strategy random`, the
real openai SDK underneath); printed: the search's wall time as result.json does not carry it,
measured around the `search` call inside that process, and the whole process's wall time, median
of `--rounds`, serial and with workers, and their ratio. The bar (issue 14): the search with
--workers 4 in at most 0.4x the serial wall time. With `--ray` the parallel search's evaluations run
as Ray tasks on a local instance (started inside the process before the search is timed, so its start
is in the process's time, not the search's); either way the configurations evaluated and their scores
must be the serial search's, and the benchmark says whether they are.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TEMPLATE = """\
archon "workers-bench"
model g = "openai/gen" {{ api_base = "{base}" }}
param t: float = 0.0 in {{0.0, 0.3, 0.6, 0.9}}
param u: float = 0.0 in {{0.0, 0.3, 0.6, 0.9}}
layer generator {{ model = g; temperature = t }}
layer fuser {{ model = g }}
layer fuser {{ model = g }}
layer fuser {{ model = g; temperature = u }}
"""

RUN = """\
import json, sys, time
from archon_dsl import search
ray = sys.argv[5] == "ray"
if ray:
    from archon_dsl.scale.cluster import connect
    connect()  # the local instance's start is not the search's time
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


def one_run(template: Path, data: Path, trials: int, workers: int, mode: str = "local") -> dict:
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
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ray", action="store_true", help="the parallel search on a local Ray instance")
    args = parser.parse_args()
    server, base = start_server(args.latency)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            template = Path(tmp) / "workers.arch"
            template.write_text(TEMPLATE.format(base=base), encoding="utf-8")
            data = Path(tmp) / "rows.jsonl"
            data.write_text(
                "".join(
                    json.dumps({"id": str(i), "question": f"q{i}", "answer": "a"}) + "\n" for i in range(4)
                ),
                encoding="utf-8",
            )
            runs: dict[int, list[dict]] = {1: [], args.workers: []}
            for _ in range(args.rounds):
                for workers in runs:
                    mode = "ray" if args.ray and workers > 1 else "local"
                    runs[workers].append(one_run(template, data, args.trials, workers, mode))
    finally:
        server.terminate()
        server.wait()
    print(
        f"{args.trials}-trial random search, loopback provider at {args.latency * 1000:.0f} ms per call, "
        f"4 calls in sequence per row, 4 rows, cache off; median of {args.rounds} cold processes"
    )
    medians = {}
    for workers, figures in runs.items():
        search_s = statistics.median(f["search"] for f in figures)
        process_s = statistics.median(f["process"] for f in figures)
        evaluations = {f["evaluations"] for f in figures}
        distinct = {len({params for params, _ in f["trials"]}) for f in figures}
        medians[workers] = (search_s, process_s)
        where = " on Ray" if args.ray and workers > 1 else ""
        print(
            f"  workers {workers}{where}: search {search_s:.2f} s, whole process {process_s:.2f} s "
            f"(evaluations {sorted(evaluations)}, distinct configurations {sorted(distinct)})"
        )
    serial, parallel = medians[1], medians[args.workers]
    same = all(f["trials"] == runs[1][0]["trials"] for f in runs[args.workers])
    print(f"  same configurations and scores as the serial search: {same}")
    print(
        f"  ratio workers {args.workers} / serial: search {parallel[0] / serial[0]:.2f}x, "
        f"whole process {parallel[1] / serial[1]:.2f}x (bar: search <= 0.40x)"
    )


if __name__ == "__main__":
    main()
