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
        data.write_text("".join(json.dumps({"id": f"q{i}", "question": f"What is {i} * 23?"}) + "\n"
                                for i in range(queries)), encoding="utf-8")
        out = work / "out.jsonl"
        command = [*archonc(), "run", str(arch), "--data", str(data), "--out", str(out), "--cache-dir",
                   str(work / "cache"), "-j", str(concurrency), "--no-progress"]
        env = dict(os.environ)

        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
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
        print(f"{queries} queries x {per_query} calls, server latency {latency * 1000:.0f} ms, -j {concurrency}")
        print(f"  killed (SIGKILL) after {first_wall:.1f}s: {done_at_kill} queries in the output file, "
              f"{answered_first} calls answered, {hung} calls in flight (unanswered)")
        print(f"  resumed in {second_wall:.1f}s: {queries - done_at_kill} queries run, {done_at_kill} skipped; "
              f"{sum(r['cached_calls'] for r in fresh)} of their {sum(r['calls'] for r in fresh)} calls from the cache")
        print(f"  output: {len(rows)} lines, {len(set(ids))} distinct ids, "
              f"{sum(r['error'] is not None for r in rows)} errors")
        print(f"  calls answered over both runs: {answered} (expected {expected}): "
              f"{answered - expected} made twice")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05, help="server seconds per call")
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    main(args.queries, args.latency, args.concurrency)
