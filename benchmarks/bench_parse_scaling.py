"""Parse and validate generated files of 500, 5,000 and 50,000 layers: time should grow linearly.

Run: python benchmarks/bench_parse_scaling.py
"""

from __future__ import annotations

import functools
import time

from archon_dsl.checker import check_text
from archon_dsl.language.parser import parse

SIZES = (500, 5_000, 50_000)


def generated(layers: int) -> str:
    """A valid architecture: generators, then critic/ranker/fuser triples to fill `layers`."""
    lines = [
        'archon "generated"',
        'model a = "openai/gpt-4o"',
        'model b = "openai/gpt-4o-mini"',
        "pool p = [a, b]",
        "layer generator { models = p; samples = 4 }",
    ]
    kinds = [
        "layer critic { model = a }",
        "layer ranker { model = a; top_k = 3 }",
        "layer fuser { models = [a, b]; samples = 2 }",
    ]
    body = layers - 2
    for i in range(body):
        lines.append(kinds[i % 3])
    lines.append("layer critic { model = a }")
    lines.append("layer fuser { model = a }")
    return "\n".join(lines[: 4 + layers]) + "\n"


def best_of(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parse(generated(10))  # build the parser once
    print(f"{'layers':>8} {'parse s':>9} {'validate s':>11} {'us/layer':>9} {'findings':>9}")
    previous = None
    for size in SIZES:
        text = generated(size)
        runs = 3 if size < 50_000 else 1
        parse_time = best_of(functools.partial(parse, text), runs)
        result = None

        def validate(text: str = text) -> None:
            nonlocal result
            result = check_text(text, "generated.arch")

        validate_time = best_of(validate, runs)
        per_layer = validate_time / size * 1e6
        growth = f"  x{validate_time / previous:.1f} for x10 layers" if previous else ""
        print(
            f"{size:>8} {parse_time:>9.3f} {validate_time:>11.3f} {per_layer:>9.1f} {len(result.diagnostics):>9}{growth}"
        )
        previous = validate_time
    print("bar: linear growth; 5,000 layers validated in under 2 s")


if __name__ == "__main__":
    main()
