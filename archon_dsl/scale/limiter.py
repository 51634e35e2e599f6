"""One rate limit for a cluster: an actor books every call's request, tokens and slot; workers ask it first.

The limits are runtime/limits.py's (provider and model rpm, tpm and concurrency, and the global
concurrency), held once for the whole cluster by `LimiterService` (a Ray actor). A worker's
`ClusterLimits` stands where the Provider expects a `Limits`: before each attempt it asks the
actor, which books the rate buckets and answers how long to wait (and takes the concurrency slots,
held under a lease until the call ends). A provider's Retry-After defers the provider for every worker.
A call that a busy worker starts more than LATE seconds after its booked time books again, so
late calls do not bunch with the ones booked after them.

If the actor cannot be reached (lost, or slower than ASK_TIMEOUT), a worker uses its own share of
each limit (the limit divided by the number of workers) for FALLBACK_SECONDS, then asks again.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

import anyio

from ..runtime.limits import Limit, Limits, TokenBucket, provider_key

# The cluster's buckets hold this many seconds of refill: over any minute at most (60 + 0.2)/60 of the limit.
CLUSTER_BURST_SECONDS = 0.2
ASK_TIMEOUT = 5.0  # seconds a worker waits for the actor before using its own share of the limit
FALLBACK_SECONDS = 30.0  # how long a worker uses its own share before asking the actor again
SLOT_WAIT = 1.0  # the longest the actor holds a question for a concurrency slot (the worker asks again)
LEASE_SECONDS = 900.0  # a slot a lost worker held is freed after this long
LATE = 1.0  # seconds past its booked time after which a call books again instead of starting
REBOOKS = 3  # bookings a call may miss so before it starts anyway


class _Part:
    """The buckets and semaphores of one provider, one model, or the whole cluster."""

    def __init__(self, limit: Limit, clock) -> None:
        self.requests = TokenBucket(limit.rpm, clock, CLUSTER_BURST_SECONDS) if limit.rpm else None
        self.tokens = TokenBucket(limit.tpm, clock, CLUSTER_BURST_SECONDS) if limit.tpm else None
        self.slots = asyncio.Semaphore(limit.concurrency) if limit.concurrency else None


class LimiterService:
    """The cluster's limits, run as a Ray actor (async: questions for a slot wait without blocking others)."""

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic):
        self.limits = limits
        self.clock = clock
        self._parts: dict[tuple, _Part] = {}
        self._global = _Part(Limit(concurrency=limits.concurrency), self.clock)
        self._deferred: dict[str, float] = {}
        self._leases: dict[int, tuple[float, list[_Part], list[_Part], int]] = {}
        self._ids = itertools.count(1)
        self._reaper: asyncio.Task | None = None
        self.granted = 0

    def _part(self, key: tuple, limit: Limit) -> _Part:
        part = self._parts.get(key)
        if part is None:
            part = self._parts[key] = _Part(limit, self.clock)
        return part

    async def acquire(self, model: str, own: Limit | None, tokens: int) -> tuple[int | None, float]:
        """(lease, seconds to wait before the call); lease None: no slot came free in SLOT_WAIT, ask again."""
        if self._reaper is None:
            self._reaper = asyncio.get_running_loop().create_task(self._reap())
        provider_limit, model_limit = self.limits.limit_for(model)
        if own is not None:
            model_limit = model_limit.under(own)
        provider = provider_key(model.split("/", 1)[0] if "/" in model else "")
        parts = [
            self._part(("provider", provider), provider_limit),
            self._part(("model", model, own), model_limit),
        ]
        held: list[_Part] = []
        try:
            with anyio.move_on_after(SLOT_WAIT):
                for part in [*parts, self._global]:
                    if part.slots is not None:
                        await part.slots.acquire()
                        held.append(part)
        except BaseException:
            for part in held:
                part.slots.release()  # type: ignore[union-attr]
            raise
        if len(held) < sum(part.slots is not None for part in [*parts, self._global]):
            for part in held:
                part.slots.release()  # type: ignore[union-attr]
            return None, 0.0
        wait = max(0.0, self._deferred.get(provider, 0.0) - self.clock())
        for part in parts:
            if part.requests is not None:
                wait = max(wait, part.requests.reserve(1))
            if part.tokens is not None:
                wait = max(wait, part.tokens.reserve(tokens))
        lease = next(self._ids)
        self._leases[lease] = (self.clock() + wait + LEASE_SECONDS, held, parts, tokens)
        self.granted += 1
        return lease, wait

    def release(self, lease: int, tokens: int | None = None, void: bool = False) -> None:
        """The call of `lease` ended: free its slots and charge the tokens it used instead of the estimate.

        `void`: the call did not start (its worker missed the booked time and books again): its
        request and tokens go back, so the next booking takes its place instead of leaving a gap.
        """
        entry = self._leases.pop(lease, None)
        if entry is None:
            return
        _, held, parts, estimate = entry
        for part in held:
            part.slots.release()  # type: ignore[union-attr]
        for part in parts:
            if void:
                if part.requests is not None:
                    part.requests.give_back(1)
                if part.tokens is not None:
                    part.tokens.give_back(estimate)
            elif part.tokens is not None and tokens is not None:
                if tokens > estimate:
                    part.tokens.level -= tokens - estimate
                elif tokens < estimate:
                    part.tokens.give_back(estimate - tokens)

    def defer(self, model: str, seconds: float) -> None:
        """A provider sent Retry-After: no worker starts a call to it for `seconds`."""
        provider = provider_key(model.split("/", 1)[0] if "/" in model else "")
        until = self.clock() + max(0.0, seconds)
        if until > self._deferred.get(provider, 0.0):
            self._deferred[provider] = until

    def stats(self) -> dict[str, int]:
        return {"granted": self.granted, "leases": len(self._leases)}

    async def _reap(self) -> None:
        """Free the slots of leases no one released (a worker lost mid-call)."""
        while True:
            await asyncio.sleep(LEASE_SECONDS / 10)
            now = self.clock()
            for lease in [k for k, (deadline, *_) in self._leases.items() if deadline < now]:
                self.release(lease)


def needs_limiter(limits: Limits, models: Any) -> bool:
    """True when some limit applies to one of `models` (ModelSpecs): else workers need not ask anyone."""
    if limits.concurrency:
        return True
    for model in models:
        provider_limit, own = limits.limit_for(model)
        if not (provider_limit.empty and own.empty):
            return True
    return False


def share_of(limits: Limits, workers: int, models: Any) -> Limits:
    """Each worker's share of the cluster's limits, used while the actor cannot be reached."""

    def part(limit: Limit) -> Limit:
        return Limit(
            None if limit.rpm is None else limit.rpm / workers,
            None if limit.tpm is None else limit.tpm / workers,
            None if limit.concurrency is None else max(1, limit.concurrency // workers),
        )

    own = {m.id: limits.limit_for(m)[1] for m in models}
    return Limits(
        concurrency=None if limits.concurrency is None else max(1, limits.concurrency // workers),
        providers={k: part(v) for k, v in limits.providers.items()},
        models={k: part(v) for k, v in {**limits.models, **own}.items() if not v.empty},
    )


def _own(model: Any) -> Limit | None:
    """The limits a model declares itself (`model m = "..." { rpm = 60 }`), None if none."""
    if isinstance(model, str):
        return None
    limit = Limit(
        getattr(model, "rpm", None), getattr(model, "tpm", None), getattr(model, "concurrency", None)
    )
    return None if limit.empty else limit


class ClusterLimits:
    """What a worker's Provider uses as its `limits`: the cluster's actor, or this worker's share without it."""

    def __init__(self, service: Any, share: Limits, limits: Limits):
        self.service = service
        self.share = share
        self.limits = limits  # to tell a model no limit applies to (its calls ask no one)
        self._fallback_until = 0.0
        self.fallbacks = 0  # times the actor could not be reached
        self._open: dict[str, bool] = {}
        self._releases: list[Any] = []  # releases sent and not yet known to have arrived

    def released(self, ref: Any) -> None:
        """Keep a release sent without waiting, so settle() can wait for it (done ones are dropped)."""
        self._releases.append(ref)
        if len(self._releases) >= 256:
            import ray

            _, self._releases = ray.wait(self._releases, num_returns=len(self._releases), timeout=0)

    async def settle(self) -> None:
        """Wait until this worker's releases have reached the actor: a shard ends with its slots free,
        so what the driver asks the limiter after the run sees every release."""
        import anyio

        pending, self._releases = self._releases, []
        try:
            with anyio.fail_after(ASK_TIMEOUT):
                for ref in pending:
                    await ref
        except Exception:  # a lost or slow actor: its leases expire on their own
            pass

    def slot(self, model: Any, est_tokens: int = 0) -> Any:
        model_id = model if isinstance(model, str) else model.id
        open_ = self._open.get(model_id)
        if open_ is None:
            provider_limit, own = self.limits.limit_for(model)
            open_ = self._open[model_id] = provider_limit.empty and own.empty and not self.limits.concurrency
        if open_:
            return self.share.slot(model_id, est_tokens)  # no limit: costs nothing
        return _ClusterSlot(self, model, est_tokens)

    def defer(self, model: Any, seconds: float) -> None:
        model_id = model if isinstance(model, str) else model.id
        self.share.defer(model_id, seconds)
        if time.monotonic() >= self._fallback_until:
            try:
                self.service.defer.remote(model_id, seconds)
            except Exception:  # the actor is gone: this worker's own deferral holds
                self._lost()

    def _lost(self) -> None:
        self.fallbacks += 1
        self._fallback_until = time.monotonic() + FALLBACK_SECONDS

    @property
    def using_share(self) -> bool:
        return time.monotonic() < self._fallback_until


class _ClusterSlot:
    """One call's passage: a lease from the actor (and the wait it says), or this worker's share."""

    __slots__ = ("owner", "model", "estimate", "lease", "local", "used", "late")

    def __init__(self, owner: ClusterLimits, model: Any, estimate: int):
        self.owner, self.model, self.estimate = owner, model, estimate
        self.late = 0  # bookings missed by more than LATE
        self.lease: int | None = None
        self.local: Any = None
        self.used: int | None = None

    async def __aenter__(self) -> _ClusterSlot:
        owner = self.owner
        model_id = self.model if isinstance(self.model, str) else self.model.id
        rebooked = 0
        while not owner.using_share:
            try:
                with anyio.fail_after(ASK_TIMEOUT):
                    lease, wait = await owner.service.acquire.remote(
                        model_id, _own(self.model), self.estimate
                    )
            except TimeoutError:
                owner._lost()
                break
            except Exception:  # RayActorError and kin: the actor is lost (Ray may restart it)
                owner._lost()
                break
            if lease is None:
                continue  # every slot busy for SLOT_WAIT: ask again
            self.lease = lease
            booked = time.monotonic() + wait  # when this call should start, on this worker's clock
            if wait > 0:
                try:
                    await anyio.sleep(wait)
                except BaseException:
                    self._release()
                    raise
            if time.monotonic() - booked > LATE and rebooked < REBOOKS:
                # This worker was held up past its booked time (a busy CPU): sent now, the call would
                # bunch with those booked after it. Its booking goes back (the next caller takes the
                # place) and it books again, at the end of the queue.
                rebooked += 1
                self.late += 1
                self._release(void=True)
                continue
            return self
        self.local = owner.share.slot(model_id, self.estimate)
        await self.local.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.local is not None:
            await self.local.__aexit__(*exc)
        self._release()

    def _release(self, void: bool = False) -> None:
        if self.lease is not None:
            lease, self.lease = self.lease, None
            try:
                self.owner.released(self.owner.service.release.remote(lease, self.used, void))
            except Exception:
                pass  # a lost actor holds no slot to free

    def report(self, tokens: int) -> None:
        self.used = tokens
        if self.local is not None:
            self.local.report(tokens)
