"""No isolation: the harness runs as the calling user, only with rlimits and timeouts. Used only with unsafe_exec=True.

Generated code run this way can read and write whatever the user can (files, keys in the
environment of other processes, the cache), use the network, and leave processes behind when
it escapes the process group. It is here for machines without bubblewrap, on code you trust.
"""

from __future__ import annotations


class UnisolatedBackend:
    """Runs the supervisor as a plain subprocess in a temporary directory."""

    name = "unisolated"
    own_namespace = False
    needs_workdir = True

    def command(self, python: str, source: str) -> list[str]:
        return [python, "-I", "-S", "-c", source]

    def job_options(self) -> dict:
        # RLIMIT_NPROC counts every process of the user (and root is exempt): it cannot bound only the code here.
        return {"uid": None, "nproc": None}
