"""`archonc validate` on one example against `python -c "import lark, pydantic, networkx"`: median wall time.

Also times `archonc -h` (every command's parser is built) and proves the front end's import set:
litellm, ax, torch, anyio and rich must not be loaded.
Run: python benchmarks/bench_validate_startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "general_purpose.arch"
HEAVY = ("litellm", "ax", "torch", "anyio", "botorch", "rich")


# As a user's shell runs it: bytecode cached (some sandboxes set PYTHONDONTWRITEBYTECODE,
# which recompiles every module of an editable install on every start).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, cwd=ROOT, env=ENV)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.decode()}")
    return elapsed


def heavy_imports() -> list[str]:
    probe = (
        f"import sys; sys.argv = ['archonc', 'validate', {str(EXAMPLE)!r}];\n"
        "from archon_dsl.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('HEAVY:' + ','.join(sorted({m.split('.')[0] for m in sys.modules} & set("
        + repr(HEAVY + ("typer",))
        + "))) + '\\n')"
    )
    err = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=ENV
    ).stderr
    line = next((x for x in err.splitlines() if x.startswith("HEAVY:")), "HEAVY:")
    return [m for m in line[len("HEAVY:") :].split(",") if m]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    archonc = shutil.which("archonc", path=str(Path(sys.executable).parent)) or "archonc"
    baseline_cmd = [sys.executable, "-c", "import lark, pydantic, networkx"]
    validate_cmd = [archonc, "validate", str(EXAMPLE)]
    for cmd in (baseline_cmd, validate_cmd):  # warm the OS cache and Lark's grammar cache
        timed(cmd)
    help_cmd = [archonc, "-h"]
    baseline, validate, helped = [], [], []
    for _ in range(args.runs):  # interleaved, so background load hits both alike
        baseline.append(timed(baseline_cmd))
        validate.append(timed(validate_cmd))
        helped.append(timed(help_cmd))
    b, v, h = statistics.median(baseline), statistics.median(validate), statistics.median(helped)
    print(
        f"baseline  python -c 'import lark, pydantic, networkx': median {b * 1000:.0f} ms over {args.runs} runs"
    )
    print(f"archonc validate {EXAMPLE.relative_to(ROOT)}:            median {v * 1000:.0f} ms")
    print(f"ratio: {v / b:.2f}x (bar: at most 1.5x)")
    print(f"archonc -h:                                         median {h * 1000:.0f} ms ({h / b:.2f}x)")
    loaded = heavy_imports()
    print(
        f"heavy modules imported by validate: {', '.join(loaded) if loaded else 'none'} (bar: none of litellm, ax, torch, anyio)"
    )


if __name__ == "__main__":
    main()
