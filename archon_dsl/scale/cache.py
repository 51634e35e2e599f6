"""The cache across a cluster: the driver's SQLite cache behind an actor on its node, and each worker's view of it.

Keys are content addresses (runtime/cache.py `cache_key`: sha256 of everything that shapes a reply),
so a reply is the same wherever it was made, and the last write of a key wins harmlessly.

`CacheService` (a Ray actor placed on the driver's node) owns the driver's `Cache` file: every
reply any worker gets is put there, so a later run, local or on Ray, finds it. A worker's
`ClusterCache` stands where the Provider expects a `Cache`: it knows which keys exist (their
64-bit prefixes, sent once when the worker starts and then as deltas at most every REFRESH
seconds), so a miss costs no round trip; a hit is fetched from the actor; its own replies are
kept in memory and sent to the actor in batches (at most BATCH of them, or after FLUSH seconds).
"""

from __future__ import annotations

import time
from typing import Any

from ..runtime.cache import Cache, CachedReply

REFRESH = 0.5  # seconds between a worker's questions for the keys other workers added
FLUSH = 0.02  # seconds a worker holds new replies before sending them to the actor
BATCH = 64  # replies sent in one go at most


def _short(key: str) -> int:
    return int(key[:16], 16)


class CacheService:
    """The driver's cache file, for every worker: run as a threaded Ray actor on the driver's node."""

    def __init__(self, path: str):
        self.cache = Cache(path)
        self._added: list[int] = []  # prefixes of keys put since the service started, in order
        self.puts = 0

    def snapshot(self) -> tuple[int, list[int]]:
        """(version, prefixes of every key present): what a worker starts from."""
        return len(self._added), self.cache.present_keys()

    def since(self, version: int) -> tuple[int, list[int]]:
        """(new version, prefixes of the keys put after `version`)."""
        added = self._added[version:]
        return version + len(added), added

    def get_many(self, keys: list[str]) -> list[CachedReply | None]:
        return [self.cache.get(key) for key in keys]

    def put_many(self, items: list[tuple[str, CachedReply]]) -> None:
        """Store replies, returning once they are committed (a killed driver takes the actor with it)."""
        for key, reply in items:
            self.cache.put(key, reply)
            self._added.append(_short(key))
        self.puts += len(items)
        self.cache.flush()  # concurrent put_many calls share one commit (the writer batches)

    def stats(self) -> dict[str, Any]:
        return {"puts": self.puts, "hits": self.cache.hits, "misses": self.cache.misses}

    def close(self) -> dict[str, Any]:
        """Commit every reply, close the file; the service's counts."""
        stats = self.stats()
        self.cache.close()
        return stats


class ClusterCache:
    """A worker's view of the cluster's cache: `get` and `put` as runtime/cache.py's Cache has them."""

    def __init__(self, service: Any):
        import ray

        self._ray = ray
        self.service = service
        self.version, keys = ray.get(service.snapshot.remote())
        self.known: set[int] = set(keys)
        self.own: dict[str, CachedReply] = {}  # replies this worker got, until the shard ends
        self.buffer: list[tuple[str, CachedReply]] = []
        self._flushed = time.monotonic()
        self._asked = time.monotonic()
        self._delta: Any = None  # the outstanding question for new keys
        self.hits = self.misses = self.fetched = 0

    def get(self, key: str) -> CachedReply | None:
        reply = self.own.get(key)
        if reply is not None:
            self.hits += 1
            return reply
        self._refresh()
        if _short(key) not in self.known:
            self.misses += 1
            return None
        # Another worker (or an earlier run) made this call: fetch it (a short wait, on hits only).
        reply = self._ray.get(self.service.get_many.remote([key]))[0]
        self.fetched += 1
        if reply is None:
            self.misses += 1
        else:
            self.hits += 1
        return reply

    def put(self, key: str, reply: CachedReply) -> None:
        self.own[key] = reply
        self.known.add(_short(key))
        self.buffer.append((key, reply))
        if len(self.buffer) >= BATCH or time.monotonic() - self._flushed >= FLUSH:
            self.flush()

    def flush(self) -> None:
        """Send the replies held to the actor (in order: a Ray actor runs one caller's calls in order)."""
        self._flushed = time.monotonic()
        if self.buffer:
            items, self.buffer = self.buffer, []
            self.service.put_many.remote(items)

    def _refresh(self) -> None:
        """Learn the keys other workers added, without waiting: ask, and read the answer on a later call."""
        if self._delta is not None:
            ready, _ = self._ray.wait([self._delta], timeout=0)
            if ready:
                self.version, added = self._ray.get(self._delta)
                self.known.update(added)
                self._delta = None
        if self._delta is None and time.monotonic() - self._asked >= REFRESH:
            self._asked = time.monotonic()
            self._delta = self.service.since.remote(self.version)
        if self.buffer and time.monotonic() - self._flushed >= FLUSH:
            self.flush()

    async def keep_flushing(self) -> None:
        """Send held replies every FLUSH seconds even when no call comes (a stalled provider, the last calls)."""
        import anyio

        while True:
            await anyio.sleep(FLUSH)
            if self.buffer:
                self.flush()

    def close(self) -> None:
        self.flush()
