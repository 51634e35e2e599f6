"""The one dataset reader: a built-in name or a regular JSONL file, read line by line with a size cap per line."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..conversation import check_messages, check_text, check_turns
from ..diagnostics import ArchonError, Diagnostic, Severity, Span, did_you_mean

BUILTIN = ("arithmetic", "multiple_choice", "python_functions")
QUESTION_FIELDS = ("question", "query", "prompt")
# A row may ask a conversation instead of a question: OpenAI-style `messages` ending with the user's
# turn, or MT-Bench-style `turns` (the user's messages, answered one after another).
CONVERSATION_FIELDS = ("messages", "turns")
INPUT_HINT = (
    f"give each row one of the fields {', '.join(QUESTION_FIELDS)} as a string, or messages "
    '(a conversation: [{"role": "user", "content": "..."}, ...]) or turns (a list of user messages)'
)
# A row longer than this is refused rather than read: a line is parsed whole, and a file
# with no newline (a binary file, a runaway export) must not be taken into memory at once.
MAX_LINE_BYTES = 16 * 1024 * 1024
_HERE = Path(__file__).parent
_ROW_HINT = 'each line must be a JSON object such as {"id": "q1", "question": "...", "answer": "..."}'


class DatasetError(ArchonError):
    """A dataset that cannot be read: which file, which line, what is wrong; str() is `file:line: what`."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__(diagnostics)
        first = diagnostics[0]
        where = first.path or ""
        if first.path and first.span is not None:
            where = f"{first.path}:{first.span.line}"
        self.args = (f"{where}: {first.message}" if where else first.message,)


def _error(
    message: str, path: str | None, line: int | None = None, hint: str | None = None, column: int = 1
) -> DatasetError:
    span = Span(line, column, line, column + 1) if line else None
    return DatasetError([Diagnostic("D001", "bad-dataset", Severity.ERROR, message, span, path, hint)])


def dataset_path(name_or_path: str | Path) -> Path:
    """The file behind a built-in dataset name, or the given path if a file by that name exists."""
    text = str(name_or_path)
    path = Path(text)
    if text in BUILTIN and not path.exists():
        return _HERE / f"{text}.jsonl"
    if not path.exists():
        if path.suffix in (".jsonl", ".json") or os.sep in text:
            raise _error(f"no dataset file '{text}'", None, hint="check the path")
        close = did_you_mean(text, BUILTIN)
        hint = (
            f"did you mean '{close}'?"
            if close
            else f"use one of {', '.join(BUILTIN)} or a path to a .jsonl file"
        )
        raise _error(f"unknown dataset '{text}'", None, hint=hint)
    return path


def _open_regular(path: Path, shown: str):
    """A binary reader on `path`, refused unless it is a regular file (a device or FIFO never ends or blocks)."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer before we can say no.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        raise _error(f"cannot read dataset '{shown}': {e.strerror or e}", None) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = (
                "a directory"
                if stat.S_ISDIR(mode)
                else "a FIFO"
                if stat.S_ISFIFO(mode)
                else "a device or socket"
            )
            raise _error(
                f"dataset '{shown}' is {kind}, not a regular file",
                None,
                hint="datasets are read from regular JSONL files; save the rows to a file first",
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def capped_lines(f, cap: int) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes) of each line of a binary file, streamed; a line over `cap` bytes comes back cut
    to cap + 1 bytes, so the caller can tell it from one that fits without reading it whole."""
    number = 0
    while True:
        raw = f.readline(cap + 1)
        if not raw:
            return
        number += 1
        yield number, raw


def read_jsonl(name_or_path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed value) for each non-blank line, streamed; a bad line is a DatasetError naming it."""
    shown = str(name_or_path)
    path = dataset_path(name_or_path)
    with _open_regular(path, shown) as f:
        for number, raw in capped_lines(f, MAX_LINE_BYTES):
            if len(raw) > MAX_LINE_BYTES:
                raise _error(
                    f"line {number} is longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB",
                    shown,
                    hint="a row is one JSON object on one line; is this a JSONL file?",
                )
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise _error(
                    f"line {number}: not valid UTF-8 (byte 0x{raw[e.start]:02x} at column {e.start + 1})",
                    shown,
                    number,
                    "save the file as UTF-8",
                    e.start + 1,
                ) from None
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as e:
                raise _error(
                    f"line {number}: not valid JSON: {e.msg} (column {e.colno})",
                    shown,
                    number,
                    _ROW_HINT,
                    e.colno,
                ) from None
            except (
                ValueError,
                RecursionError,
            ) as e:  # an integer over Python's digit limit; nesting too deep
                reason = "nested too deeply" if isinstance(e, RecursionError) else str(e).split(";")[0]
                raise _error(f"line {number}: not usable JSON: {reason}", shown, number, _ROW_HINT) from None


def _note_id(ids: dict[str, int], row: dict, number: int, shown: str, hint: str) -> None:
    """Record a row's id, or raise naming the line that used it first."""
    key = str(row["id"])
    if key in ids:
        raise _error(f"line {number}: id {row['id']!r} already used on line {ids[key]}", shown, number, hint)
    ids[key] = number


def question_of(row: dict) -> Any:
    """The question of a row: its first non-null field of QUESTION_FIELDS, or None."""
    return next((row[f] for f in QUESTION_FIELDS if row.get(f) is not None), None)


def row_input(row: dict[str, Any]) -> tuple[str, Any]:
    """What a row asks: ("question", text), ("messages", checked messages) or ("turns", checked turns).

    Raises MessagesError naming the field (e.g. "messages[1].role") for bad messages or turns, and
    ValueError when the row asks nothing or more than one of a question, messages and turns.
    """
    asked = [name for name in CONVERSATION_FIELDS if row.get(name) is not None]
    question = question_of(row)
    if question is not None:
        asked.insert(0, next(f for f in QUESTION_FIELDS if row.get(f) is not None))
    if len(asked) > 1:
        raise ValueError(f"has both {asked[0]} and {asked[1]}; give one")
    if not asked or (asked[0] in QUESTION_FIELDS and not isinstance(question, str)):
        raise ValueError("no question")
    if asked[0] == "messages":
        return "messages", check_messages(row["messages"])
    if asked[0] == "turns":
        return "turns", check_turns(row["turns"])
    return "question", check_text(question, asked[0])


def read_rows(name_or_path: str | Path) -> list[dict[str, Any]]:
    """Rows to run: JSON objects with a question ("question", "query" or "prompt"), or `messages` or
    `turns` (a conversation), and an optional unique "id"."""
    shown = str(name_or_path)
    rows: list[dict[str, Any]] = []
    ids: dict[str, int] = {}
    for number, row in read_jsonl(name_or_path):
        if not isinstance(row, dict):
            raise _error(
                f"line {number}: expected a JSON object, got {type(row).__name__}", shown, number, _ROW_HINT
            )
        try:
            row_input(row)
        except ValueError as e:  # MessagesError included: it names the field, e.g. messages[1].role
            raise _error(f"line {number}: {e}", shown, number, INPUT_HINT) from None
        if row.get("id") is not None:
            _note_id(ids, row, number, shown, "ids must be unique so that a resumed run knows what is done")
        rows.append(row)
    return rows


def load_dataset(name_or_path: str | Path) -> list[dict]:
    """Rows of an evaluation dataset: a built-in name (see BUILTIN) or a JSONL path, one JSON object per line.

    Each row needs "id" (string or integer, unique), "question" (non-empty string) and "answer";
    code tasks may add "entry_point" (string) and "tests" (a list of Python assert strings).
    Blank lines are skipped. A bad row raises DatasetError naming its line.
    """
    shown = str(name_or_path)
    rows: list[dict] = []
    ids: dict[str, int] = {}
    for number, row in read_jsonl(name_or_path):
        problem = _row_problem(row)
        if problem:
            raise _error(f"line {number}: {problem}", shown, number, _ROW_HINT)
        _note_id(ids, row, number, shown, "give every row its own id")
        rows.append(row)
    if not rows:
        raise _error(f"dataset '{shown}' has no rows", shown)
    return rows


def _row_problem(row: object) -> str | None:
    """What is wrong with a parsed evaluation row, or None if it is usable."""
    if not isinstance(row, dict):
        return f"expected a JSON object, got {type(row).__name__}"
    missing = [key for key in ("id", "question", "answer") if key not in row]
    if missing:
        return f"missing {', '.join(repr(k) for k in missing)}"
    if not isinstance(row["id"], (str, int)) or isinstance(row["id"], bool) or row["id"] == "":
        return "'id' must be a non-empty string or an integer"
    if not isinstance(row["question"], str) or not row["question"].strip():
        return "'question' must be a non-empty string"
    if row["answer"] is None or isinstance(row["answer"], (dict, list)):
        return "'answer' must be a string or a number"
    if "tests" in row and (
        not isinstance(row["tests"], list) or not all(isinstance(t, str) for t in row["tests"])
    ):
        return "'tests' must be a list of strings (Python assert statements)"
    if "entry_point" in row and not isinstance(row["entry_point"], str):
        return "'entry_point' must be a string"
    return None
