"""Small sample datasets shipped with the package, and the loader for them and for user JSONL files."""

from __future__ import annotations

import json
from pathlib import Path

from ..diagnostics import ArchonError, Diagnostic, Severity, Span, did_you_mean

BUILTIN = ("arithmetic", "multiple_choice", "python_functions")
_HERE = Path(__file__).parent


class DatasetError(ArchonError):
    """A dataset that cannot be read: which file, which line, what is wrong."""


def _error(message: str, path: str, line: int | None = None, hint: str | None = None) -> DatasetError:
    span = Span(line, 1, line, 2) if line else None
    return DatasetError([Diagnostic("D001", "bad-dataset", Severity.ERROR, message, span, path, hint)])


def dataset_path(name_or_path: str | Path) -> Path:
    """The file behind a built-in dataset name, or the given .jsonl path."""
    text = str(name_or_path)
    if text in BUILTIN:
        return _HERE / f"{text}.jsonl"
    path = Path(text)
    if path.suffix != ".jsonl" or not path.is_file():
        close = did_you_mean(text, BUILTIN)
        if path.suffix == ".jsonl":
            raise _error(f"no dataset file '{text}'", text, hint="check the path")
        hint = f"did you mean '{close}'?" if close else f"use one of {', '.join(BUILTIN)} or a path to a .jsonl file"
        raise _error(f"unknown dataset '{text}'", text, hint=hint)
    return path


def load_dataset(name_or_path: str | Path) -> list[dict]:
    """Rows of a dataset: a built-in name (see BUILTIN) or a .jsonl path, one JSON object per line.

    Each row needs "id" (string or integer, unique), "question" (non-empty string) and "answer";
    code tasks may add "entry_point" (string) and "tests" (a list of Python assert strings).
    Blank lines are skipped. A bad row raises DatasetError naming its line.
    """
    path = dataset_path(name_or_path)
    shown = str(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise _error(f"cannot read dataset '{shown}': {e}", shown) from None
    rows: list[dict] = []
    ids: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as e:
            raise _error(f"line {number} is not valid JSON: {e.msg} (column {e.colno})", shown, number) from None
        problem = _row_problem(row)
        if problem:
            raise _error(f"line {number}: {problem}", shown, number,
                         'each line must be an object like {"id": "q1", "question": "...", "answer": "..."}')
        key = str(row["id"])
        if key in ids:
            raise _error(f"line {number}: id {row['id']!r} already used on line {ids[key]}", shown, number,
                         "give every row its own id")
        ids[key] = number
        rows.append(row)
    if not rows:
        raise _error(f"dataset '{shown}' has no rows", shown)
    return rows


def _row_problem(row: object) -> str | None:
    """What is wrong with a parsed row, or None if it is usable."""
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
    if "tests" in row and (not isinstance(row["tests"], list) or not all(isinstance(t, str) for t in row["tests"])):
        return "'tests' must be a list of strings (Python assert statements)"
    if "entry_point" in row and not isinstance(row["entry_point"], str):
        return "'entry_point' must be a string"
    return None


__all__ = ["BUILTIN", "DatasetError", "dataset_path", "load_dataset"]
