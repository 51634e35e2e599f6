"""`search --out` writes only into a new or empty directory, or one holding a search: nothing else is touched."""

from __future__ import annotations

import pytest

from archon_dsl.diagnostics import ArchonError
from archon_dsl.itas import search


def _search(known_path, rows, cache_dir, out):
    return search(
        known_path, rows, "numeric", sim=True, cache=cache_dir, strategy="random", trials=1, out=out
    )


def test_a_non_empty_directory_that_holds_no_search_is_refused_untouched(
    known_path, rows, cache_dir, tmp_path
):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("important", encoding="utf-8")
    (out / "best.arch").write_text("my own architecture", encoding="utf-8")
    with pytest.raises(
        ArchonError, match=f"--out {out} is not empty and holds no search; it was left untouched"
    ):
        _search(known_path, rows, cache_dir, out)
    assert sorted(p.name for p in out.iterdir()) == ["best.arch", "notes.txt"]
    assert (out / "best.arch").read_text(encoding="utf-8") == "my own architecture"


def test_a_file_is_refused_and_an_empty_directory_is_used(known_path, rows, cache_dir, tmp_path):
    taken = tmp_path / "file"
    taken.write_text("important", encoding="utf-8")
    with pytest.raises(ArchonError, match="is a file, not a directory"):
        _search(known_path, rows, cache_dir, taken)
    assert taken.read_text(encoding="utf-8") == "important"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _search(known_path, rows, cache_dir, empty).evaluations == 1
    assert (empty / "trials.jsonl").exists()
