"""Benchmark: HumanEval through the whole `archonc eval` path, and the wall time of its 164 sandboxed runs.

    python benchmarks/bench_humaneval.py [--runs 3]

A single-generator architecture calls the loopback OpenAI-compatible server
(tests/support/openai_server.py, in this process), which answers each problem with its canonical
solution as a fenced ```python block (the prompt and the body, as a chat model writes the whole
function), or, for the second bar, with a wrong body (`return None`). Each run is a cold
`archonc eval ARCH --suite humaneval --no-cache` process (the openai SDK as the client; every test
executed in the bubblewrap sandbox). Printed: pass@1 of both (bars: 164/164 and 0/164), the
command's wall time, and, separately, the wall time of scoring the 164 canonical answers alone
(the sandboxed executions, 4 at a time), median of --runs.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.openai_server import OpenAIServer, Reply  # noqa: E402


def archonc() -> list[str]:
    exe = Path(sys.executable).parent / "archonc"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "archon_dsl.cli"]


def eval_once(arch: Path, out: Path) -> tuple[dict, float]:
    env = {**os.environ, "OPENAI_API_KEY": "sk-bench-not-a-real-key-123456"}
    start = time.perf_counter()
    done = subprocess.run(
        [
            *archonc(),
            "eval",
            str(arch),
            "--suite",
            "humaneval",
            "--out",
            str(out),
            "--no-cache",
            "--json",
            "--no-progress",
            "-j",
            "16",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"archonc eval failed ({done.returncode}): {done.stderr}")
    return json.loads(done.stdout), wall


def scoring_only(rows: list[dict]) -> float:
    """Seconds to score the 164 canonical answers in the sandbox (no model calls)."""
    import anyio

    from archon_dsl.itas.scorers import ScoreContext
    from archon_dsl.suites import get_suite

    suite = get_suite("humaneval")
    answers = [f"```python\n{r['prompt']}{r['canonical_solution']}```" for r in rows]
    start = time.perf_counter()
    scores = anyio.run(lambda: suite.scorer().row_scores(answers, rows, ScoreContext()))
    wall = time.perf_counter() - start
    assert sum(s.score for s in scores) == len(rows), "a canonical solution failed in the sandbox"
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from archon_dsl.suites import get_suite

    rows = get_suite("humaneval").load()
    by_prompt = {r["prompt"]: r for r in rows}

    def solve(body: dict) -> Reply:
        question = body["messages"][-1]["content"]
        row = next(r for p, r in by_prompt.items() if p in question)
        return Reply.ok(f"```python\n{row['prompt']}{row['canonical_solution']}```")

    with OpenAIServer(record=False) as server, tempfile.TemporaryDirectory() as tmp:
        arch = Path(tmp) / "single.arch"
        arch.write_text(
            f'archon "one generator"\nmodel gen = "openai/gen" {{ api_base = "{server.base_url}" }}\n'
            "layer generator { model = gen }\n"
        )
        right_walls, wrong_walls, scoring = [], [], []
        for run in range(args.runs):
            server.set("gen", solve)
            report, wall = eval_once(arch, Path(tmp) / f"right{run}")
            right = report["architectures"][0]["score"]
            right_walls.append(wall)
            server.set("gen", Reply.ok("```python\n    return None\n```"))
            report, wall = eval_once(arch, Path(tmp) / f"wrong{run}")
            wrong = report["architectures"][0]["score"]
            wrong_walls.append(wall)
            scoring.append(scoring_only(rows))
        print(
            f"canonical solutions: pass@1 = {right['extra']['passed']}/{right['n']} ({right['value']:.1f}%)"
        )
        print(
            f"wrong body:          pass@1 = {wrong['extra']['passed']}/{wrong['n']} ({wrong['value']:.1f}%)"
        )
        print(
            f"archonc eval, 164 problems, cold process: median {statistics.median(right_walls):.1f} s "
            f"(canonical), {statistics.median(wrong_walls):.1f} s (wrong), {args.runs} runs"
        )
        print(
            f"164 sandboxed executions alone: median {statistics.median(scoring):.1f} s "
            f"(min {min(scoring):.1f}, max {max(scoring):.1f}), {os.cpu_count()} cores"
        )


if __name__ == "__main__":
    main()
