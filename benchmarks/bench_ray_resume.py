"""Benchmark: kill an `archonc run --ray` driver at a random point, rerun it, count the calls paid twice.

    python benchmarks/bench_ray_resume.py [--queries 400] [--latency 0.05] [--seed N] [--rounds 3]

As bench_resume.py, on a local Ray cluster (one worker per CPU, started by the run): the
loopback server runs on a thread of this process; the architecture is bench_critical_path's, 29
calls a query. Each round draws a point between 20% and 80% of the queries; when that many are
in the output file, the server stops answering (new requests hang), the requests being answered
finish, and the driver is killed with SIGKILL while its workers' hung calls wait (a reply in
transit at the instant of a kill is lost whatever the client does; stalling first makes the count
exact). Then the same command runs again and finishes. Printed per round: the kill point, what
the rerun did, and calls answered over both runs against queries x calls (equal: none paid twice).
"""

from __future__ import annotations

import argparse
import json
import os
import random
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


def one_round(queries: int, latency: float, fraction: float) -> bool:
    from tests.support.openai_server import OpenAIServer, Reply

    per_query = sum(LAYERS)
    work = Path(tempfile.mkdtemp(prefix="archon-ray-resume-"))
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
        command = [*archonc(), "run", str(arch), "--data", str(data), "--out", str(out)]
        command += ["--cache-dir", str(work / "cache"), "--no-progress", "--ray"]
        kill_at = max(1, int(queries * fraction))
        process = subprocess.Popen(command, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while process.poll() is None and len(lines(out)) < kill_at:
            time.sleep(0.02)
        if process.poll() is not None:
            raise SystemExit(f"the run ended before the kill point: {process.stderr.read().decode()[-2000:]}")
        for model in replies():  # stall: new requests hang; wait for the ones being answered
            server.set(model, Reply.hanging())
        time.sleep(
            latency + 3.0
        )  # and for the workers' last replies to reach the cache (a loaded CPU: seconds)
        hung = server.in_flight
        hits_at_kill = server.total_hits
        done_at_kill = len(lines(out))
        process.send_signal(signal.SIGKILL)
        process.wait()
        time.sleep(2.0)  # Ray notices its driver is gone and ends its workers (their hung calls hang up)
        answered_first = hits_at_kill - hung

        answer()
        start = time.perf_counter()
        resumed = subprocess.run(command, cwd=work, capture_output=True, text=True)
        second_wall = time.perf_counter() - start
        if resumed.returncode != 0:
            raise SystemExit(f"the rerun failed:\n{resumed.stderr[-3000:]}")
        rows = lines(out)
        fresh = rows[done_at_kill:]
        answered = server.total_hits - hung
        expected = queries * per_query
        ids = [r["id"] for r in rows]
        print(
            f"  killed at {done_at_kill}/{queries} queries in --out ({fraction:.0%} drawn): "
            f"{answered_first} calls answered, {hung} in flight (unanswered)"
        )
        print(
            f"  rerun in {second_wall:.1f}s: {queries - done_at_kill} queries run; "
            f"{sum(r['cached_calls'] for r in fresh)} of their {sum(r['calls'] for r in fresh)} calls from the cache; "
            f"output {len(rows)} lines, {len(set(ids))} distinct ids, {sum(r['error'] is not None for r in rows)} errors"
        )
        print(
            f"  calls answered over both runs: {answered} (minimum {expected}): {answered - expected} paid twice"
        )
    shutil.rmtree(work, ignore_errors=True)
    return answered == expected and len(set(ids)) == len(ids) == queries


def main(queries: int, latency: float, seed: int, rounds: int) -> None:
    draw = random.Random(seed)
    print(
        f"{queries} queries x {sum(LAYERS)} calls, server latency {latency * 1000:.0f} ms, "
        f"{os.cpu_count()} Ray workers (local), seed {seed}"
    )
    good = 0
    for number in range(rounds):
        print(f"round {number + 1}:")
        good += one_round(queries, latency, draw.uniform(0.2, 0.8))
    print(f"{good} of {rounds} rounds: nothing paid twice, every row once")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    main(args.queries, args.latency, args.seed, args.rounds)
