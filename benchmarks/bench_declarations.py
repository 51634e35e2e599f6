"""Validate files of many model declarations and of many layers, each in a cold process: time should grow linearly.

Run: python benchmarks/bench_declarations.py [SIZE ...]   (default 12500 25000 50000 100000)

Each file is validated as `archonc validate` does (read, parse, check), in a
fresh interpreter, three times; the median wall time is printed with the CPU
time (steadier on a shared machine) and the peak RSS.
Bar: both kinds grow linearly, and 50,000 layers validate in under 5 s.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

SIZES = (12_500, 25_000, 50_000, 100_000)
RUNS = 3

# The child: time reading, parsing and checking one file, as the validate command does.
CHILD = """
import json, sys, time
def peak_rss_mb():
    # VmHWM: this program's own peak (ru_maxrss would count the parent's memory from before exec).
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
start, cpu = time.perf_counter(), time.process_time()
from archon_dsl.checker import check_path
result = check_path(sys.argv[1])
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "cpu": time.process_time() - cpu, "findings": len(result.diagnostics),
                  "errors": len(result.errors), "rss_mb": peak_rss_mb()}))
"""


def declarations(n: int) -> str:
    """`n` model declarations, all in one pool a generator layer reads, and a fuser."""
    lines = ['archon "declarations"']
    lines += [f'model m{i} = "openai/gpt-4o"' for i in range(n)]
    lines.append("pool everyone = [" + ", ".join(f"m{i}" for i in range(n)) + "]")
    lines.append("layer generator { models = everyone[:3] }")
    lines.append("layer fuser { model = m0 }")
    return "\n".join(lines) + "\n"


def layers(n: int) -> str:
    """`n` layers: generators, then critic/ranker/fuser triples, ending in a fuser."""
    lines = [
        'archon "layers"',
        'model a = "openai/gpt-4o"',
        'model b = "openai/gpt-4o-mini"',
        "layer generator { models = [a, b]; samples = 2 }",
    ]
    kinds = [
        "layer critic { model = a }",
        "layer ranker { model = a; top_k = 3 }",
        "layer fuser { models = [a, b] }",
    ]
    lines += [kinds[i % 3] for i in range(n - 2)]
    lines.append("layer fuser { model = a }")
    return "\n".join(lines) + "\n"


def measure(text: str, folder: Path) -> dict:
    path = folder / "bench.arch"
    path.write_text(text)
    runs = []
    for _ in range(RUNS):
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=3600
        )
        if done.returncode != 0:
            raise SystemExit(f"validate failed:\n{done.stderr[-2000:]}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    middle = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    return {
        **middle,
        "seconds": statistics.median(r["seconds"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "bytes": len(text),
    }


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or list(SIZES)
    print(
        f"{'kind':<13} {'n':>8} {'MB':>6} {'seconds':>8} {'cpu s':>6} {'us/item':>8} {'RSS MB':>7} {'findings':>9}  growth"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for kind, make in (("declarations", declarations), ("layers", layers)):
            previous = None
            for n in sizes:
                r = measure(make(n), Path(tmp))
                growth = ""
                if previous is not None:
                    growth = f"x{r['cpu'] / previous[1]:.2f} CPU time for x{n / previous[0]:.1f} items"
                print(
                    f"{kind:<13} {n:>8} {r['bytes'] / 1e6:>6.1f} {r['seconds']:>8.2f} {r['cpu']:>6.2f} {r['seconds'] / n * 1e6:>8.1f} "
                    f"{r['rss_mb']:>7.0f} {r['findings']:>9}  {growth}",
                    flush=True,
                )
                previous = (n, r["cpu"])
    print("bar: linear growth (CPU time ratio close to the size ratio); 50,000 layers in under 5 s")


if __name__ == "__main__":
    main()
