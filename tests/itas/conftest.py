"""Shared fixtures of the search tests: a small template with a known optimum, rows, and runs on the sim."""

from __future__ import annotations

import pytest

# Generators climb a skill ladder; a ranker (of a chosen skill) picks among the samples. A constraint,
# a budget and a rule (a trailing critic has no consumer: A004, an error) each exclude points.
KNOWN = """\
archon "known-optimum"
model m1 = "sim/m1" { skill = 0.05 }
model m2 = "sim/m2" { skill = 0.35 }
model m3 = "sim/m3" { skill = 0.65 }
model m4 = "sim/m4" { skill = 0.97 }
pool ladder = [m1, m2, m3, m4]
param level: int = 0 in 0..3
param n: int = 1 in 1..4
param judge: int = 3 in 0..3
param critique: bool = false
constraint level + n <= 5
budget calls <= 4
layer generator { models = [ladder[level]]; samples = n }
layer ranker { model = ladder[judge]; top_k = 1 }
if critique { layer critic { model = m4 } }
"""


@pytest.fixture(scope="session")
def known_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("templates") / "known.arch"
    path.write_text(KNOWN, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def rows():
    """Ten arithmetic rows: eight to search on, two held out (split 0.2)."""
    from archon_dsl.datasets import load_dataset

    return load_dataset("arithmetic")[:10]


@pytest.fixture(scope="session")
def rows_file(tmp_path_factory, rows):
    import json

    path = tmp_path_factory.mktemp("data") / "rows.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    """One response cache for every sim run of the session, as a search shares one across trials."""
    return tmp_path_factory.mktemp("cache")


def run_search(known_path, rows, cache_dir, **options):
    from archon_dsl.itas import search

    options.setdefault("sim", True)
    options.setdefault("seed", 0)
    return search(known_path, rows, "numeric", cache=cache_dir, **options)


@pytest.fixture(scope="session")
def sim_search():
    """`sim_search(template_path, rows, cache_dir, **options)`: a search on the simulator, numeric scorer."""
    return run_search


@pytest.fixture(scope="session")
def grid_run(known_path, rows, cache_dir, tmp_path_factory):
    """Every feasible point evaluated: the known optimum."""
    out = tmp_path_factory.mktemp("grid")
    return run_search(known_path, rows, cache_dir, strategy="grid", trials=200, out=out)


@pytest.fixture(scope="session")
def bo_run(known_path, rows, cache_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("bo")
    return run_search(known_path, rows, cache_dir, strategy="bo", trials=10, out=out)


@pytest.fixture(scope="session")
def moo_run(known_path, rows, cache_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("moo")
    return run_search(known_path, rows, cache_dir, strategy="bo", trials=8, objective="score,cost", out=out)
