"""Isolation backends for the code execute mode runs: bubblewrap, or none at all only when the user asks.

`select(unsafe_exec)` returns the backend to use: bubblewrap (`bwrap` on PATH, passing its
self-test), else, only with `unsafe_exec=True`, running the code unisolated; otherwise it
raises `IsolationUnavailable`, naming what to install. `runner.run_job` runs a job on a backend.
"""

from __future__ import annotations

import functools
from typing import Protocol

from ...diagnostics import ArchonError, Diagnostic, Severity

INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`; Fedora: `dnf install bubblewrap`), "
    "or pass unsafe_exec=True (CLI: --unsafe-exec) to run generated code on this machine without isolation"
)

__all__ = ["Backend", "IsolationUnavailable", "INSTALL_HINT", "bwrap_status", "require_for", "select"]


class Backend(Protocol):
    """How to start the harness's supervisor (harness.py) for one job."""

    name: str
    own_namespace: (
        bool  # the supervisor runs in a PID namespace of its own (kill(-1) reaches only the sandbox)
    )
    needs_workdir: bool  # the command runs in a host directory the caller creates and deletes

    def command(self, python: str, source: str) -> list[str]:
        """The argv that runs `python -I -S -c source` (the supervisor) under this backend."""

    def job_options(self) -> dict:
        """Job fields this backend decides: the workers' uid, RLIMIT_NPROC (None: not applied)."""


class IsolationUnavailable(ArchonError):
    """Execute mode cannot run: no isolation backend works here and unsafe_exec was not given."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(
            [
                Diagnostic(
                    "E040",
                    "no-sandbox",
                    Severity.ERROR,
                    f'mode = "execute" runs generated code, and no sandbox is available to run it in: {reason}',
                    hint=INSTALL_HINT,
                )
            ]
        )


@functools.lru_cache(maxsize=1)
def bwrap_status() -> tuple[Backend | None, str]:
    """The bubblewrap backend if it is on PATH and passes its self-test, else (None, why not); checked once."""
    from .bwrap import BwrapBackend, find_bwrap
    from .runner import SandboxError, run_job

    path = find_bwrap()
    if path is None:
        return None, "bubblewrap (`bwrap`) is not on PATH"
    backend = BwrapBackend(path)
    try:
        verdicts = run_job(backend, "x = 1", ["assert x == 1", "assert x == 2"], timeout=10.0, memory_mb=256)
    except SandboxError as e:
        return None, f"{path} failed its self-test: {e}"
    if verdicts != [True, False]:
        return None, f"{path} failed its self-test: expected [True, False] from two tests, got {verdicts}"
    return backend, ""


def select(unsafe_exec: bool = False) -> Backend:
    """The backend to run untrusted code with; raises IsolationUnavailable when none works and not unsafe_exec."""
    backend, reason = bwrap_status()
    if backend is not None:
        return backend
    if unsafe_exec:
        from .unisolated import UnisolatedBackend

        return UnisolatedBackend()
    raise IsolationUnavailable(reason)


def require_for(arch, unsafe_exec: bool = False) -> None:
    """Raise IsolationUnavailable now if `arch` executes generated code and no sandbox works (not unsafe_exec)."""
    if any(layer.kind == "unit_test_evaluator" and layer.mode == "execute" for layer in arch.layers):
        select(unsafe_exec)
