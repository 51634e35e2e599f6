"""Model ranking: each model of a pool scored alone, the pool written back best-first where it is declared."""

from __future__ import annotations

from pathlib import Path

import pytest

from archon_dsl.diagnostics import ArchonError
from archon_dsl.itas.ranking import rank_models, write_pool_order
from archon_dsl.loader import load

MODELS = """\
model m1 = "sim/m1" { skill = 0.05 }
model m2 = "sim/m2" { skill = 0.35 }
model m3 = "sim/m3" { skill = 0.65 }
model m4 = "sim/m4" { skill = 0.97 }
# the pool, in no particular order yet
pool ladder = [m2, m4, m1, m3]
"""
MAIN = """\
archon "ranked"
include "models.arch"
param k: int = 2 in 1..4
layer generator { models = ladder[:k] }
layer ranker { model = m4; top_k = 1 }
"""


def _files(tmp_path: Path) -> Path:
    (tmp_path / "models.arch").write_text(MODELS, encoding="utf-8")
    main = tmp_path / "main.arch"
    main.write_text(MAIN, encoding="utf-8")
    return main


def test_pool_in_an_included_file_is_rewritten_best_first(tmp_path, rows, cache_dir):
    main = _files(tmp_path)
    ranking = rank_models(main, "ladder", rows, "numeric", sim=True, cache=cache_dir)
    assert ranking.order == ["m4", "m3", "m2", "m1"]
    assert [m.score for m in ranking.ranked] == sorted((m.score for m in ranking.ranked), reverse=True)
    assert ranking.written == tmp_path / "models.arch" and ranking.changed
    assert main.read_text() == MAIN  # the including file is untouched
    text = (tmp_path / "models.arch").read_text()
    assert "pool ladder = [m4, m3, m2, m1]\n" in text
    assert "# the pool, in no particular order yet" in text  # the rest of the file as it was
    assert [m.name for m in load(main).scope({"k": 2})["ladder"]] == ["m4", "m3", "m2", "m1"]


def test_dry_run_and_unchanged_order_write_nothing(tmp_path, rows, cache_dir):
    main = _files(tmp_path)
    ranking = rank_models(main, "ladder", rows, "numeric", sim=True, cache=cache_dir, write=False)
    assert ranking.written is None and (tmp_path / "models.arch").read_text() == MODELS
    write_pool_order(main, "ladder", [1, 3, 0, 2])
    again = rank_models(main, "ladder", rows, "numeric", sim=True, cache=cache_dir)
    assert not again.changed and again.written is None


def test_unknown_pool_suggests_one(tmp_path, rows):
    main = _files(tmp_path)
    with pytest.raises(ArchonError) as info:
        rank_models(main, "ladr", rows, "numeric", sim=True, cache=False)
    assert "ladder" in info.value.diagnostics[0].hint


def test_a_wrapped_pool_is_rewrapped(tmp_path):
    path = tmp_path / "wrapped.arch"
    names = [f"model_number_{i:02d}" for i in range(12)]
    decls = "".join(f'model {n} = "sim/{n}"\n' for n in names)
    path.write_text(decls + "pool big = [" + ",\n            ".join(names) + "]\n", encoding="utf-8")
    write_pool_order(path, "big", list(range(11, -1, -1)))
    text = path.read_text()
    pool_lines = text[text.index("pool big") :].splitlines()
    assert len(pool_lines) > 1 and all(len(line) <= 100 for line in pool_lines)
    assert all(line.startswith(" " * len("pool big = [")) for line in pool_lines[1:])
    assert [m.name for m in load(path).scope({})["big"]] == names[::-1]


def test_pools_that_cannot_be_reordered_in_place(tmp_path):
    path = tmp_path / "odd.arch"
    path.write_text('model a = "sim/a"\nmodel b = "sim/b"\npool p = [a] + [b]\npool q = [a,  # first\n  b]\n')
    with pytest.raises(ArchonError, match="not a list literal"):
        write_pool_order(path, "p", [1, 0])
    with pytest.raises(ArchonError, match="comments inside"):
        write_pool_order(path, "q", [1, 0])
