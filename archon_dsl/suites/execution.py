"""Running generated programs for the code suites: the project's sandbox, stdin/stdout tests, pass@k."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from ..evaluation.stats import bootstrap_mean, pass_at_k
from ..itas.scorers import ScoreContext
from .base import RowScore, SuiteScore

TIMEOUT = 5.0  # seconds per step (the code, then each test), as CodeExecution allows
MEMORY_MB = 512
PARALLEL = 4  # sandboxed jobs at once

# A test that runs a whole program on one input and compares what it prints, token by token
# (numbers within 1e-6), as CodeContests' checker does for problems without a special judge.
_STDIO_TEST = """
import io as _io, sys as _sys
def _same(got, want):
    if got == want:
        return True
    try:
        return abs(float(got) - float(want)) <= 1e-6 * max(1.0, abs(float(want)))
    except ValueError:
        return False
_out = _io.StringIO()
_sys.stdin = _io.TextIOWrapper(_io.BytesIO({stdin!r}), encoding="utf-8")
_sys.stdout = _out
try:
    exec(compile({program!r}, "<program>", "exec"), {{"__name__": "__main__"}})
except SystemExit as _exit:
    if _exit.code not in (None, 0):
        raise
finally:
    _sys.stdout = _sys.__stdout__
_got, _want = _out.getvalue().split(), {expected!r}
assert len(_got) == len(_want) and all(_same(g, w) for g, w in zip(_got, _want))
"""


def stdio_test(program: str, stdin: str, expected: str) -> str:
    """A sandbox test: `program` run as __main__ on `stdin` prints `expected` (whitespace-insensitive)."""
    return _STDIO_TEST.format(program=program, stdin=stdin.encode("utf-8"), expected=expected.split())


async def run_jobs(
    jobs: Sequence[tuple[str, list[str]] | None], ctx: ScoreContext, timeout: float = TIMEOUT
) -> list[list[bool] | None]:
    """Each (code, tests) job's verdicts from the sandbox, a few at once; None for a job that is None."""
    import anyio

    from ..runtime.sandbox import run_tests

    limiter = anyio.CapacityLimiter(PARALLEL)
    verdicts: list[list[bool] | None] = [None] * len(jobs)

    async def one(i: int, code: str, tests: list[str]) -> None:
        call = functools.partial(
            run_tests, code, tests, timeout=timeout, memory_mb=MEMORY_MB, unsafe_exec=ctx.unsafe_exec
        )
        verdicts[i] = await anyio.to_thread.run_sync(call, limiter=limiter)

    async with anyio.create_task_group() as group:
        for i, job in enumerate(jobs):
            if job is not None:
                group.start_soon(one, i, *job)
    return verdicts


def verdict_score(verdicts: list[bool] | None) -> RowScore:
    """1 when every test passes (the official all-or-nothing), with the tests passed in the detail."""
    if verdicts is None:
        return RowScore(0.0, {"error": True})
    return RowScore(
        1.0 if verdicts and all(verdicts) else 0.0, {"passed": sum(verdicts), "tests": len(verdicts)}
    )


def summarize_pass_at_k(
    metric_name: str, rows: Sequence[Mapping[str, Any]], scores: Sequence[RowScore]
) -> SuiteScore:
    """pass@1 in percent over problems (with a bootstrap interval), and pass@k for each k up to the
    samples per problem, with the unbiased estimator; rows of one problem share its `problem` field."""
    by_problem: dict[str, list[float]] = {}
    for row, score in zip(rows, scores, strict=True):
        by_problem.setdefault(str(row.get("problem", row["id"])), []).append(score.score)
    n_min = min(len(v) for v in by_problem.values())
    per_problem = {p: 100 * pass_at_k(len(v), int(sum(v)), 1) for p, v in by_problem.items()}
    value, low, high = bootstrap_mean(list(per_problem.values()))
    extra: dict[str, Any] = {"samples": n_min, "passed": sum(int(sum(v)) for v in by_problem.values())}
    for k in (1, 2, 5, 10, 20, 50, 100):
        if k <= n_min and k > 1:
            extra[f"pass@{k}"] = (
                100 * sum(pass_at_k(len(v), int(sum(v)), k) for v in by_problem.values()) / len(by_problem)
            )
    return SuiteScore(metric_name, value, low, high, "%", len(by_problem), extra, per_problem)
