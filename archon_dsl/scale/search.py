"""Search trials on Ray: each configuration's rows run as Ray tasks, several configurations at once.

`RayEvaluator` is the search's executor evaluator (itas/evaluate.py) with its runs moved to the
cluster: a trial's rows are sharded over the workers (archon_dsl.scale.runner), all trials share
one cache actor and one limiter, and the answers are scored here, on the driver. A search with
`--workers N` then evaluates N configurations at once, each spread over the cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..architecture import Architecture
from ..itas.evaluate import Evaluation, ExecutorEvaluator


class RayEvaluator(ExecutorEvaluator):
    """Evaluates configurations on the Ray cluster at `address` (None: a local instance)."""

    def __init__(
        self, scorer: Any, *, address: str | None = None, num_cpus: int | None = None, **options: Any
    ):
        super().__init__(scorer, **options)
        self.address = address
        self.num_cpus = num_cpus
        self._session: Any = None

    def _ray_session(self) -> Any:
        if self._session is None:
            from .runner import RaySession

            # The cache actor opens the evaluator's cache file (this process keeps it open too: the
            # judge's calls, and hits for rows a trial shares with an earlier one, are served from it).
            self._session = RaySession(
                self.address,
                num_cpus=self.num_cpus,
                cache=self.cache.path if self.cache is not None else False,
            )
        return self._session

    async def _run(self, arch: Architecture, rows: list[dict]) -> list[Any]:
        from .runner import arun_rows_on_ray

        return await arun_rows_on_ray(
            arch,
            rows,
            None,
            session=self._ray_session(),
            sim=self.sim,
            sim_seed=self.sim_seed,
            concurrency=self.concurrency,
            env_file=self.env_file,
            unsafe_exec=self.unsafe_exec,
            check=False,
        )

    async def aevaluate(self, arch: Architecture, rows: Sequence[dict]) -> Evaluation:
        """The search's `evaluate`: one configuration's rows on the cluster, scored here."""
        return await super().aevaluate(arch, rows)

    def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            session.close()
        super().close()
