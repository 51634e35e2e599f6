"""Import and export of Archon JSON configs of 10,000, 50,000 and 100,000 layers: time should grow linearly.

Run: python benchmarks/bench_interop.py [--cli] [--sizes 10000,50000,100000]

In process, per size:
  import   JSON file -> Architecture and its .arch text, with the import notes located in the JSON
  load     the .arch file -> Architecture (parse and instantiate: what `archonc export` does first)
  export   Architecture -> JSON text
With --cli, also cold processes as a user runs them (median of 3, 1 at 100,000 layers):
  `archonc import CONFIG.json -o OUT.arch --no-check` and `archonc export OUT.arch -o OUT.json`.
Each figure is wall-clock seconds, and in brackets the CPU seconds (user + system) of the work:
on a shared machine the wall clock also counts waiting for a core, the CPU time does not.
The generated config is a published config's shape: a generator layer, then critic, ranker
(with the `ranker_batch_size` an LLM ranker ignores, one note per ranker layer) and fuser layers,
written one layer per line without spaces, so that 100,000 layers stay under the 16 MiB limit
on any file read (archon_dsl/limits.py).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = (10_000, 50_000, 100_000)


def config(layers: int) -> dict:
    """A config of `layers` layers in the shape of the original's published ones."""

    def component(kind: str, model: str, model_type: str, **extra) -> dict:
        return {
            "type": kind,
            "model": model,
            "model_type": model_type,
            "temperature": 0.7,
            "max_tokens": 2048,
            "samples": 1,
            **extra,
        }

    cycle = [
        [component("critic", "gpt-4o", "OpenAI_API")],
        [component("ranker", "Qwen/Qwen2-72B-Instruct", "Together_API", top_k=3, ranker_batch_size=16)],
        [component("fuser", "gpt-4o", "OpenAI_API")],
    ]
    out = [
        [
            component("generator", "gpt-4o", "OpenAI_API", samples=3),
            component("generator", "Qwen/Qwen2-72B-Instruct", "Together_API", samples=3),
        ]
    ]
    for i in range(layers - 2):
        out.append(cycle[i % 3])
    out.append([component("fuser", "gpt-4o", "OpenAI_API")])
    return {"name": f"generated-{layers}", "layers": out}


def config_text(data: dict) -> str:
    """The config as JSON text, one layer per line, no spaces."""

    def compact(value) -> str:
        return json.dumps(value, separators=(",", ":"))

    layers = ",\n".join(compact(layer) for layer in data["layers"])
    return f'{{"name":{compact(data["name"])},"layers":[\n{layers}\n]}}\n'


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(fn, runs: int) -> tuple[tuple[float, float], object]:
    """The median (wall, CPU) seconds of `runs` calls, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        start, cpu = time.perf_counter(), _cpu()
        result = fn()
        walls.append(time.perf_counter() - start)
        cpus.append(_cpu() - cpu)
    return (statistics.median(walls), statistics.median(cpus)), result


def figure(pair: tuple[float, float]) -> str:
    return f"{pair[0]:.2f} ({pair[1]:.2f})"


def cli(*args: str) -> None:
    env = dict(os.environ, NO_COLOR="1")
    done = subprocess.run(
        [sys.executable, "-m", "archon_dsl.cli", *args], capture_output=True, text=True, env=env
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"archonc {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cli", action="store_true", help="also time cold `archonc import` and `archonc export` runs"
    )
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="layer counts, comma-separated")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    from archon_dsl.interop import export_architecture, import_file
    from archon_dsl.loader import load

    header = (
        f"{'layers':>8} {'import s':>13} {'load s':>13} {'export s':>13} "
        f"{'import CPU us/layer':>20} {'export CPU us/layer':>20}"
    )
    if args.cli:
        header += f" {'cli import s':>14} {'cli export s':>14}"
    print(header)
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            runs = 3 if size < 100_000 else 1
            source = Path(tmp) / f"config{size}.json"
            source.write_text(config_text(config(size)), encoding="utf-8")
            arch_path = Path(tmp) / f"config{size}.arch"
            import_s, imported = timed(functools.partial(import_file, source, str(arch_path)), runs)
            arch_path.write_text(imported.text, encoding="utf-8")
            load_s, template = timed(functools.partial(load, arch_path), runs)
            arch = template.instantiate()
            export_s, exported = timed(lambda arch=arch: export_architecture(arch).text, runs)
            assert json.loads(exported)["layers"], "export wrote no layers"
            row = (
                f"{size:>8} {figure(import_s):>13} {figure(load_s):>13} {figure(export_s):>13} "
                f"{import_s[1] / size * 1e6:>20.1f} {export_s[1] / size * 1e6:>20.1f}"
            )
            if args.cli:
                out_json = Path(tmp) / f"out{size}.json"
                cli_import, _ = timed(
                    functools.partial(cli, "import", str(source), "-o", str(arch_path), "--no-check"), runs
                )
                cli_export, _ = timed(
                    functools.partial(cli, "export", str(arch_path), "-o", str(out_json)), runs
                )
                row += f" {figure(cli_import):>14} {figure(cli_export):>14}"
            print(row, flush=True)


if __name__ == "__main__":
    main()
