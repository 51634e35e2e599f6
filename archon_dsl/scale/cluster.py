"""Joining a Ray cluster (or starting a local one), and the driver-node placement the services need."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from ..diagnostics import ArchonError, Diagnostic, Severity


@dataclass
class Cluster:
    """The Ray cluster a run uses: its worker CPUs, and whether this process started or joined it."""

    workers: int
    started: bool

    def close(self) -> None:
        """Nothing: the connection stays for the next run of this process (an eval's next architecture,
        a search's next trial); Ray leaves the cluster, and stops a local instance, when the process exits."""


def ray_module() -> Any:
    """Ray, or ModuleNotFoundError naming the extra to install (the CLI prints it in one line)."""
    try:
        import ray
    except ModuleNotFoundError as e:
        from ..extras import install_message

        raise ModuleNotFoundError(install_message("ray", "--ray"), name=e.name) from None
    return ray


def connect(address: str | None = None, *, num_cpus: int | None = None) -> Cluster:
    """Join the cluster at `address` ("auto", "HOST:PORT", "ray://HOST:10001"), or start a local one.

    A process already connected (a test's fixture, a notebook) is used as it is. A local instance
    gets `num_cpus` CPUs (default: the machine's), no dashboard, and Ray's logging at WARNING.
    """
    ray = ray_module()
    if ray.is_initialized():
        return Cluster(_worker_cpus(ray), started=False)
    options: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
    if address is not None:
        _probe(address)  # Ray itself retries an address that does not answer for minutes
    try:
        if address is None:
            ray.init(
                address="local",
                num_cpus=num_cpus or os.cpu_count() or 1,
                include_dashboard=False,
                **options,
            )
        else:
            ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as e:
        why = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise _unreachable(address, why) from None
    return Cluster(_worker_cpus(ray), started=True)


PROBE_TIMEOUT = 5.0  # seconds to wait for a head node's port before saying it does not answer


def _probe(address: str) -> None:
    """Fail fast (E041) when a HOST:PORT address does not accept a connection; other forms go to Ray."""
    import socket

    host, sep, port = address.rpartition(":")
    if not sep or "://" in address or not port.isdigit():
        return  # "auto", "ray://...": Ray resolves them
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=PROBE_TIMEOUT).close()
    except OSError as e:
        raise _unreachable(address, e.strerror or str(e) or "no answer") from None


def _unreachable(address: str | None, why: str) -> ArchonError:
    return ArchonError(
        [
            Diagnostic(
                "E041",
                "ray-unreachable",
                Severity.ERROR,
                f"cannot join the Ray cluster at {address or 'a new local instance'}: {why}",
                None,
                None,
                "start the head node with `ray start --head` and give its address (HOST:6379), "
                "or give --ray with no address for a local instance",
            )
        ]
    )


def _worker_cpus(ray: Any) -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def on_this_node() -> dict[str, Any]:
    """Actor options that place it on the driver's node (the cache file is the driver's)."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    node = ray.get_runtime_context().get_node_id()
    return {"scheduling_strategy": NodeAffinitySchedulingStrategy(node_id=node, soft=False)}
