"""Runs candidate Python code against assert tests in a sandbox (runtime/isolation/): bubblewrap, or refuses.

Each test runs in a fresh interpreter that runs the code and then that one test, inside a
bubblewrap sandbox with its own PID, mount, network, IPC and UTS namespaces, only the Python
interpreter visible, no environment variables, an unprivileged uid and limits on memory, CPU,
processes and file size; a supervisor that never runs the code reports the verdicts under a
per-run secret. Without a working `bwrap` this raises IsolationUnavailable, unless the caller
passes unsafe_exec=True (then the code runs unisolated). docs/components.md says exactly what
is and is not guaranteed.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from ..components.parsing import extract_code
from .isolation import IsolationUnavailable, select
from .isolation.runner import SandboxError, run_job

__all__ = ["IsolationUnavailable", "SandboxError", "arun_tests", "extract_code", "run_tests"]


def run_tests(
    code: str,
    tests: Sequence[str],
    *,
    timeout: float = 5.0,
    memory_mb: int = 512,
    unsafe_exec: bool = False,
) -> list[bool]:
    """Pass/fail of each test (Python assert statements or snippets) against `code`, in order.

    The code runs first (module-level errors do not stop the tests: they then fail on what is
    missing; code that does not finish within `timeout` seconds fails every test); each test
    passes if it runs to its end without raising within `timeout` seconds.
    Raises IsolationUnavailable when no sandbox works here and not `unsafe_exec`.
    """
    return run_job(select(unsafe_exec), code, tests, timeout=timeout, memory_mb=memory_mb)


async def arun_tests(
    code: str,
    tests: Sequence[str],
    *,
    timeout: float = 5.0,
    memory_mb: int = 512,
    unsafe_exec: bool = False,
) -> list[bool]:
    """`run_tests` in a worker thread, for async callers (the executor, the search's scorer)."""
    import anyio

    return await anyio.to_thread.run_sync(
        functools.partial(
            run_tests, code, tests, timeout=timeout, memory_mb=memory_mb, unsafe_exec=unsafe_exec
        )
    )
