"""Benchmark: what the execute-mode sandbox costs, bubblewrap against no isolation.

    python benchmarks/bench_sandbox.py [--tests 8] [--rounds 5]

A cold process (a fresh interpreter per measurement, as a user's `archonc run` is) runs one
candidate against N passing tests: the first run includes the backend's self-test. Then, in
one process, the median of several runs of the same job on each backend, and the cost per test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

CODE = "def add(a, b):\n    return a + b\n"

_COLD = """
import json, sys, time
start = time.perf_counter()
from archon_dsl.runtime.sandbox import run_tests
passed = run_tests({code!r}, {tests!r})
print(json.dumps([time.perf_counter() - start, all(passed)]))
"""


def cold(tests: list[str]) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _COLD.format(code=CODE, tests=tests)],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, ok = json.loads(done.stdout)
    assert ok, "the honest candidate failed"
    return seconds


def warm(backend, tests: list[str], rounds: int) -> float:
    from archon_dsl.runtime.isolation.runner import run_job

    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        assert all(run_job(backend, CODE, tests, timeout=5.0, memory_mb=512))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    tests = [f"assert add({i}, 1) == {i + 1}" for i in range(args.tests)]

    from archon_dsl.runtime import isolation
    from archon_dsl.runtime.isolation.unisolated import UnisolatedBackend

    bwrap, why = isolation.bwrap_status()
    if bwrap is None:
        sys.exit(f"no bubblewrap: {why}")
    colds = [cold(tests) for _ in range(args.rounds)]
    print(
        f"cold process, import + self-test + {args.tests} tests: median {statistics.median(colds) * 1000:.0f} ms "
        f"(min {min(colds) * 1000:.0f}, max {max(colds) * 1000:.0f})"
    )
    for name, backend in (("bwrap", bwrap), ("unisolated", UnisolatedBackend())):
        one = warm(backend, tests[:1], args.rounds)
        many = warm(backend, tests, args.rounds)
        per_test = (many - one) / max(args.tests - 1, 1)
        print(
            f"{name:>10}: 1 test {one * 1000:.0f} ms, {args.tests} tests {many * 1000:.0f} ms, "
            f"{per_test * 1000:.0f} ms per extra test (medians of {args.rounds})"
        )


if __name__ == "__main__":
    main()
