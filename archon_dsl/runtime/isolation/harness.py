"""The test harness that runs inside the sandbox: a supervisor that never runs candidate code, and workers that do.

This file is not imported by archon_dsl: its text is handed to `python -I -S -c` inside the
sandbox, so it uses the standard library only. Run with the argument `worker` it is a worker;
without, the supervisor.

Supervisor (reads its job as JSON on stdin, writes "<nonce> <test> <0|1>" lines to stdout):
  * holds the per-run nonce; no worker ever sees it, so candidate code cannot write a verdict
    line the host accepts;
  * first runs the code alone in a worker (the "import"); if that does not finish in time,
    every test fails without running;
  * then runs each test in a fresh worker (a new interpreter: nothing of the supervisor's
    memory is copied into it) that runs the code and then that one test, with rlimits on
    address space, CPU seconds, file size, core files and processes;
  * when it starts as root (the bwrap backend), each worker runs as the job's unprivileged uid,
    so RLIMIT_NPROC binds (the kernel does not apply it to uid 0) and no worker can signal,
    trace or read the supervisor;
  * after each worker, kills every process it can signal (`kill(-1)`): in the sandbox's own
    PID namespace these are exactly the strays of that worker, double-forked or not.

Worker (reads {"code", "test", "timeout", "verdict_fd", "token"} on stdin): runs the code in a
fresh namespace, then the test, each under a SIGALRM timer; writes the test's one-time token to
the verdict pipe if the test ran to its end without raising. The supervisor accepts exactly that
token from a worker that exited 0, so writing to every descriptor, exiting early or crashing
fails the test. The harness's own functions are locals, so rebinding names in `__main__` or
`builtins` does not change what the harness calls. (The token is in the worker's memory: code
that searches the harness's stack frames for it can still forge a pass; see docs/components.md.)
"""


def _worker():
    import builtins
    import json
    import os
    import signal
    import sys
    import types

    job = json.loads(sys.stdin.buffer.read())
    verdict_fd, timeout, token = job["verdict_fd"], job["timeout"], job["token"].encode()
    code, test = job["code"], job.get("test")
    del job
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    compile_, exec_, write, exit_ = compile, exec, os.write, os._exit
    setitimer, itimer = signal.setitimer, signal.ITIMER_REAL

    class StepTimeout(BaseException):
        pass

    def alarm(signum, frame):
        raise StepTimeout()

    signal.signal(signal.SIGALRM, alarm)

    def step(source, name, namespace):
        try:
            setitimer(itimer, timeout)
            try:
                exec_(compile_(source, name, "exec"), namespace)
                return True
            finally:
                setitimer(itimer, 0)
        except BaseException:
            return False

    # A real module, so what the code defines pickles by name (multiprocessing pools need that).
    module = types.ModuleType("solution")
    sys.modules["solution"] = module
    namespace = module.__dict__
    namespace["__builtins__"] = builtins
    code_ok = step(code, "<candidate>", namespace)
    ok = code_ok if test is None else step(test, "<test>", namespace)
    if ok:
        write(verdict_fd, token)
    exit_(0)


def _supervisor():
    import json
    import os
    import resource
    import secrets
    import select
    import signal
    import subprocess
    import sys

    try:  # not dumpable: a worker of the same uid (no root to start from) cannot read our memory or fds
        import ctypes

        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except Exception:
        pass
    job = json.loads(sys.stdin.buffer.read())
    out = os.fdopen(os.dup(1), "w", buffering=1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(null, fd)
    nonce, timeout, tests = job["nonce"], float(job["timeout"]), job["tests"]
    uid = job["uid"] if os.geteuid() == 0 and job["uid"] is not None else None
    workdir = os.getcwd()
    if uid is not None:
        os.chown(workdir, uid, uid)
    limits = [
        (resource.RLIMIT_AS, job["memory"]),
        (resource.RLIMIT_CPU, job["cpu"]),
        (resource.RLIMIT_FSIZE, job["fsize"]),
        (resource.RLIMIT_CORE, 0),
    ]
    if job["nproc"] is not None:
        limits.append((resource.RLIMIT_NPROC, job["nproc"]))

    def lock_down():
        for limit, value in limits:
            try:
                resource.setrlimit(limit, (value, value))
            except (ValueError, OSError):
                pass
        if uid is not None:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)

    def kill_strays():
        # Only in the sandbox's own PID namespace: outside one, kill(-1) would reach the host's processes.
        if job["own_namespace"]:
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass

    def wait(proc, budget):
        """The worker's exit status, or None if it still runs after `budget` seconds.

        A pidfd wakes us the moment it exits; Popen.wait(timeout) polls with sleeps of up to
        50 ms, which was most of the cost of a short test.
        """
        try:
            pidfd = os.pidfd_open(proc.pid)
        except (AttributeError, OSError):
            pidfd = None
        if pidfd is not None:
            try:
                select.select([pidfd], [], [], budget)
            finally:
                os.close(pidfd)
        try:
            return proc.wait(timeout=0 if pidfd is not None else budget)
        except subprocess.TimeoutExpired:
            return None

    def run(test, budget):
        """True if a worker ran the code and then `test` (None: the code only) to their end."""
        read_end, write_end = os.pipe()
        try:
            proc = subprocess.Popen(
                [job["python"], "-I", "-S", "-c", job["source"], "worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(write_end,),
                preexec_fn=lock_down,
                cwd=workdir,
                env={},
                start_new_session=not job["own_namespace"],
            )
        finally:
            os.close(write_end)
        try:
            token = secrets.token_hex(16)
            payload = {
                "code": job["code"],
                "test": test,
                "timeout": timeout,
                "verdict_fd": write_end,
                "token": token,
            }
            assert proc.stdin is not None  # started with stdin=PIPE
            try:
                proc.stdin.write(json.dumps(payload).encode())
                proc.stdin.close()
            except OSError:
                pass
            status = wait(proc, budget)
            if not job["own_namespace"]:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    pass
            kill_strays()
            proc.kill()
            proc.wait()
            os.set_blocking(read_end, False)
            try:
                verdict = os.read(read_end, 64)
            except BlockingIOError:
                verdict = b""
            return status == 0 and verdict == token.encode(), status is None
        finally:
            os.close(read_end)

    startup = float(job["startup"])
    _, import_timed_out = run(None, timeout + startup)
    for index, test in enumerate(tests, 1):
        passed = False if import_timed_out else run(test, 2 * timeout + startup)[0]
        out.write(f"{nonce} {index} {int(passed)}\n")
    out.write(f"{nonce} done\n")
    out.close()


if __name__ == "__main__":
    import sys as _sys

    _worker() if _sys.argv[1:] == ["worker"] else _supervisor()
