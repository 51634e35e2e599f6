"""Resumable dataset runs: rows in, one fsynced JSONL line per finished query out, finished ids skipped.

The output file is only ever this tool's own: an existing file that is not (notes, a binary,
JSONL of another shape) is refused untouched. It is locked for the run (a sidecar
`<out>.lock` that names the holder), so two runs on one file never both make the calls.
Records are appended; a failed row is run again on the next run and its new record appended,
and the last record of an id is the one that counts. When a run ends, a file holding more than
one record for an id is rewritten (atomically, by rename) to one line per id; if that cannot be
done (a full disk), the file stays as it is, still correct under "the last record wins".
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import socket
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

from ..datasets import DatasetError
from ..datasets.reader import INPUT_HINT, capped_lines, row_input
from ..diagnostics import ArchonError, Diagnostic, Severity
from .executor import Executor, Query
from .trace import QueryResult

# Every record starts so (`QueryResult.to_dict` puts the id first); a tail without a newline
# that starts so is a line a kill cut short. Anything else at the end is not ours.
RECORD_PREFIX = b'{"id": '
RECORD_FIELDS = ("id", "question", "answer", "error", "calls")
MAX_RECORD_BYTES = 64 * 1024 * 1024  # a longer line is not one of our records


class OutputError(ArchonError):
    """An output file that cannot be used or written: refused, locked by another run, or the disk is full."""


def _output_error(code: str, name: str, message: str, path: Path, hint: str | None = None) -> OutputError:
    # No path on the diagnostic: printers read the file a diagnostic names, and this one may be
    # a device, a binary or huge. The message names it.
    return OutputError([Diagnostic(code, name, Severity.ERROR, message, None, None, hint)])


def _refused(path: Path, why: str) -> OutputError:
    return _output_error(
        "E032",
        "bad-output",
        f"--out {path} exists and is not this tool's resumable output ({why}); it was left untouched",
        path,
        "give a new file (or the .jsonl a previous run of this command wrote) as --out",
    )


def to_queries(rows: Iterable[Any], where: str | None = None) -> list[Query]:
    """Queries from dataset rows: dicts with "question" (or "query"/"prompt"), or "messages" (a
    conversation ending with the user's turn), or "turns" (user turns answered one by one), and
    optional "id", "answer"; plain strings; objects with those attributes; or Queries.

    A row without an id gets its position (0-based) as id; ids must be unique, since a resumed
    run skips the ids already in its output file.
    """
    queries: list[Query] = []
    seen: set[str] = set()
    for position, row in enumerate(rows):
        if isinstance(row, Query):
            query = replace(row, index=position)
        elif isinstance(row, str):
            query = Query(row, str(position), position)
        else:
            data = row if isinstance(row, dict) else vars(row)
            try:
                field_name, asked = row_input(data)
            except ValueError as e:  # MessagesError included: it names the field, e.g. messages[1].role
                message = (
                    f"row {position + 1} has no question"
                    if str(e) == "no question"
                    else f"row {position + 1}: {e}"
                )
                raise _row_error(message, where, INPUT_HINT) from None
            ident = data.get("id")
            query = Query.of(
                asked,
                str(position) if ident is None else str(ident),
                position,
                data.get("answer"),
                turns=field_name == "turns",
            )
        if query.id in seen:
            raise _row_error(
                f"row {position + 1}: id '{query.id}' is used twice",
                where,
                "ids must be unique so that a resumed run knows what is done",
            )
        seen.add(query.id)
        queries.append(query)
    return queries


def _row_error(message: str, where: str | None, hint: str) -> DatasetError:
    return DatasetError([Diagnostic("D001", "bad-dataset", Severity.ERROR, message, None, where, hint)])


# -- the failures of a run ----------------------------------------------------------------

_KIND = re.compile(r"\b((?:[A-Z][A-Za-z0-9_]*)?(?:Error|Exception|Timeout|Exceeded))\b")


def error_kind(error: str) -> str:
    """The first exception class an error message names ("Error code: 400" is not one), or "error"."""
    named = [
        kind for kind in _KIND.findall(error) if kind not in ("Error", "Exception", "Timeout", "Exceeded")
    ]
    return named[0] if named else "Timeout" if "Timeout" in _KIND.findall(error) else "error"


def failure_summary(results: Iterable[QueryResult], width: int = 160) -> str | None:
    """'3 rows failed: RateLimitError x2 (first: row 12: ...), Timeout x1 (first: row 3: ...)', or None."""
    first: dict[str, QueryResult] = {}
    counts: dict[str, int] = {}
    for result in results:
        if result.error is None:
            continue
        kind = error_kind(result.error)
        counts[kind] = counts.get(kind, 0) + 1
        first.setdefault(kind, result)
    if not counts:
        return None
    total = sum(counts.values())

    def short(text: str) -> str:
        text = " ".join(text.split())
        return text if len(text) <= width else text[: width - 3] + "..."

    parts = [
        f"{kind} x{counts[kind]} (first: row {first[kind].id}: {short(first[kind].error or '')})"
        for kind in counts
    ]
    return f"{total} row{'s' if total != 1 else ''} failed: " + "; ".join(parts)


# -- the output file ------------------------------------------------------------------------


class _Lock:
    """An exclusive flock on `<out>.lock`, which names its holder; removed when released."""

    def __init__(self, out: Path):
        self.path = out.with_name(out.name + ".lock")
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as e:
                raise _output_error(
                    "E032",
                    "bad-output",
                    f"cannot write --out {out}: cannot create its lock file "
                    f"{self.path}: {_describe_write_error(e)}",
                    out,
                ) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                holder = _read_holder(fd)
                os.close(fd)
                if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise _output_error(
                        "E033", "output-locked", f"cannot lock {self.path}: {e.strerror}", out
                    ) from None
                raise _output_error(
                    "E033",
                    "output-locked",
                    f"--out {out} is in use by another run ({holder})",
                    out,
                    "wait for that run to finish (it resumes the same rows), or give another --out",
                ) from None
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # the holder removed this lock file as we opened it: lock the new one
        self._fd = fd
        record = {
            "pid": os.getpid(),
            "host": socket.gethostname() or "an unnamed host",
            "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        }
        try:
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps(record).encode())
        except OSError:
            pass  # who holds it is a courtesy to the next run (a full disk may not allow it); the lock holds

    def release(self) -> None:
        if self._fd >= 0:
            try:
                os.unlink(self.path)  # before unlocking: a waiter that opened it sees it is gone and retries
            except OSError:
                pass
            os.close(self._fd)
            self._fd = -1


def _read_holder(fd: int) -> str:
    try:
        holder = json.loads(os.pread(fd, 4096, 0))
        return f"pid {holder['pid']} on {holder['host']}, started {holder['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"


def _record(raw: bytes) -> QueryResult | None:
    """The result on one output line, or None if the line is not one of our records."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or any(f not in data for f in RECORD_FIELDS):
        return None
    try:
        return QueryResult.from_dict(data)
    except (TypeError, ValueError, KeyError):
        return None


def _lines(f) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of each line of a results file, streamed; a line over the record cap is returned cut."""
    return capped_lines(f, MAX_RECORD_BYTES)


def _describe_write_error(e: OSError) -> str:
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return "disk full"
    if e.errno == errno.EROFS:
        return "read-only file system"
    return e.strerror or str(e)


class ResultsFile:
    """The JSONL output of a dataset run, locked while open: validated, read back, appended to, compacted.

    `done` holds the results already in the file by id (the last record of an id wins); with
    `keep_failed=False` a failed one is not done, so it runs again. A device or FIFO (`/dev/null`,
    `/dev/stdout`) is written to but not read back or locked.
    """

    def __init__(self, path: str | Path, *, keep_failed: bool = False):
        self.path = Path(path)
        self.keep_failed = keep_failed
        self.done: dict[str, QueryResult] = {}
        self._fd = -1
        self._lock: _Lock | None = None
        self._ids: set[str] = set()  # ids with a record in the file
        self._superseded = False  # some id has more than one record: compact when closing
        self._failed: OSError | None = None
        try:
            mode = os.stat(self.path).st_mode
        except FileNotFoundError:
            mode = None
        except OSError as e:
            raise _output_error(
                "E032", "bad-output", f"cannot use --out {self.path}: {e.strerror}", self.path
            ) from None
        if mode is not None and stat.S_ISDIR(mode):
            raise _output_error(
                "E032",
                "bad-output",
                f"--out {self.path} is a directory",
                self.path,
                "give a file path, e.g. DIR/results.jsonl",
            )
        self.regular = mode is None or stat.S_ISREG(mode)
        if not self.regular:
            self._fd = self._open(os.O_WRONLY)
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise _output_error(
                "E032",
                "bad-output",
                f"cannot create the folder of --out {self.path}: {e.strerror}",
                self.path,
            ) from None
        self._lock = _Lock(self.path)
        try:
            if mode is not None:
                try:
                    self._read_back()
                except OSError as e:
                    raise _output_error(
                        "E032",
                        "bad-output",
                        f"cannot read back --out {self.path}: {_describe_write_error(e)}",
                        self.path,
                    ) from None
            self._fd = self._open(os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        except BaseException:
            self._lock.release()
            raise

    def _open(self, flags: int) -> int:
        try:
            return os.open(self.path, flags, 0o644)
        except OSError as e:
            raise _output_error(
                "E032", "bad-output", f"cannot write --out {self.path}: {_describe_write_error(e)}", self.path
            ) from None

    def _read_back(self) -> None:
        """Check every line is one of our records and read them, streaming; drop a tail a kill cut short."""
        keep_to = 0
        with self.path.open("rb") as f:
            for number, raw in _lines(f):
                if not raw.endswith(b"\n"):
                    if len(raw) > MAX_RECORD_BYTES:
                        raise _refused(self.path, f"line {number} is longer than any record")
                    if raw.startswith(RECORD_PREFIX):
                        break  # the last line, cut short by a kill: dropped below
                    raise _refused(self.path, f"line {number} is not a result record")
                if not raw.strip():
                    keep_to = f.tell()
                    continue
                result = _record(raw)
                if result is None:
                    raise _refused(
                        self.path,
                        f"line {number} is not a result record"
                        if raw.lstrip().startswith(b"{")
                        else f"line {number} is not JSON",
                    )
                if result.id in self._ids:
                    self._superseded = True
                self._ids.add(result.id)
                self.done[result.id] = result
                keep_to = f.tell()
        if keep_to < os.path.getsize(self.path):  # whole file checked, and ours: cut the fragment off
            os.truncate(self.path, keep_to)
        if not self.keep_failed:
            self.done = {k: r for k, r in self.done.items() if r.error is None}

    async def append(self, result: QueryResult) -> None:
        """Write one line in one go and fsync it; a failure removes the partial line and raises OutputError."""
        line = (json.dumps(result.to_dict(), ensure_ascii=False) + "\n").encode("utf-8")
        try:
            if self._failed is not None:
                raise self._failed  # after a failed write nothing more is appended
            start = os.fstat(self._fd).st_size if self.regular else 0
            view = memoryview(line)
            while view:
                view = view[os.write(self._fd, view) :]
            # fsync off the event loop, so other queries keep going while the disk catches up.
            await anyio.to_thread.run_sync(self._sync)
            if self._failed is not None:
                raise self._failed  # another line failed meanwhile and took this one with it
        except OSError as e:
            if self.regular and self._failed is None:
                try:  # no half line is left behind (and a file is never grown by truncating)
                    os.ftruncate(self._fd, min(start, os.fstat(self._fd).st_size))
                except OSError:
                    pass
            self._failed = e
            reason = _describe_write_error(e)
            raise _output_error(
                "E034",
                "output-failed",
                f"{reason}: cannot write --out {self.path}"
                + ("; the whole lines already in it are kept" if self.regular else ""),
                self.path,
                "free some space (or fix the cause) and rerun the same command: finished rows are kept "
                "and only the rest run"
                if self.regular
                else None,
            ) from None
        if result.id in self._ids:
            self._superseded = True
        self._ids.add(result.id)

    def _sync(self) -> None:
        try:
            os.fsync(self._fd)
        except OSError as e:
            if self.regular or e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EROFS):
                raise  # a device or pipe (/dev/null, /dev/stdout) cannot be synced, and need not be

    def close(self) -> None:
        """Close the file, rewrite it to one line per id if a record was superseded, and unlock."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        try:
            if self._superseded and self._lock is not None:
                self._compact()
        finally:
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    def _compact(self) -> None:
        """Rewrite the file keeping each id's last record, through a temporary file and a rename."""
        last: dict[str, int] = {}
        with self.path.open("rb") as f:
            for number, raw in _lines(f):
                result = _record(raw) if raw.strip() else None
                if result is not None:
                    last[result.id] = number
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            with self.path.open("rb") as f, open(temporary, "wb") as out:
                for number, raw in _lines(f):
                    result = _record(raw) if raw.strip() else None
                    if result is not None and last[result.id] == number:
                        out.write(raw)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, stat.S_IMODE(os.stat(self.path).st_mode))
            os.replace(temporary, self.path)
        except OSError:
            # Not rewritten (a full disk?): the file as it is stays correct, the last record of an id wins.
            try:
                os.unlink(temporary)
            except OSError:
                pass
            return
        self._superseded = False
        try:
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
        except OSError:
            pass

    def __enter__(self) -> ResultsFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def finished_results(out: str | Path, keep_failed: bool = True) -> dict[str, QueryResult]:
    """The results already in an output file, by id (the last record of an id wins).

    The file is checked and locked while it is read; a truncated last line (from a kill) is cut off.
    """
    if not Path(out).exists():
        return {}
    with ResultsFile(out, keep_failed=keep_failed) as results:
        return results.done


@dataclass
class BatchResult:
    """A dataset run: every query's result in input order, and how many were done already."""

    results: list[QueryResult] = field(default_factory=list)
    resumed: int = 0  # results read back from the output file, not run again
    wall_s: float = 0.0


async def run_batch(
    executor: Executor,
    queries: list[Query],
    out: str | Path | ResultsFile | None = None,
    on_result: Callable[[QueryResult], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
    *,
    keep_failed: bool = False,
) -> BatchResult:
    """Run `queries`, appending each finished one to `out`; ids already answered in `out` are not run
    again (nor failed ones, with `keep_failed`). An open ResultsFile is used as is and left open.

    `on_start(total, already_done)` is called once before any query runs; `on_result` after each.
    Raises OutputError when the output cannot be written (what was written stays, and resumes).
    """
    start = time.perf_counter()
    output = ResultsFile(out, keep_failed=keep_failed) if isinstance(out, (str, Path)) else out
    try:
        done = output.done if output is not None else {}
        todo = [q for q in queries if q.id not in done]
        if on_start is not None:
            on_start(len(queries), len(queries) - len(todo))
        failure: list[OutputError] = []

        with anyio.CancelScope() as scope:

            async def finished(result: QueryResult) -> None:
                if output is not None:
                    try:
                        await output.append(result)
                    except OutputError as e:
                        failure.append(e)
                        scope.cancel()  # stop: nothing more can be kept
                        return
                if on_result is not None:
                    on_result(result)

            fresh = await executor.run_many(todo, finished)
        if failure:
            raise failure[0]
    finally:
        if output is not None and output is not out:
            output.close()
    by_id = {r.id: r for r in fresh}
    by_id.update({k: v for k, v in done.items() if k not in by_id})
    results = [by_id[q.id] for q in queries if q.id in by_id]
    return BatchResult(results, len(queries) - len(todo), time.perf_counter() - start)
