"""Small sample datasets shipped with the package, and the one reader for them and for user JSONL files."""

from __future__ import annotations

from .reader import (
    BUILTIN,
    CONVERSATION_FIELDS,
    MAX_LINE_BYTES,
    QUESTION_FIELDS,
    DatasetError,
    dataset_path,
    load_dataset,
    question_of,
    read_jsonl,
    read_rows,
    row_input,
)

__all__ = [
    "BUILTIN",
    "CONVERSATION_FIELDS",
    "MAX_LINE_BYTES",
    "QUESTION_FIELDS",
    "DatasetError",
    "dataset_path",
    "load_dataset",
    "question_of",
    "read_jsonl",
    "read_rows",
    "row_input",
]
