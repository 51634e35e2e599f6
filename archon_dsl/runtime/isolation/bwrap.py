"""The bubblewrap backend: new PID, mount, network, IPC and UTS namespaces; only the interpreter is visible.

Inside: a read-only bind of the interpreter binary, its shared library and its standard library
(its own site-packages hidden), of /usr/lib* and /lib*; a private /proc of the new PID namespace;
a minimal /dev with a small /dev/shm; a size-limited tmpfs at /tmp as the working directory; no
environment variables.
Nothing else of the host exists there: no /etc, no home directories, no /proc of host processes,
no network but a loopback device of its own.

Started as root, bwrap makes no user namespace (one made by root maps uid 0 inside to uid 0
outside, where the kernel does not apply RLIMIT_NPROC) and leaves the supervisor only
CAP_SETUID/SETGID/KILL/CHOWN; the supervisor runs every worker as a random unprivileged uid, so
the process limit binds and the workers hold no capability. Started as another user, bwrap makes
a user namespace (--unshare-all); RLIMIT_NPROC then counts the processes of that namespace.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import sysconfig

TMPFS_BYTES = 64 * 2**20  # the work dir lives in memory: this bounds what the code can write
SHM_BYTES = 16 * 2**20
NPROC = 32  # processes and threads a worker may have at once (itself included)
# Workers run as a uid from this range, chosen per run: no host user has one, and concurrent
# sandboxes do not share a process count.
UID_RANGE = (0x10000000, 0x20000000)
ROOT_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN")


def find_bwrap() -> str | None:
    return shutil.which("bwrap")


def interpreter_binds() -> tuple[list[str], list[str]]:
    """(paths to bind read-only at the same place, directories to hide under an empty tmpfs)."""
    binds = [os.path.realpath(sys.executable), os.path.realpath(os.path.dirname(os.__file__))]
    dynload = sysconfig.get_config_var("DESTSHARED")
    if dynload and os.path.isdir(dynload):
        binds.append(os.path.realpath(dynload))
    libdir, soname = sysconfig.get_config_var("LIBDIR"), sysconfig.get_config_var("INSTSONAME")
    if sysconfig.get_config_var("Py_ENABLE_SHARED") and libdir and soname:
        library = os.path.join(libdir, soname)
        if os.path.exists(library):
            binds.append(library)  # the binary finds it by this path (its RUNPATH), so bind it here too
            binds.append(os.path.realpath(library))
    hidden = [os.path.join(path, name) for path in binds[1:2] for name in ("site-packages", "dist-packages")]
    hidden.append(f"/usr/lib/python{sys.version_info.major}/dist-packages")
    return list(dict.fromkeys(binds)), [h for h in hidden if os.path.isdir(h)]


def system_library_args() -> list[str]:
    args = []
    for path in ("/usr/lib", "/usr/lib64", "/usr/lib32"):
        if os.path.isdir(path) and not os.path.islink(path):
            args += ["--ro-bind", path, path]
    for path in ("/lib", "/lib64", "/lib32", "/libx32"):
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def _parents(mounts: list[str]) -> list[str]:
    """The directories above the mount points, outermost first, skipping those inside another mount."""
    parents: list[str] = []
    for mount in mounts:
        path = os.path.dirname(mount)
        chain = []
        while path not in ("/", ""):
            chain.append(path)
            path = os.path.dirname(path)
        parents += [p for p in reversed(chain) if not any(p == m or p.startswith(m + "/") for m in mounts)]
    return list(dict.fromkeys(parents))


class BwrapBackend:
    """Runs the supervisor under `bwrap`; see the module docstring for what the sandbox holds."""

    name = "bwrap"
    own_namespace = True
    needs_workdir = False

    def __init__(self, bwrap: str):
        self.bwrap = bwrap
        self.root = os.geteuid() == 0

    def command(self, python: str, source: str) -> list[str]:
        binds, hidden = interpreter_binds()
        args = [self.bwrap]
        if self.root:
            args += [
                "--unshare-pid",
                "--unshare-net",
                "--unshare-ipc",
                "--unshare-uts",
                "--unshare-cgroup-try",
                "--cap-drop",
                "ALL",
            ]
            for cap in ROOT_CAPS:
                args += ["--cap-add", cap]
        else:
            args += ["--unshare-all"]
        args += ["--die-with-parent", "--new-session", "--clearenv", "--hostname", "sandbox"]
        libraries = system_library_args()
        # `--ro-bind source target`: a mount point is the word two after its flag.
        mounts = [a for flag, a in zip(libraries, libraries[2:], strict=False) if flag == "--ro-bind"] + binds
        # bwrap makes missing parents of a mount point mode 0700 (root's); the workers must traverse them.
        for parent in _parents(mounts):
            args += ["--perms", "0755", "--dir", parent]
        args += libraries
        for path in binds:
            args += ["--ro-bind", path, path]
        for path in hidden:
            args += ["--tmpfs", path]
        args += [
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            str(TMPFS_BYTES),
            "--tmpfs",
            "/tmp",
            "--chdir",
            "/tmp",
        ]
        # multiprocessing's locks and queues live in /dev/shm: writable by the workers, and small.
        args += ["--perms", "1777", "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm"]
        return args + ["--", python, "-I", "-S", "-c", source]

    def job_options(self) -> dict:
        uid = UID_RANGE[0] + secrets.randbelow(UID_RANGE[1] - UID_RANGE[0]) if self.root else None
        return {"uid": uid, "nproc": NPROC}
