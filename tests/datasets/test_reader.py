"""The one dataset reader: regular files only, streamed, a size cap per line, errors that name file and line."""

from __future__ import annotations

import json
import os
import threading

import pytest

from archon_dsl.api import dataset_rows
from archon_dsl.datasets import DatasetError, load_dataset, read_rows, reader


@pytest.mark.parametrize("read", [read_rows, load_dataset, dataset_rows])
def test_dev_zero_is_refused_without_reading_it(read):
    with pytest.raises(DatasetError) as caught:
        read("/dev/zero")
    assert str(caught.value) == "dataset '/dev/zero' is a device or socket, not a regular file"
    assert caught.value.diagnostics[0].path is None  # printers must not try to read it either


def test_a_fifo_is_refused_and_nothing_blocks(tmp_path):
    fifo = tmp_path / "rows.jsonl"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_rows(fifo)
        except DatasetError as e:
            outcome.append(e)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "reading a FIFO blocked"
    assert "is a FIFO, not a regular file" in str(outcome[0])


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(DatasetError, match="is a directory, not a regular file"):
        read_rows(tmp_path)


def test_a_line_over_the_cap_is_refused_by_number(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 1024 * 1024)
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as f:
        f.write('{"question": "fine"}\n')
        f.write('{"question": "' + "x" * (2 * 1024 * 1024) + '"}\n')
    with pytest.raises(DatasetError) as caught:
        read_rows(path)
    assert (
        str(caught.value) == f"{path}: line 2 is longer than 1 MiB"
    )  # no span: no code frame of a huge line


def test_a_file_with_no_newline_is_not_read_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 64 * 1024)
    path = tmp_path / "blob.jsonl"
    path.write_bytes(b"\x01\x02" * 1024 * 1024)
    with pytest.raises(DatasetError, match="line 1 is longer than"):
        read_rows(path)


def test_bad_utf8_names_file_line_and_byte(tmp_path):
    path = tmp_path / "data.jsonl"
    path.write_bytes(b'{"question": "ok"}\n' * 11 + b'{"question": "caf\xe9"}\n')
    with pytest.raises(DatasetError) as caught:
        dataset_rows(str(path))
    assert str(caught.value) == f"{path}:12: line 12: not valid UTF-8 (byte 0xe9 at column 18)"
    [diagnostic] = caught.value.diagnostics
    assert (diagnostic.span.line, diagnostic.span.column, diagnostic.path) == (12, 18, str(path))


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"question": ' + "1" * 5000 + "}", "not usable JSON: Exceeds the limit (4300 digits)"),
        ('{"question": ' + "[" * 100_000 + "]" * 100_000 + "}", "not usable JSON: nested too deeply"),
        ('{"question": "a", "id": 1} trailing', "not valid JSON: Extra data (column 28)"),
    ],
)
def test_json_that_python_cannot_take_is_a_located_error(tmp_path, line, message):
    path = tmp_path / "data.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(DatasetError) as caught:
        read_rows(path)
    assert str(caught.value).startswith(f"{path}:1: line 1: {message}")


def test_rows_stream_and_keep_every_field(tmp_path):
    path = tmp_path / "rows.jsonl"
    rows = [{"id": i, "prompt": f"p{i}", "extra": [i]} for i in range(1000)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n", encoding="utf-8")
    assert read_rows(path) == rows == dataset_rows(path)


def test_a_builtin_name_and_a_file_of_that_name(tmp_path, monkeypatch):
    assert read_rows("arithmetic") == load_dataset("arithmetic")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "arithmetic").write_text('{"question": "mine"}\n', encoding="utf-8")
    assert read_rows("arithmetic") == [{"question": "mine"}]  # a file the user has wins over the built-in
