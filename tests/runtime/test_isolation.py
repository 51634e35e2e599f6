"""Each attack of issue 9 §1, performed by candidate code in execute mode, fails in the bubblewrap sandbox.

Where it is cheap, the same attack is first shown to work without isolation (the unisolated
backend, what `unsafe_exec=True` falls back to), so a passing test means the sandbox stopped it,
not that the attack code was broken.
"""

import json
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest

from archon_dsl.runtime import isolation
from archon_dsl.runtime.isolation import IsolationUnavailable
from archon_dsl.runtime.isolation.runner import run_job
from archon_dsl.runtime.isolation.unisolated import UnisolatedBackend
from archon_dsl.runtime.sandbox import run_tests

TIMEOUT = 5.0


def sandboxed(code: str, tests: list[str], **options) -> list[bool]:
    return run_tests(textwrap.dedent(code), tests, timeout=options.pop("timeout", TIMEOUT), **options)


def unisolated(code: str, tests: list[str]) -> list[bool]:
    return run_job(UnisolatedBackend(), textwrap.dedent(code), tests, timeout=TIMEOUT, memory_mb=512)


def processes_named(comm: str) -> list[int]:
    """Host pids whose /proc/<pid>/comm is `comm`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == comm:
                    found.append(int(pid))
        except OSError:
            pass
    return found


# -- reading secrets -------------------------------------------------------------------------------

READ_PARENT_ENVIRON = """
import os
LEAKS, READ = [], 0
for pid in [PARENT, os.getppid(), 1] + [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            data = f.read()
    except OSError:
        continue
    READ += 1
    if b"OPENAI_API_KEY=" in data:
        LEAKS.append(pid)
LEAKS += [name for name in os.environ if "KEY" in name]
"""

# The parent must hold the key in its initial environment (what /proc/<pid>/environ shows), so
# the sandbox is started from a child Python that gets the key at exec.
_FROM_A_PARENT_WITH_A_KEY = """
import json, os, sys
from archon_dsl.runtime.isolation.runner import run_job
from archon_dsl.runtime.isolation.unisolated import UnisolatedBackend
from archon_dsl.runtime import isolation
job = json.loads(sys.argv[1])
code = job["code"].replace("PARENT", str(os.getpid()))
backend = UnisolatedBackend() if job["unisolated"] else isolation.select()
print(json.dumps(run_job(backend, code, job["tests"], timeout=5.0, memory_mb=512)))
"""


def from_a_parent_with_a_key(code: str, tests: list[str], unisolated: bool) -> list[bool]:
    key = "sk-h5-fake-" + secrets.token_hex(8)
    env = {**os.environ, "OPENAI_API_KEY": key}
    job = json.dumps({"code": textwrap.dedent(code), "tests": tests, "unisolated": unisolated})
    done = subprocess.run(
        [sys.executable, "-c", _FROM_A_PARENT_WITH_A_KEY, job],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_parents_api_key_cannot_be_read_from_proc_environ():
    tests = ["assert LEAKS == []", "assert READ >= 1"]  # READ: the scan ran (its own environ is readable)
    assert from_a_parent_with_a_key(READ_PARENT_ENVIRON, tests, unisolated=True) == [False, True]
    assert from_a_parent_with_a_key(READ_PARENT_ENVIRON, tests, unisolated=False) == [True, True]


def test_etc_shadow_and_ssh_keys_cannot_be_read(tmp_path, monkeypatch):
    ssh = tmp_path / "home" / ".ssh"
    ssh.mkdir(parents=True)
    (ssh / "id_ed25519").write_text("-----BEGIN OPENSSH PRIVATE KEY----- h5 dummy\n")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    code = f"""
    import os
    GOT, TRIED = {{}}, 0
    for path in ["/etc/shadow", "/etc/passwd", {str(ssh / "id_ed25519")!r}, {str(ssh)!r}, "/root/.ssh",
                 os.path.expanduser("~/.ssh")]:
        TRIED += 1
        try:
            GOT[path] = os.listdir(path) if os.path.isdir(path) else open(path).read()
        except OSError:
            pass
    """
    tests = ["assert GOT == {}", "assert TRIED == 6"]
    assert unisolated(code, tests) == [False, True]  # the dummy key at least is readable unisolated
    assert sandboxed(code, tests) == [True, True]


# -- the parent's cache ----------------------------------------------------------------------------

# The attack finds the cache by its file name through every process's /proc/<pid>/fd. Unisolated it
# really writes, so the name is unique to the test: matching any "cache.sqlite" rewrote the live cache of
# whatever else this user was running (an `archonc search` of the docs-commands test, twice: "database
# disk image is malformed", with these very bytes at offset 100).
POISON_CACHE = """
import os
POISONED = 0
for pid in [PARENT, os.getppid(), 1] + [p for p in os.listdir("/proc") if p.isdigit()]:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        continue
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").endswith(NAME):
                with open(f"/proc/{pid}/fd/{fd}", "r+b") as f:
                    f.seek(100)
                    f.write(b"POISONED BY SANDBOX")
                POISONED += 1
        except OSError:
            pass
try:
    with open(PATH, "r+b") as f:
        f.seek(100)
        f.write(b"POISONED BY SANDBOX")
    POISONED += 1
except OSError:
    pass
"""


def held_cache(path):
    """A cache file held open with one row, as the executor holds its cache."""
    cache = sqlite3.connect(path)
    cache.execute("CREATE TABLE replies (key TEXT PRIMARY KEY, text TEXT)")
    cache.execute("INSERT INTO replies VALUES ('k', 'the real reply')")
    cache.commit()
    return cache


def poison_cache_code(path) -> str:
    return f"PARENT, NAME, PATH = {os.getpid()}, {path.name!r}, {str(path)!r}\n" + POISON_CACHE


def test_the_parents_cache_cannot_be_found_and_rewritten_through_proc_fd(tmp_path):
    path = tmp_path / f"cache-{secrets.token_hex(8)}.sqlite"
    cache = held_cache(path)
    original = path.read_bytes()
    code = poison_cache_code(path)
    try:
        assert sandboxed(code, ["assert POISONED == 0"]) == [True]
        assert path.read_bytes() == original
        assert cache.execute("SELECT text FROM replies").fetchall() == [("the real reply",)]
        assert unisolated(code, ["assert POISONED == 0"]) == [False]  # the same code does it unisolated
        assert b"POISONED BY SANDBOX" in path.read_bytes()
    finally:
        cache.close()


def test_the_unisolated_cache_attack_leaves_every_other_cache_alone(tmp_path):
    """The sequence that corrupted a live cache: a project cache open (in any process) while the attack runs."""
    from archon_dsl.runtime.cache import Cache, CachedReply

    path = tmp_path / "project" / ".archon" / "cache.sqlite"  # the name every project's cache has
    with Cache(path) as earlier_run:
        earlier_run.put("ab" * 32, CachedReply("a cached reply", "m", 1, 2, None))
    bystander = Cache(path)  # open over a checkpointed file, as the next `archonc search` holds it
    target = tmp_path / f"cache-{secrets.token_hex(8)}.sqlite"
    held = held_cache(target)
    try:
        assert unisolated(poison_cache_code(target), ["assert POISONED == 0"]) == [False]  # it did strike
        assert b"POISONED BY SANDBOX" in target.read_bytes()
        check = sqlite3.connect(bystander.path)
        try:
            assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            check.close()
        assert bystander.get("ab" * 32).text == "a cached reply"
    finally:
        held.close()
        bystander.close()


# -- the network -----------------------------------------------------------------------------------


def test_joining_the_parents_network_namespace_and_sending_to_loopback_fails():
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.setblocking(False)
    port = listener.getsockname()[1]
    code = f"""
    import ctypes, os, socket
    CLONE_NEWNET = 0x40000000
    libc = ctypes.CDLL(None, use_errno=True)
    JOINED, OPENED = 0, 0
    for pid in [{os.getpid()}, os.getppid(), 1]:
        try:
            fd = os.open(f"/proc/{{pid}}/ns/net", os.O_RDONLY)
        except OSError:
            continue
        OPENED += 1
        if libc.setns(fd, CLONE_NEWNET) == 0:
            JOINED += 1
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.sendto(b"EXFILTRATED", ("127.0.0.1", {port}))
        except OSError:
            pass
    try:
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"EXFILTRATED", ("127.0.0.1", {port}))
    except OSError:
        pass
    """
    try:
        assert sandboxed(code, ["assert JOINED == 0"]) == [True]
        time.sleep(0.2)
        with pytest.raises(BlockingIOError):
            listener.recv(100)  # nothing arrived
        assert unisolated(code, ["assert JOINED == 0"]) == [False]
        time.sleep(0.2)
        assert listener.recv(100) == b"EXFILTRATED"  # the same code reaches the listener unisolated
    finally:
        listener.close()


# -- processes -------------------------------------------------------------------------------------

FORK_300 = """
    import posix, time
    FORKED, ERROR = 0, None
    for _ in range(300):
        try:
            pid = posix.fork()
        except OSError as e:
            ERROR = e.errno
            break
        if pid == 0:
            with open("/proc/self/comm", "w") as f:
                f.write(MARK)
            time.sleep(60)
            posix._exit(0)
        FORKED += 1
"""


def test_a_fork_bomb_through_posix_fork_is_bounded_and_leaves_nothing():
    mark = "h5bomb" + secrets.token_hex(4)
    code = f"MARK = {mark!r}\n" + textwrap.dedent(FORK_300)
    tests = ["assert FORKED < 300", "import errno; assert ERROR == errno.EAGAIN", "assert FORKED >= 5"]
    assert sandboxed(code, tests) == [True, True, True]  # forks work, up to the limit, then EAGAIN
    assert processes_named(mark) == []


def test_a_double_forked_setsid_process_does_not_survive_the_step():
    mark = "h5esc" + secrets.token_hex(4)
    code = f"""
    import os, time
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            with open("/proc/self/comm", "w") as f:
                f.write({mark!r})
            os.write(w, b"up")
            time.sleep(120)
        os._exit(0)
    os.waitpid(pid, 0)
    UP = os.read(r, 2) == b"up"
    """
    assert sandboxed(code, ["assert UP"]) == [True]  # it was running during the step
    assert processes_named(mark) == []
    assert unisolated(code, ["assert UP"]) == [True]
    survivors = processes_named(mark)
    try:
        assert survivors  # unisolated, it outlives the step: the check above can see one
    finally:
        for pid in survivors:
            os.kill(pid, 9)


# -- forging the verdict ---------------------------------------------------------------------------

FORGERIES = {
    "rebind the harness through __main__": """
        import __main__
        __main__.step = lambda *a, **k: True
        __main__._worker = __main__._supervisor = lambda *a, **k: None
    """,
    "patch builtins the harness uses": """
        import builtins
        builtins.exec = lambda *a, **k: None
        builtins.compile = lambda *a, **k: None
    """,
    "write a pass to every descriptor and exit 0": """
        import os
        for fd in range(256):
            try:
                os.write(fd, b"1")
            except OSError:
                pass
        os._exit(0)
    """,
    "print verdict lines": """
        for i in range(1, 4):
            print(f"0 {i} 1")
            print(f"{'0' * 32} {i} 1")
    """,
    "kill the supervisor": """
        import os, signal
        for pid in [os.getppid(), 1, 2]:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    """,
}


@pytest.mark.parametrize("how", list(FORGERIES))
def test_a_candidate_cannot_forge_a_pass(how):
    assert sandboxed(FORGERIES[how], ["assert False", "assert False"]) == [False, False]


def test_the_harness_still_judges_honestly_after_the_patches():
    code = FORGERIES["rebind the harness through __main__"] + FORGERIES["patch builtins the harness uses"]
    assert sandboxed(code, ["assert 1 + 1 == 2", "assert 1 + 1 == 3"]) == [True, False]


# -- honest code, failures, timeouts ---------------------------------------------------------------


def test_honest_code_passes_failing_code_fails_and_timeouts_fail():
    code = "def square(x):\n    return x * x\n"
    assert sandboxed(
        code,
        [
            "assert square(3) == 9",
            "assert square(3) == 10",
            "while True: pass",
            "import time; time.sleep(30)",
            "assert square(-2) == 4",
        ],
        timeout=0.5,
    ) == [True, False, False, False, True]
    assert sandboxed("while True: pass", ["assert True"], timeout=0.5) == [
        True
    ]  # the loop is cut, the test runs
    stubborn = "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True: pass\n"
    assert sandboxed(stubborn, ["assert True"], timeout=0.5) == [
        False
    ]  # the import never ends: every test fails


# -- no backend ------------------------------------------------------------------------------------


@pytest.fixture
def without_bwrap(monkeypatch):
    from archon_dsl.runtime.isolation import bwrap

    isolation.bwrap_status.cache_clear()
    monkeypatch.setattr(bwrap, "find_bwrap", lambda: None)
    yield
    isolation.bwrap_status.cache_clear()


def test_without_bwrap_execute_mode_refuses_and_names_what_to_install(without_bwrap):
    with pytest.raises(IsolationUnavailable) as caught:
        run_tests("x = 1", ["assert x == 1"])
    assert "bwrap" in str(caught.value) and "apt-get install bubblewrap" in caught.value.diagnostics[0].hint
    assert run_tests("x = 1", ["assert x == 1", "assert x == 2"], unsafe_exec=True) == [True, False]


def test_a_bwrap_that_fails_its_self_test_is_refused(monkeypatch):
    from archon_dsl.runtime.isolation import bwrap

    isolation.bwrap_status.cache_clear()
    monkeypatch.setattr(bwrap, "find_bwrap", lambda: "/bin/false")
    try:
        with pytest.raises(IsolationUnavailable, match="self-test"):
            isolation.select()
    finally:
        isolation.bwrap_status.cache_clear()


EXECUTE = """
layer generator { model = "openai/gpt-4o-mini"; samples = 2 }
layer unit_test_generator { model = "openai/gpt-4o"; count = 2 }
layer unit_test_evaluator { model = "openai/gpt-4o"; top_k = 1; mode = "execute" }
"""


def test_run_refuses_before_any_call_and_unsafe_exec_runs_anyway(without_bwrap):
    from archon_dsl.api import run_dataset
    from archon_dsl.datasets import load_dataset

    row = load_dataset("python_functions")[0]
    with pytest.raises(IsolationUnavailable):
        run_dataset(EXECUTE, [row], sim=True, cache=False)
    [result] = run_dataset(EXECUTE, [row], sim=True, cache=False, unsafe_exec=True)
    assert result.error is None and not result.degradations


# -- started by an unprivileged user ---------------------------------------------------------------

_AS_ANOTHER_USER = """
import json, sys
sys.path.insert(0, sys.argv[1])
from isolation.bwrap import BwrapBackend
from isolation.runner import run_job
backend = BwrapBackend("BWRAP")
assert not backend.root
print(json.dumps([run_job(backend, code, tests, timeout=5.0, memory_mb=256) for code, tests in json.loads(sys.argv[2])]))
"""


@pytest.mark.skipif(
    os.geteuid() != 0 or not os.path.exists("/usr/bin/python3") or not shutil.which("setpriv"),
    reason="needs root (to become another user), setpriv and a system python3 that user can read",
)
def test_started_by_an_unprivileged_user_the_sandbox_holds_too():
    """bwrap then makes a user namespace; workers share the supervisor's uid, so it must keep them out."""
    import archon_dsl.runtime.isolation as package

    where = tempfile.mkdtemp(prefix="archon-h5-")
    try:
        os.chmod(where, 0o755)
        shutil.copytree(
            os.path.dirname(package.__file__),
            os.path.join(where, "isolation"),
            ignore=shutil.ignore_patterns("__init__.py", "__pycache__"),
        )
        open(os.path.join(where, "isolation", "__init__.py"), "w").close()
        for root, dirs, files in os.walk(where):
            for name in dirs + files:
                os.chmod(os.path.join(root, name), 0o755)
        steal = (
            "import os\nGOT = []\nfor what in ('fd/1', 'mem', 'environ'):\n    try:\n"
            "        open(f'/proc/{os.getppid()}/{what}', 'rb').close()\n        GOT.append(what)\n"
            "    except OSError:\n        pass\n"
        )
        jobs = [
            ["x = 1", ["assert x == 1", "assert x == 2"]],
            [
                "MARK = 'h5bomb'\n" + textwrap.dedent(FORK_300),
                ["assert FORKED < 300", "import errno; assert ERROR == errno.EAGAIN"],
            ],
            [
                steal,
                ["assert GOT == []"],
            ],  # the supervisor's descriptors and memory (the nonce) are out of reach
            [FORGERIES["write a pass to every descriptor and exit 0"], ["assert False"]],
        ]
        script = _AS_ANOTHER_USER.replace("BWRAP", shutil.which("bwrap"))
        done = subprocess.run(
            [
                "setpriv",
                "--reuid",
                "65534",
                "--regid",
                "65534",
                "--clear-groups",
                "/usr/bin/python3",
                "-c",
                script,
                where,
                json.dumps(jobs),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=where,
            env={},
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == [[True, False], [True, True], [True], [False]]
    finally:
        shutil.rmtree(where, ignore_errors=True)


def test_search_with_the_code_scorer_refuses_before_the_first_trial_and_unsafe_exec_runs(
    without_bwrap, tmp_path
):
    from archon_dsl.api import search
    from archon_dsl.datasets import load_dataset

    template = tmp_path / "t.arch"
    template.write_text(
        'param n: int = 1 in 1..2\nlayer generator { model = "openai/gpt-4o-mini"; samples = n }\n'
    )
    rows = list(load_dataset("python_functions"))[:2]
    with pytest.raises(IsolationUnavailable):
        search(template, rows, "code", strategy="random", trials=1, sim=True, cache=False, split=0.0)
    result = search(
        template,
        rows,
        "code",
        strategy="random",
        trials=1,
        sim=True,
        cache=False,
        split=0.0,
        unsafe_exec=True,
    )
    assert result.best is not None


def test_at_the_wall_clock_limit_the_whole_sandbox_is_killed():
    """The host's last resort (a hung supervisor): killing bwrap's process group ends every process inside."""
    from archon_dsl.runtime.isolation.runner import _communicate

    backend = isolation.select()
    mark = "h5wall" + secrets.token_hex(4)
    hang = textwrap.dedent(f"""
        import os, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                with open("/proc/self/comm", "w") as f:
                    f.write({mark!r})
            time.sleep(600)
        time.sleep(600)
    """)
    python = os.path.realpath(sys.executable)
    out, err, finished = _communicate(backend.command(python, hang), b"", 1.5, None)
    assert not finished
    time.sleep(0.5)  # the kernel tears the PID namespace down after its init dies
    assert processes_named(mark) == []
    _communicate(UnisolatedBackend().command(python, hang), b"", 1.5, None)
    survivors = processes_named(mark)
    try:
        assert survivors  # unisolated, the setsid process escapes the process group: the check can see one
    finally:
        for pid in survivors:
            os.kill(pid, 9)
