"""Whole-space validation of the ITAS template (examples/itas.arch): every distinct architecture checked.

Run: python benchmarks/bench_space.py
"""

from __future__ import annotations

import time
from pathlib import Path

from archon_dsl.checker import check_path

ITAS = Path(__file__).resolve().parent.parent / "examples" / "itas.arch"


def main() -> None:
    check_path(ITAS)  # warm up: grammar, price table
    times = []
    for _ in range(3):
        start = time.perf_counter()
        result = check_path(ITAS)
        times.append(time.perf_counter() - start)
    print(
        f"ITAS template: {result.raw:,} raw points, {result.distinct:,} distinct architectures, "
        f"{result.valid:,} valid, {result.checked:,} checked"
    )
    print(
        f"whole-space validation: best {min(times):.2f} s, worst {max(times):.2f} s over 3 runs (bar: under 5 s)"
    )


if __name__ == "__main__":
    main()
