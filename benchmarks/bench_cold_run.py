"""Benchmark: a cold `archonc run` against a bare `openai.AsyncOpenAI` layer loop, and the warm second query.

    python benchmarks/bench_cold_run.py [--latency 0.1] [--runs 5]

The loopback OpenAI-compatible server (tests/support/openai_server.py) runs in a subprocess and
answers every call after `--latency` seconds. The stack is bench_critical_path.py's: 29 calls in
7 layers (floor: 7 x latency). Printed, median of `--runs`:

* cold, process start to exit: (a) a bare loop script in a fresh python process that sends each
  layer's calls at once through `openai.AsyncOpenAI` and prints the last reply; (b) `archonc run
  stack.arch "question"` in a fresh process (cache on, in a fresh directory; a new question each
  run). The bar: (b) at most 1.3x (a).
* warm, one query in a process that has run one already: the bare loop against `archon_dsl.run`
  of the same stack. The bar: at most 1.10x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_critical_path import LAYERS, Server, arch_text  # noqa: E402

# Each layer's model, as the stack names them (bench_critical_path.arch_text).
LAYER_MODELS = ("gen", "critic-10", "ranker-10", "fuse", "critic-8", "fuse", "fuse")

BARE = f"""
import asyncio, sys
import openai

LAYERS = {LAYERS!r}
MODELS = {LAYER_MODELS!r}


async def main(base_url, question):
    client = openai.AsyncOpenAI(base_url=base_url, api_key="sk-no-key", max_retries=0)
    text = question
    for width, model in zip(LAYERS, MODELS):
        replies = await asyncio.gather(*(
            client.chat.completions.create(
                model=model, messages=[{{"role": "user", "content": f"{{question}}\\n{{text}}\\n#{{k}}"}}],
                max_tokens=256, temperature=0.7, timeout=120)
            for k in range(width)))
        text = replies[0].choices[0].message.content
    return text


if __name__ == "__main__":
    print(asyncio.run(main(sys.argv[1], sys.argv[2])))
"""

WARM = """
import sys, time, asyncio
sys.path.insert(0, {bench!r})
import bare
import archon_dsl as ad
base_url, arch_file, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
arch = ad.load(arch_file).instantiate()
bare_times, api_times = [], []
for i in range(rounds + 1):  # the first round warms both up
    start = time.perf_counter()
    asyncio.run(bare.main(base_url, f"What is 17 * 23? (warm bare {{i}})"))
    bare_times.append(time.perf_counter() - start)
    start = time.perf_counter()
    result = ad.run(arch, f"What is 17 * 23? (warm api {{i}})", cache=False, env_file=None)
    api_times.append(time.perf_counter() - start)
    assert result.error is None and result.calls == {calls}, result
print(" ".join(f"{{b:.4f}},{{a:.4f}}" for b, a in zip(bare_times[1:], api_times[1:])))
"""


def timed(command: list[str], cwd: Path, environ: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=environ, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-1000:]}\n{done.stderr[-2000:]}"
        )
    if "391" not in done.stdout:
        raise SystemExit(f"{' '.join(command)} did not answer:\n{done.stdout[-1000:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1, help="server seconds per call")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    server = Server(args.latency)
    work = Path(tempfile.mkdtemp(prefix="archon-cold-"))
    (work / "bare.py").write_text(BARE, encoding="utf-8")
    (work / "stack.arch").write_text(arch_text(server.base_url) + "\n", encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    environ.pop("ARCHON_DEBUG", None)
    environ["PYTHONPATH"] = str(ROOT)
    archonc = [sys.executable, "-c", "import sys; from archon_dsl.cli import main; sys.exit(main())"]
    try:
        # Once each first: the OS file cache and ~/.cache hold what a user's second day has.
        timed([sys.executable, "bare.py", server.base_url, "warm-up"], work, environ)
        timed([*archonc, "run", "stack.arch", "What is 17 * 23? (warm-up)"], work, environ)
        bare, ours = [], []
        for i in range(args.runs):  # interleaved, so load changes hit both alike
            bare.append(
                timed(
                    [sys.executable, "bare.py", server.base_url, f"What is 17 * 23? (bare {i})"],
                    work,
                    environ,
                )
            )
            ours.append(timed([*archonc, "run", "stack.arch", f"What is 17 * 23? (cold {i})"], work, environ))
        warm = subprocess.run(
            [
                sys.executable,
                "-c",
                WARM.format(bench=str(work), calls=sum(LAYERS)),
                server.base_url,
                str(work / "stack.arch"),
                str(args.runs),
            ],
            cwd=work,
            env=environ,
            capture_output=True,
            text=True,
        )
        if warm.returncode != 0:
            raise SystemExit(f"warm run failed:\n{warm.stderr[-2000:]}")
        pairs = [tuple(map(float, p.split(","))) for p in warm.stdout.split()]
        floor = len(LAYERS) * args.latency
        cold_bare, cold_ours = statistics.median(bare), statistics.median(ours)
        warm_bare, warm_ours = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
        print(
            f"{sum(LAYERS)} calls in {len(LAYERS)} layers, server latency {args.latency * 1000:.0f} ms "
            f"(floor {floor:.2f} s), median of {args.runs}"
        )
        print(
            f"  cold, process start to exit: bare AsyncOpenAI loop {cold_bare:6.3f} s, archonc run {cold_ours:6.3f} s"
            f" -> {cold_ours / cold_bare:.2f}x (bar: at most 1.3x)"
        )
        print(
            f"    bare runs {', '.join(f'{t:.2f}' for t in bare)}; archonc runs {', '.join(f'{t:.2f}' for t in ours)}"
        )
        print(
            f"  warm, second query in process: bare loop {warm_bare:6.3f} s, archon_dsl.run {warm_ours:6.3f} s"
            f" -> {warm_ours / warm_bare:.3f}x (bar: at most 1.10x)"
        )
    finally:
        server.close()


if __name__ == "__main__":
    main()
