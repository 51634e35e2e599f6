"""Benchmark: kill a 200-query `archonc run --data` at about half way, resume it, count server hits.

    python benchmarks/bench_resume.py [--queries 200] [--latency 0.05] [--concurrency 64]

The loopback server runs on a thread of this process (the run itself is an `archonc`
subprocess, so nothing here competes with it); the architecture is bench_critical_path's,
29 calls a query. When about half the queries are in the output file, the server stops
answering (new requests hang), the requests already being answered finish, and the run is
killed with SIGKILL while its hung calls wait: queries are cut off mid-way, between layers.
(A reply in transit at the instant of a kill is lost whatever the client does; stalling
first makes the count exact.) Then the same command runs again and finishes.

Printed: queries and calls at the kill, what the resumed run did (queries skipped, calls
served by the cache), and the count that matters: calls answered by the server over both
runs against queries x calls. Equal means no call was made twice.

Then the --out attacks of issue 9 §2, each a cold `archonc` process (peak RSS from the kernel's
accounting of children): two runs on one --out at once (calls made against queries x calls),
`--out /dev/full`, and reading back a large output file (--big records) to resume it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
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


def lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return out


def child_peak_mb() -> float:
    """Peak RSS of the largest child waited for so far, in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def attacks(queries: int, latency: float, big: int) -> None:
    """Two runs on one --out, --out /dev/full, and a resume of a large output file."""
    from tests.support.openai_server import OpenAIServer, Reply

    per_query = sum(LAYERS)
    work = Path(tempfile.mkdtemp(prefix="archon-out-"))
    with OpenAIServer(latency=latency, record=False) as server:
        for model, text in replies().items():
            server.set(model, Reply.ok(text))
        arch = work / "bench.arch"
        arch.write_text(arch_text(server.base_url), encoding="utf-8")
        data = work / "in.jsonl"
        data.write_text(
            "".join(
                json.dumps({"id": f"q{i}", "question": f"What is {i} * 23?"}) + "\n" for i in range(queries)
            ),
            encoding="utf-8",
        )

        def command(out: Path | str, cache: str) -> list[str]:
            return [
                *archonc(),
                "run",
                str(arch),
                "--data",
                str(data),
                "--out",
                str(out),
                "--cache-dir",
                str(work / cache),
                "-j",
                "16",
                "--no-progress",
            ]

        out = work / "twice.jsonl"
        first = subprocess.Popen(
            command(out, "c1"), cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        while first.poll() is None and server.total_hits == 0:
            time.sleep(0.01)
        second = subprocess.run(command(out, "c2"), cwd=work, capture_output=True, text=True)
        first.wait()
        said = next((line for line in second.stderr.splitlines() if "in use" in line), second.stderr.strip())
        print(
            f"two runs on one --out ({queries} queries x {per_query} calls): second exits {second.returncode} "
            f"({said.strip()[:110]}); calls answered {server.total_hits} (expected {queries * per_query}); "
            f"{len(lines(out))} lines"
        )

        start = time.perf_counter()
        full = subprocess.run(command("/dev/full", "c3"), cwd=work, capture_output=True, text=True)
        said = next((line for line in full.stderr.splitlines() if "disk full" in line), full.stderr.strip())
        print(
            f"--out /dev/full: exit {full.returncode} in {time.perf_counter() - start:.1f}s, "
            f"peak RSS of any child so far {child_peak_mb():.0f} MB: {said.strip()[:100]}"
        )

    record = json.dumps(
        {
            "id": "q",
            "question": "What is 17 * 23?",
            "answer": "391",
            "error": None,
            "calls": 29,
            "cached_calls": 0,
            "input_tokens": 5000,
            "output_tokens": 900,
            "cost_usd": 0.01,
            "latency_s": 1.2,
            "layers": [],
            "degradations": [],
        }
    )
    out = work / "big.jsonl"
    with out.open("w", encoding="utf-8") as f:
        for i in range(big):
            f.write(record.replace('"id": "q"', f'"id": "q{i}"', 1) + "\n")
    probe = (
        "import resource, sys, time\n"
        "from archon_dsl.runtime.batch import ResultsFile\n"
        "start = time.perf_counter()\n"
        "with ResultsFile(sys.argv[1]) as results: n = len(results.done)\n"
        "print(n, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    baseline = subprocess.run(
        [
            sys.executable,
            "-c",
            "import resource; from archon_dsl.runtime import batch; "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    done = subprocess.run([sys.executable, "-c", probe, str(out)], capture_output=True, text=True, check=True)
    n, seconds, peak = done.stdout.split()
    print(
        f"resume read-back of {int(n)} records ({out.stat().st_size / 1e6:.0f} MB): {float(seconds):.2f}s, "
        f"peak RSS {float(peak):.0f} MB (the import alone {float(baseline.stdout):.0f} MB)"
    )
    shutil.rmtree(work, ignore_errors=True)


def main(queries: int, latency: float, concurrency: int) -> None:
    from tests.support.openai_server import OpenAIServer, Reply

    per_query = sum(LAYERS)
    work = Path(tempfile.mkdtemp(prefix="archon-resume-"))
    with OpenAIServer(latency=latency, record=False) as server:

        def answer() -> None:
            for model, text in replies().items():
                server.set(model, Reply.ok(text))

        answer()
        arch = work / "bench.arch"
        arch.write_text(arch_text(server.base_url), encoding="utf-8")
        data = work / "in.jsonl"
        data.write_text(
            "".join(
                json.dumps({"id": f"q{i}", "question": f"What is {i} * 23?"}) + "\n" for i in range(queries)
            ),
            encoding="utf-8",
        )
        out = work / "out.jsonl"
        command = [
            *archonc(),
            "run",
            str(arch),
            "--data",
            str(data),
            "--out",
            str(out),
            "--cache-dir",
            str(work / "cache"),
            "-j",
            str(concurrency),
            "--no-progress",
        ]
        env = dict(os.environ)

        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        while process.poll() is None and len(lines(out)) < queries // 2:
            time.sleep(0.02)
        if process.poll() is not None:
            raise SystemExit(f"the run ended before half way: {process.stderr.read().decode()}")
        for model in replies():  # stall: new requests hang; wait for the ones being answered
            server.set(model, Reply.hanging())
        time.sleep(latency + 0.5)
        hung = server.in_flight
        hits_at_kill = server.total_hits
        done_at_kill = len(lines(out))
        process.send_signal(signal.SIGKILL)
        process.wait()
        first_wall = time.perf_counter() - start
        answered_first = hits_at_kill - hung

        answer()
        start = time.perf_counter()
        resumed = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
        second_wall = time.perf_counter() - start
        if resumed.returncode != 0:
            raise SystemExit(f"the resumed run failed:\n{resumed.stderr}")
        rows = lines(out)
        fresh = rows[done_at_kill:]
        answered = server.total_hits - hung
        expected = queries * per_query
        ids = [r["id"] for r in rows]
        print(
            f"{queries} queries x {per_query} calls, server latency {latency * 1000:.0f} ms, -j {concurrency}"
        )
        print(
            f"  killed (SIGKILL) after {first_wall:.1f}s: {done_at_kill} queries in the output file, "
            f"{answered_first} calls answered, {hung} calls in flight (unanswered)"
        )
        print(
            f"  resumed in {second_wall:.1f}s: {queries - done_at_kill} queries run, {done_at_kill} skipped; "
            f"{sum(r['cached_calls'] for r in fresh)} of their {sum(r['calls'] for r in fresh)} calls from the cache"
        )
        print(
            f"  output: {len(rows)} lines, {len(set(ids))} distinct ids, "
            f"{sum(r['error'] is not None for r in rows)} errors"
        )
        print(
            f"  calls answered over both runs: {answered} (expected {expected}): "
            f"{answered - expected} made twice"
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05, help="server seconds per call")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--big", type=int, default=200_000, help="records in the large output file read back")
    args = parser.parse_args()
    main(args.queries, args.latency, args.concurrency)
    attacks(min(args.queries, 40), max(args.latency, 0.05), args.big)
