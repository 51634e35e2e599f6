"""Runs one job (code and its tests) through the harness on a backend and reads back the verdicts."""

from __future__ import annotations

import functools
import json
import math
import os
import secrets
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

FILE_SIZE_LIMIT = 16 * 2**20
STARTUP_ALLOWANCE = 2.0  # seconds of wall clock for an interpreter to start, beyond each step's timeout


class SandboxError(RuntimeError):
    """The sandbox itself could not run (not: the code failed its tests)."""


@functools.lru_cache(maxsize=1)
def harness_source() -> str:
    return (Path(__file__).parent / "harness.py").read_text(encoding="utf-8")


def run_job(backend, code: str, tests: Sequence[str], *, timeout: float, memory_mb: int) -> list[bool]:
    """Pass/fail of each test against `code` on `backend`; a test without a verdict (timeout, crash) fails."""
    tests = [str(t) for t in tests]
    if not tests:
        return []
    nonce = secrets.token_hex(16)
    python = os.path.realpath(sys.executable)
    job = {
        "nonce": nonce,
        "code": code,
        "tests": tests,
        "timeout": float(timeout),
        "python": python,
        "source": harness_source(),
        "memory": int(memory_mb) * 2**20,
        "fsize": FILE_SIZE_LIMIT,
        "cpu": int(math.ceil(2 * timeout)) + 1,
        "startup": STARTUP_ALLOWANCE,
        "own_namespace": backend.own_namespace,
        **backend.job_options(),
    }
    # The supervisor gives the import timeout + startup, then each test 2 x timeout + startup.
    wall = STARTUP_ALLOWANCE + (timeout + STARTUP_ALLOWANCE) + len(tests) * (2 * timeout + STARTUP_ALLOWANCE)
    workdir = tempfile.TemporaryDirectory(prefix="archon-sandbox-") if backend.needs_workdir else None
    try:
        out, err, finished = _communicate(
            backend.command(python, job["source"]),
            json.dumps(job).encode(),
            wall,
            workdir.name if workdir else None,
        )
    finally:
        if workdir is not None:
            workdir.cleanup()
    verdicts: dict[int, bool] = {}
    done = False
    for line in out.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == nonce and parts[1] == "done":
            done = True
        elif (
            len(parts) == 3 and parts[0] == nonce and parts[1].isdigit() and 1 <= int(parts[1]) <= len(tests)
        ):
            verdicts.setdefault(int(parts[1]), parts[2] == "1")
    if not verdicts and finished and not done:
        detail = err.decode("utf-8", "replace").strip().splitlines()
        raise SandboxError(f"the {backend.name} sandbox did not run: {detail[-1] if detail else 'no output'}")
    return [verdicts.get(i, False) for i in range(1, len(tests) + 1)]


def _communicate(argv: list[str], job: bytes, wall: float, cwd: str | None) -> tuple[bytes, bytes, bool]:
    """(stdout, stderr, exited on its own) of `argv` fed `job`; killed with its process group after `wall` s."""
    try:
        # No environment: the host's (API keys included) never enters the sandbox, not even bwrap's memory.
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env={},
            start_new_session=True,
        )
    except OSError as e:
        raise SandboxError(f"cannot start {argv[0]}: {e}") from e
    finished = True
    try:
        out, err = proc.communicate(job, timeout=wall)
    except subprocess.TimeoutExpired:
        finished = False
        _kill_group(proc)
        try:
            out, err = proc.communicate(timeout=2.0)
        except subprocess.TimeoutExpired:  # something outside the group still holds the pipes
            out, err = b"", b""
    finally:
        _kill_group(proc)
        proc.wait()
    return out, err, finished


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
