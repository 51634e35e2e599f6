"""A content-addressed SQLite cache of model replies, safe with concurrent writers; never holds keys.

Why it is shaped this way (measured; see docs/runtime.md): litellm runs part of every call
on executor threads, so any call of ours that releases the GIL on the event-loop thread
(every SQLite statement does) can wait milliseconds to get it back. So a miss is answered
from memory (the set of keys present, read when the cache opens), only a hit reads the
file, and writes go to one writer thread that commits them in batches.

What can go wrong and what happens: a row that is not a well-formed reply (a corrupt or
hand-edited file) is a miss, and the fresh reply replaces it; a file SQLite finds damaged
("malformed") when the cache opens is moved aside (`cache.sqlite.corrupt-<time>`, with its -wal and
-shm), a one-line warning says so, and a fresh cache is started; a `replies` table of another shape
is refused when the cache opens (ArchonError naming the file), unless it is empty; another
process holding the write lock makes this one wait at most BUSY_TIMEOUT_MS per attempt, the
replies stay pending (and are served from memory) and are retried, and closing tries for
CLOSE_WAIT seconds more before it gives up with a warning on stderr saying how many were lost.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import queue
import sqlite3
import sys
import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..diagnostics import ArchonError, Diagnostic, Severity
from .keys import is_secret_name, redact

DEFAULT_PATH = Path(".archon") / "cache.sqlite"
KEY_VERSION = "archon-cache-1"  # changes when what a key covers changes: old entries then miss
# How long one statement waits for another process's write to finish. Short: a write that cannot
# go in stays pending and is retried, so waiting longer only delays this process.
BUSY_TIMEOUT_MS = 1_000
CLOSE_WAIT = 3.0  # seconds close() keeps retrying writes another process's lock holds up
RETRY_WAIT = 0.25  # seconds between retries of writes held up by a lock
BATCH = 512  # most replies in one statement (7 parameters each, well under SQLite's 32766)
# The writer gathers replies this long before it commits: one statement per batch, since each
# statement hands the GIL to litellm's threads and may wait milliseconds to get it back.
BATCH_WAIT = 0.05
_SCHEMA = """
CREATE TABLE IF NOT EXISTS replies (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL,
    created REAL NOT NULL
) WITHOUT ROWID
"""
_COLUMNS = ("key", "model", "text", "input_tokens", "output_tokens", "cost_usd", "created")
_INSERT = f"INSERT OR REPLACE INTO replies ({', '.join(_COLUMNS)}) VALUES "
_STOP = object()


@dataclass(frozen=True, slots=True)
class CachedReply:
    """What the cache keeps of a reply: the text, who wrote it, its usage and its cost."""

    text: str
    model: str
    input_tokens: int
    output_tokens: int
    cost_usd: float | None


def cache_key(
    model: str,
    messages: Iterable[dict[str, Any]],
    *,
    api_base: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    response_format: dict | None = None,
    params: dict[str, Any] | None = None,
    sample: int = 0,
) -> str:
    """sha256 of the canonical JSON of everything that shapes a reply (credentials left out).

    The sample index is part of it, so n samples of one prompt are n entries.
    """
    clean = {k: v for k, v in (params or {}).items() if not is_secret_name(k)}
    payload = [
        KEY_VERSION,
        model,
        api_base,
        list(messages),
        temperature,
        max_tokens,
        response_format,
        clean,
        sample,
    ]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _short(key: str) -> int:
    """64 bits of a key: enough to tell present from absent (a collision costs one lookup)."""
    return int(key[:16], 16)


class _Shared:
    """What every Cache on one file in this process sees: the keys present and the writes pending."""

    __slots__ = ("present", "pending", "__weakref__")

    def __init__(self):
        self.present: set[int] = set()
        self.pending: dict[str, CachedReply] = {}


_SHARED: weakref.WeakValueDictionary[str, _Shared] = weakref.WeakValueDictionary()
_SHARED_LOCK = threading.Lock()


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    try:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _check_schema(
            connection, path
        )  # before anything is changed: a file that is not ours is left as it is
        if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            connection.execute("PRAGMA journal_mode = WAL")  # readers never block the writer
        connection.execute("PRAGMA synchronous = NORMAL")  # with WAL: a crash loses at most the last commits
        connection.execute(_SCHEMA)
    except BaseException:
        connection.close()  # not left open on a file that may be moved aside
        raise
    return connection


def _damaged(error: sqlite3.Error) -> bool:
    """True for a SQLite file whose pages are broken ("database disk image is malformed")."""
    code = getattr(error, "sqlite_errorcode", None)
    return (code is not None and code & 0xFF == getattr(sqlite3, "SQLITE_CORRUPT", 11)) or "malformed" in str(
        error
    )


def _inode(path: Path) -> int | None:
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _set_aside(path: Path, inode: int | None) -> Path | None:
    """Move a damaged cache (with its -wal and -shm) to `<name>.corrupt-<time>`; None if it was not ours to move.

    Only the very file found damaged is moved: if another process moved it first and started a fresh
    cache under the name, that one (and its -wal, which must never be renamed while open) stays.
    """
    if inode is None or _inode(path) != inode:
        return None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    if aside.exists():
        aside = path.with_name(f"{aside.name}-{os.getpid()}")
    try:
        os.replace(path, aside)
    except FileNotFoundError:
        return None
    for suffix in ("-wal", "-shm"):
        try:
            os.replace(f"{path}{suffix}", f"{aside}{suffix}")
        except FileNotFoundError:
            pass
    return aside


def _check_schema(connection: sqlite3.Connection, path: Path) -> None:
    """Make sure `replies` is a table this cache can use: ours, or an empty one of another shape (replaced)."""
    info = connection.execute("PRAGMA table_info(replies)").fetchall()
    if not info:
        return  # no table yet: created as ours
    columns = {row[1]: row for row in info}  # cid, name, type, notnull, default, pk
    usable = (
        all(name in columns for name in _COLUMNS)
        and columns["key"][5] == 1
        # a column we do not know must be fillable without us (nullable or with a default)
        and all(not row[3] or row[4] is not None for name, row in columns.items() if name not in _COLUMNS)
    )
    if usable:
        return
    count = connection.execute("SELECT count(*) FROM replies").fetchone()[0]
    if count == 0:  # nothing to lose: make it ours
        connection.execute("DROP TABLE replies")
        connection.execute(_SCHEMA)
        return
    shape = ", ".join(columns) or "none"
    raise ArchonError(
        [
            Diagnostic(
                "E031",
                "bad-cache",
                Severity.ERROR,
                f"the cache {path} has a 'replies' table of another shape (columns: {shape}; {count} rows), "
                "so no reply could be cached in it; it was left as it is",
                None,
                None,
                f"move {path} away (it may belong to another program or version), give another cache directory "
                "(--cache-dir), or run without the cache (--no-cache)",
            )
        ]
    )


def _reply_of(row: tuple) -> CachedReply | None:
    """The reply in a row, or None if the row is not a well-formed one (a corrupt or edited file)."""
    text, model, input_tokens, output_tokens, cost = row
    counts_ok = all(type(n) is int and n >= 0 for n in (input_tokens, output_tokens))
    cost_ok = cost is None or (type(cost) in (int, float) and math.isfinite(cost) and cost >= 0)
    if not (isinstance(text, str) and isinstance(model, str) and counts_ok and cost_ok):
        return None
    return CachedReply(text, model, input_tokens, output_tokens, None if cost is None else float(cost))


def _busy(error: sqlite3.Error) -> bool:
    """True for "another connection holds the lock": worth retrying, unlike a full disk or a broken file."""
    code = getattr(error, "sqlite_errorcode", None)
    return (
        code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(error) or "busy" in str(error)
    )


def _warn(message: str) -> None:
    sys.stderr.write(f"archon: warning: {message}\n")


class Cache:
    """Replies by key in a SQLite file (WAL mode; one writer thread, one reader per thread).

    Entries another process writes after this one opened are not seen (their keys are
    not in memory); a new Cache sees them. Caches of one file in one process share what
    they know, so a second one sees the first one's writes at once. A failing cache (disk full, a lock held too
    long) makes misses and lost writes, counted in `stats()` and warned about at close, never failed calls.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.hits = self.misses = self.writes = self.errors = 0
        self.corrupt = 0  # rows read that were not well-formed replies (each a miss, then replaced)
        self.lost = 0  # replies that could not be written (a full disk, another process's lock held too long)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._pid = os.getpid()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            inode = _inode(self.path)
            try:
                rows = self._reader().execute("SELECT key FROM replies").fetchall()
            except sqlite3.DatabaseError as e:
                if not _damaged(e):
                    raise
                self._close_readers()
                aside = _set_aside(self.path, inode)
                where = f"moved it to {aside.name}" if aside else "another process moved it"
                _warn(f"the cache {self.path} was damaged ({e}); {where} and started a fresh cache")
                rows = self._reader().execute("SELECT key FROM replies").fetchall()
        except (OSError, sqlite3.Error) as e:
            raise ArchonError(
                [
                    Diagnostic(
                        "E031",
                        "bad-cache",
                        Severity.ERROR,
                        f"cannot open the cache {self.path}: {e}",
                        None,
                        str(self.path),
                        "delete the file, or run without the cache",
                    )
                ]
            ) from None
        with _SHARED_LOCK:
            shared = _SHARED.get(str(self.path.resolve()))
            if shared is None:
                shared = _SHARED[str(self.path.resolve())] = _Shared()
        self._shared = shared  # held: the registry keeps it only while some Cache does
        shared.present.update(_short(row[0]) for row in rows)
        self._present = shared.present
        self._pending = shared.pending  # queued for a writer, not yet committed
        self._finalizer = weakref.finalize(self, _stop_writer, self._queue, None)

    @classmethod
    def default(cls, project_dir: str | Path | None = None) -> Cache:
        """The project's cache: `.archon/cache.sqlite` under `project_dir` (the current directory)."""
        return cls(Path(project_dir or Path.cwd()) / DEFAULT_PATH)

    # -- reading -----------------------------------------------------------------------

    def get(self, key: str) -> CachedReply | None:
        """The reply stored under `key`, or None; a miss touches no file."""
        reply = self._pending.get(key)
        if reply is None:
            if _short(key) not in self._present:
                self.misses += 1
                return None
            try:
                row = (
                    self._reader()
                    .execute(
                        "SELECT text, model, input_tokens, output_tokens, cost_usd FROM replies WHERE key = ?",
                        (key,),
                    )
                    .fetchone()
                )
            except sqlite3.Error:
                self.errors += 1
                return None
            if row is None:
                reply = self._pending.get(
                    key
                )  # committed and dropped from pending meanwhile? then it is there
                if reply is None:
                    self.misses += 1
                    return None
            else:
                reply = _reply_of(row)
                if reply is None:  # a miss: the call is made and its reply replaces the row
                    self.corrupt += 1
                    self.misses += 1
                    return None
        self.hits += 1
        return reply

    def _reader(self) -> sqlite3.Connection:
        local = self._local
        connection = getattr(local, "connection", None)
        if connection is None or local.pid != os.getpid():
            connection = _connect(self.path)
            local.connection, local.pid = connection, os.getpid()
            with self._lock:
                self._readers.append(connection)
        return connection

    def present_keys(self) -> list[int]:
        """The 64-bit prefixes of the keys stored or pending: all a remote reader needs to tell a miss
        without asking (archon_dsl/scale/cache.py ships them to Ray workers)."""
        return list(self._present)

    # -- writing -----------------------------------------------------------------------

    def put(self, key: str, reply: CachedReply) -> None:
        """Store `reply` under `key`; committed by the writer thread within milliseconds.

        A known secret in the reply (keys.Redactor) is redacted before it is kept.
        """
        reply = replace(reply, text=redact(reply.text))
        self._pending[key] = reply
        self._present.add(_short(key))
        if self._writer is None or self._pid != os.getpid():
            self._start_writer()
        self._queue.put((key, reply))

    def flush(self) -> None:
        """Wait until every reply put so far is committed."""
        if self._writer is None:
            return
        done = threading.Event()
        self._queue.put(done)
        done.wait()

    def _start_writer(self) -> None:
        with self._lock:
            if self._writer is not None and self._pid == os.getpid():
                return
            if self._pid != os.getpid():  # a forked child: the parent's thread and queue are not ours
                self._pid = os.getpid()
                self._queue = queue.SimpleQueue()
                self._local = threading.local()
            self._writer = threading.Thread(target=self._write_loop, name="archon-cache-writer", daemon=True)
            self._writer.start()
            self._finalizer.detach()
            self._finalizer = weakref.finalize(self, _stop_writer, self._queue, self._writer)

    def _write_loop(self) -> None:
        try:
            connection = _connect(self.path)
        except (sqlite3.Error, ArchonError) as e:
            connection, failure = None, str(e)
        stop = False
        held: list[tuple[str, CachedReply]] = []  # replies another process's lock kept out: retried
        while not stop:
            if held:
                try:
                    items = [self._queue.get(timeout=RETRY_WAIT)]
                except queue.Empty:
                    items = []
            else:
                items = [self._queue.get()]
            self._drain(items)
            if (
                items
                and len(items) < BATCH
                and not any(isinstance(i, threading.Event) or i is _STOP for i in items)
            ):
                time.sleep(BATCH_WAIT)  # let a batch gather
                self._drain(items)
            stop = any(item is _STOP for item in items)
            events = [item for item in items if isinstance(item, threading.Event)]
            replies = held + [item for item in items if isinstance(item, tuple)]
            if connection is None:
                self._give_up(replies, failure)
                held = []
            elif replies:
                held = self._commit(connection, replies)
            # Closing, or someone waits: try a while longer, then give up.
            if held and connection is not None and (stop or events):
                deadline = time.monotonic() + CLOSE_WAIT
                while held and time.monotonic() < deadline:
                    time.sleep(RETRY_WAIT)
                    held = self._commit(connection, held)
                if held and stop:
                    self._give_up(held, "another process held the cache's write lock")
                    held = []
            for event in events:
                event.set()
        if connection is not None:
            connection.close()

    def _drain(self, items: list) -> None:
        while len(items) < BATCH:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return

    def _commit(self, connection: sqlite3.Connection, replies: list[tuple[str, CachedReply]]) -> list:
        """One multi-row INSERT for the whole batch; returns the replies to retry (the lock was held)."""
        now = time.time()
        rows = [
            (key, r.model, r.text, int(r.input_tokens), int(r.output_tokens), r.cost_usd, now)
            for key, r in replies
        ]
        values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(rows))
        try:
            connection.execute(_INSERT + values, [v for row in rows for v in row])
        except sqlite3.Error as e:
            if _busy(e):
                return replies
            self._give_up(replies, str(e))
            return []
        self.writes += len(rows)
        self._settle(replies)
        return []

    def _give_up(self, replies: list[tuple[str, CachedReply]], reason: str) -> None:
        """Count replies that will not be written, and say so once (they are asked again next run)."""
        if not replies:
            return
        self.errors += len(replies)
        self.lost += len(replies)
        self._settle(replies)
        _warn(
            f"{len(replies)} repl{'y' if len(replies) == 1 else 'ies'} could not be saved in the cache "
            f"{self.path} ({reason}); those calls will be made again next time"
        )

    def _settle(self, replies: list[tuple[str, CachedReply]]) -> None:
        for key, reply in replies:
            if self._pending.get(key) is reply:  # a newer reply for the key stays pending
                self._pending.pop(key, None)

    # -- the whole cache ---------------------------------------------------------------

    def entries(self) -> int:
        self.flush()
        return self._reader().execute("SELECT count(*) FROM replies").fetchone()[0]

    def stats(self) -> dict[str, Any]:
        """Entries and bytes on disk (with the write-ahead log), and this instance's counts."""
        entries = self.entries()
        size = 0
        for suffix in ("", "-wal"):
            try:
                size += os.path.getsize(f"{self.path}{suffix}")
            except OSError:
                pass
        return {
            "path": str(self.path),
            "entries": entries,
            "bytes": size,
            "hits": self.hits,
            "misses": self.misses,
            "writes": self.writes,
            "errors": self.errors,
            "corrupt": self.corrupt,
            "lost": self.lost,
        }

    def clear(self) -> int:
        """Remove every entry; how many there were."""
        self.flush()
        connection = self._reader()
        count = connection.execute("DELETE FROM replies").rowcount
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._present.clear()
        self._pending.clear()
        return count

    def close(self) -> None:
        """Commit what is pending, stop the writer and close every connection."""
        writer = self._writer
        if writer is not None and self._pid == os.getpid():
            self._queue.put(_STOP)
            writer.join()
        self._writer = None
        self._finalizer.detach()
        self._close_readers()

    def _close_readers(self) -> None:
        with self._lock:
            readers, self._readers = self._readers, []
        for connection in readers:
            try:
                connection.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _stop_writer(work: queue.SimpleQueue, writer: threading.Thread | None) -> None:
    """At exit or when a Cache is collected: let the writer commit what is queued, then stop."""
    if writer is None or not writer.is_alive():
        return
    work.put(_STOP)
    writer.join(timeout=CLOSE_WAIT + 2 * BUSY_TIMEOUT_MS / 1000 + 1)  # the writer itself gives up by then


class SaltedCache:
    """A view of a cache whose keys carry a salt: a call made under one salt is another entry under another.

    A search with `--draws architecture` runs each architecture under its own salt, so two
    architectures never share a cached reply (each gets its own samples), while one architecture's
    later rows, its held-out rows and a resumed search still hit its own entries.
    """

    def __init__(self, cache: Cache, salt: str):
        self.cache = cache
        self.salt = salt

    def _salted(self, key: str) -> str:
        return hashlib.sha256(f"{self.salt}|{key}".encode()).hexdigest()

    def get(self, key: str) -> CachedReply | None:
        return self.cache.get(self._salted(key))

    def put(self, key: str, reply: CachedReply) -> None:
        self.cache.put(self._salted(key), reply)

    def __getattr__(self, name: str) -> Any:  # flush, stats, path: the underlying cache's
        return getattr(self.cache, name)
