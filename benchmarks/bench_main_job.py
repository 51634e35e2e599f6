"""The README's main job (its first setup command's `archonc search ...`), timed as a user runs it.

cold: a new directory and an empty response cache, so every call is made (the simulator's,
    offline), as the first time after install;
warm: the same command again in that directory with a new --out: the response cache holds
    every call, so this is the search machinery (the model, scoring, outputs) alone.
Prints the median wall time of each, process start to exit. The README's figure comes from here.
Run: python benchmarks/bench_main_job.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHONC = shutil.which("archonc", path=str(Path(sys.executable).parent)) or "archonc"
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE" and not k.endswith("_API_KEY")}


def main_job() -> list[str]:
    """The archonc step of the README's first setup command, with its --out dropped (each run gets one)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = next(line for line in readme.splitlines() if "pip install" in line and "archonc search" in line)
    step = line.split("&&")[-1].strip()
    argv = shlex.split(step)
    if "--out" in argv:
        at = argv.index("--out")
        del argv[at : at + 2]
    return [ARCHONC, *argv[1:]]


def timed(argv: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{shlex.join(argv)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    argv = main_job()
    print("main job:", shlex.join(["archonc", *argv[1:]]), "--out ...")
    cold, warm = [], []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="archon-main-job-") as tmp:
            work = Path(tmp)
            shutil.copytree(ROOT / "examples", work / "examples")
            cold.append(timed([*argv, "--out", "runs/cold"], work))
            warm.append(timed([*argv, "--out", "runs/warm"], work))
        print(f"run {run + 1}: cold {cold[-1]:.1f} s, warm {warm[-1]:.1f} s", flush=True)
    print(
        f"median of {args.runs}: cold {statistics.median(cold):.1f} s, warm (cache full) "
        f"{statistics.median(warm):.1f} s on {os.cpu_count()} CPUs"
    )


if __name__ == "__main__":
    main()
