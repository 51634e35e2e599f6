"""Resumable dataset runs: rows in, one fsynced JSONL line per finished query out, finished ids skipped."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import anyio

from ..diagnostics import ArchonError, Diagnostic, Severity
from .executor import Executor, Query
from .trace import QueryResult

QUESTION_FIELDS = ("question", "query", "prompt")


def _data_error(message: str, path: str | None, hint: str | None = None) -> ArchonError:
    return ArchonError([Diagnostic("R001", "bad-dataset", Severity.ERROR, message, None, path, hint)])


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """The rows of a JSONL file (blank lines skipped); a bad line is an error naming its line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise _data_error(f"cannot read {path}: {e.strerror or e}", str(path)) from None
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise _data_error(
                f"{path}:{number}: not a JSON object ({e.msg})", str(path),
                'each line must be a JSON object such as {"id": "1", "question": "..."}',
            ) from None
        if not isinstance(row, dict):
            raise _data_error(f"{path}:{number}: expected a JSON object, got {type(row).__name__}", str(path))
        rows.append(row)
    return rows


def to_queries(rows: Iterable[Any], where: str | None = None) -> list[Query]:
    """Queries from dataset rows: dicts with "question" (or "query"/"prompt") and optional "id",
    "answer"; plain strings; objects with `question`/`id`/`answer` attributes; or Queries.

    A row without an id gets its position (0-based) as id; ids must be unique, since a resumed
    run skips the ids already in its output file.
    """
    queries: list[Query] = []
    seen: set[str] = set()
    for position, row in enumerate(rows):
        if isinstance(row, Query):
            query = Query(row.question, row.id, position, row.reference)
        elif isinstance(row, str):
            query = Query(row, str(position), position)
        else:
            data = row if isinstance(row, dict) else vars(row)
            question = next((data[f] for f in QUESTION_FIELDS if data.get(f) is not None), None)
            if not isinstance(question, str):
                raise _data_error(
                    f"row {position + 1} has no question", where,
                    f"give each row one of the fields {', '.join(QUESTION_FIELDS)} as a string",
                )
            ident = data.get("id")
            query = Query(question, str(position) if ident is None else str(ident), position, data.get("answer"))
        if query.id in seen:
            raise _data_error(f"row {position + 1}: id '{query.id}' is used twice", where,
                              "ids must be unique so that a resumed run knows what is done")
        seen.add(query.id)
        queries.append(query)
    return queries


def finished_results(out: str | Path) -> dict[str, QueryResult]:
    """The queries already in an output file, by id; a truncated last line (from a kill) is cut off."""
    path = Path(out)
    if not path.exists():
        return {}
    with path.open("rb+") as f:
        data = f.read()
        end = data.rfind(b"\n") + 1
        if end < len(data):  # the run was killed mid-line: drop the fragment so appends stay clean
            f.truncate(end)
            data = data[:end]
    done: dict[str, QueryResult] = {}
    for line in data.decode("utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
            done[str(row["id"])] = QueryResult.from_dict(row)
        except (json.JSONDecodeError, KeyError, TypeError):
            continue
    return done


class OutputFile:
    """An append-only JSONL file: one line per finished query, written in one call and fsynced."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    async def append(self, result: QueryResult) -> None:
        line = memoryview((json.dumps(result.to_dict(), ensure_ascii=False) + "\n").encode("utf-8"))
        while line:  # O_APPEND writes: a whole line or, after a kill, a cut-off tail the next run drops
            line = line[os.write(self._fd, line):]
        # fsync off the event loop, so other queries keep going while the disk catches up.
        await anyio.to_thread.run_sync(os.fsync, self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


@dataclass
class BatchResult:
    """A dataset run: every query's result in input order, and how many were done already."""

    results: list[QueryResult] = field(default_factory=list)
    resumed: int = 0  # results read back from the output file, not run again
    wall_s: float = 0.0


async def run_batch(
    executor: Executor,
    queries: list[Query],
    out: str | Path | None = None,
    on_result: Callable[[QueryResult], None] | None = None,
    on_start: Callable[[int, int], None] | None = None,
) -> BatchResult:
    """Run `queries`, appending each finished one to `out`; ids already in `out` are not run again.

    `on_start(total, already_done)` is called once before any query runs; `on_result` after each.
    """
    start = time.perf_counter()
    done = finished_results(out) if out is not None else {}
    todo = [q for q in queries if q.id not in done]
    resumed = len(queries) - len(todo)
    if on_start is not None:
        on_start(len(queries), resumed)
    output = OutputFile(out) if out is not None else None

    async def finished(result: QueryResult) -> None:
        if output is not None:
            await output.append(result)
        if on_result is not None:
            on_result(result)

    try:
        fresh = await executor.run_many(todo, finished)
    finally:
        if output is not None:
            output.close()
    by_id = {r.id: r for r in fresh}
    by_id.update({k: v for k, v in done.items() if k not in by_id})
    results = [by_id[q.id] for q in queries if q.id in by_id]
    return BatchResult(results, resumed, time.perf_counter() - start)
