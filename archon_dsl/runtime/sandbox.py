"""Runs candidate Python code against assert tests in a locked-down, throwaway subprocess.

One child process per call runs the code, then each test in a fresh copy of the code's namespace,
and reports pass/fail per test. The child runs `python -I -S` with an empty environment, in a new
temporary directory (deleted afterwards), in its own process group, with:

* limits: address space (`memory_mb`), CPU seconds, file size 16 MB, no core files;
* no network: `socket`/`_socket` constructors and resolvers raise; started as root, the child also
  moves into an empty network namespace (where the kernel allows it);
* fewer rights: started as root, the child drops to uid/gid 65534 (nobody) when that user can read
  the interpreter's standard library (not so for an interpreter installed under /root);
* no child processes: os.fork/exec*/spawn*/system/posix_spawn and subprocess raise, and after a
  drop to nobody RLIMIT_NPROC is 0, so a fork bomb from native code fails too;
* time: each step (the code, then each test) gets `timeout` seconds (SIGALRM in the child, so a
  slow test fails and the next one still runs); the whole process gets timeout x steps + 2 s of
  wall clock, after which its process group is killed and unreported tests count as failed.

This contains the accidents of generated code (endless loops, huge allocations, stray network or
process use, files left behind). It is not a boundary against code written to attack the harness.
"""

from __future__ import annotations

import functools
import json
import math
import os
import secrets
import signal
import stat
import subprocess
import sys
import tempfile
from typing import Sequence

from ..components.parsing import extract_code

NOBODY = 65534
FILE_SIZE_LIMIT = 16 * 2**20
STARTUP_ALLOWANCE = 2.0  # seconds of wall clock for the interpreter to start, beyond the steps

__all__ = ["SandboxError", "arun_tests", "extract_code", "run_tests"]


class SandboxError(RuntimeError):
    """The sandbox itself could not run (not: the code failed its tests)."""


# The child: reads its job from stdin, locks itself down, runs the steps, writes "<nonce> <step> <0|1>"
# lines to a private copy of stdout (the code's own prints go to /dev/null).
_RUNNER = r'''
import json, os, resource, signal, sys
job = json.loads(sys.stdin.read())
nonce, timeout = job["nonce"], job["timeout"]
dropped = False
if os.geteuid() == 0:
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).unshare(0x40000000)  # CLONE_NEWNET: an empty network
    except Exception:
        pass
if job["drop"] and os.geteuid() == 0:
    os.setgroups([])
    os.setgid(job["uid"])
    os.setuid(job["uid"])
    dropped = True
for limit, value in (
    (resource.RLIMIT_AS, job["memory"]), (resource.RLIMIT_CPU, job["cpu"]),
    (resource.RLIMIT_FSIZE, job["fsize"]), (resource.RLIMIT_CORE, 0),
) + (((resource.RLIMIT_NPROC, 0),) if dropped else ()):
    try:
        resource.setrlimit(limit, (value, value))
    except (ValueError, OSError):
        pass
import socket, _socket
def _no_network(*args, **kwargs):
    raise OSError("network access is disabled in the sandbox")
for module in (socket, _socket):
    for name in ("socket", "SocketType", "create_connection", "create_server", "socketpair", "fromfd",
                 "getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"):
        if hasattr(module, name):
            setattr(module, name, _no_network)
def _no_processes(*args, **kwargs):
    raise OSError("starting processes is disabled in the sandbox")
for name in dir(os):
    if name in ("fork", "forkpty", "system", "popen", "posix_spawn", "posix_spawnp", "kill", "killpg") \
            or name.startswith(("exec", "spawn")):
        setattr(os, name, _no_processes)
import _posixsubprocess
_posixsubprocess.fork_exec = _no_processes
results = os.dup(1)
null = os.open(os.devnull, os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(null, fd)
class _StepTimeout(BaseException):
    pass
def _alarm(signum, frame):
    raise _StepTimeout()
signal.signal(signal.SIGALRM, _alarm)
def step(source, name, namespace):
    try:
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            exec(compile(source, name, "exec"), namespace)
            return True
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except BaseException:
        return False
def report(index, ok):
    os.write(results, f"{nonce} {index} {int(ok)}\n".encode())
namespace = {"__name__": "solution", "__builtins__": __builtins__}
try:
    report(0, step(job["code"], "<candidate>", namespace))
except BaseException:
    report(0, False)
for i, test in enumerate(job["tests"], 1):
    try:
        report(i, step(test, f"<test {i}>", dict(namespace)))
    except BaseException:
        report(i, False)
'''


def run_tests(code: str, tests: Sequence[str], *, timeout: float = 5.0, memory_mb: int = 512) -> list[bool]:
    """Pass/fail of each test (Python assert statements or snippets) against `code`, in order.

    The code runs first (module-level errors do not stop the tests: they then fail on what is
    missing); each test passes if it runs without raising within `timeout` seconds.
    """
    tests = [str(t) for t in tests]
    if not tests:
        return []
    steps = 1 + len(tests)
    nonce = secrets.token_hex(8)
    drop = _can_drop_privileges()
    job = {
        "code": code, "tests": tests, "nonce": nonce, "timeout": float(timeout), "uid": NOBODY,
        "drop": drop, "memory": int(memory_mb) * 2**20, "fsize": FILE_SIZE_LIMIT,
        "cpu": int(math.ceil(timeout * steps)) + 1,
    }
    with tempfile.TemporaryDirectory(prefix="archon-sandbox-") as workdir:
        if drop:
            os.chown(workdir, NOBODY, NOBODY)
        try:
            proc = subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _RUNNER],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                cwd=workdir, env={}, start_new_session=True,
            )
        except OSError as e:
            raise SandboxError(f"cannot start the sandbox interpreter {sys.executable}: {e}") from e
        try:
            out, _ = proc.communicate(json.dumps(job).encode(), timeout=timeout * steps + STARTUP_ALLOWANCE)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            try:
                out, _ = proc.communicate(timeout=1.0)
            except subprocess.TimeoutExpired:  # a descendant escaped the group and holds the pipe
                out = b""
        finally:
            _kill_group(proc)  # strays the code left running, if any
            proc.wait()
    passed = [False] * steps
    for line in out.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == nonce and parts[1].isdigit() and int(parts[1]) < steps:
            passed[int(parts[1])] = parts[2] == "1"
    return passed[1:]


@functools.lru_cache(maxsize=1)
def _can_drop_privileges() -> bool:
    """Root, with a standard library that uid nobody can read (not so for an interpreter under /root)."""
    if os.geteuid() != 0:
        return False
    import sysconfig

    for key in ("stdlib", "platstdlib"):
        path = os.path.realpath(sysconfig.get_path(key))
        while True:
            mode = os.stat(path).st_mode
            if not mode & stat.S_IXOTH or (path == os.path.realpath(sysconfig.get_path(key)) and not mode & stat.S_IROTH):
                return False
            parent = os.path.dirname(path)
            if parent == path:
                break
            path = parent
    return True


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


async def arun_tests(code: str, tests: Sequence[str], *, timeout: float = 5.0, memory_mb: int = 512) -> list[bool]:
    """`run_tests` in a worker thread, for async callers (the executor, the search's scorer)."""
    import anyio

    return await anyio.to_thread.run_sync(
        functools.partial(run_tests, code, tests, timeout=timeout, memory_mb=memory_mb)
    )
