"""`archonc search` and `archonc rank-models` through the installed entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ARCHONC = str(Path(sys.executable).parent / "archonc")


def archonc(*args, cwd):
    return subprocess.run([ARCHONC, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_search_writes_its_outputs_and_resumes(known_path, rows_file, tmp_path):
    common = [
        known_path,
        "--data",
        rows_file,
        "--scorer",
        "numeric",
        "--strategy",
        "greedy",
        "--sim",
        "--out",
        tmp_path / "run",
        "--cache-dir",
        tmp_path / "cache",
        "--no-progress",
    ]
    first = archonc("search", *common, "--trials", "4", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "best: trial" in first.stdout and "held-out" in first.stdout
    for name in (
        "best.arch",
        "trials.jsonl",
        "trials.csv",
        "result.json",
        "state.json",
        "best_so_far.png",
        "pareto.png",
    ):
        assert (tmp_path / "run" / name).exists(), name

    again = archonc("search", *common, "--trials", "4", cwd=tmp_path)
    assert again.returncode == 2 and "already holds a search" in again.stderr and "--resume" in again.stderr

    resumed = archonc("search", *common, "--trials", "6", "--resume", "--json", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    assert result["evaluations"] == 6 and result["strategy"] == "greedy"
    lines = (tmp_path / "run" / "trials.jsonl").read_text().splitlines()
    assert len(lines) == 6


def test_search_usage_errors_exit_2(known_path, rows_file, tmp_path):
    bad_strategy = archonc(
        "search",
        known_path,
        "--data",
        rows_file,
        "--scorer",
        "numeric",
        "--strategy",
        "annealing",
        cwd=tmp_path,
    )
    assert bad_strategy.returncode == 2 and "unknown strategy" in bad_strategy.stderr
    bad_scorer = archonc(
        "search",
        known_path,
        "--data",
        rows_file,
        "--scorer",
        "numerc",
        "--sim",
        "--no-progress",
        "--cache-dir",
        tmp_path / "cache",
        cwd=tmp_path,
    )
    assert bad_scorer.returncode == 2 and "numeric" in bad_scorer.stderr
    assert "Traceback" not in bad_scorer.stderr
    no_out = archonc(
        "search", known_path, "--data", rows_file, "--scorer", "numeric", "--resume", cwd=tmp_path
    )
    assert no_out.returncode == 2 and "--out" in no_out.stderr
    bad_data = archonc(
        "search",
        known_path,
        "--data",
        "no_such.jsonl",
        "--scorer",
        "numeric",
        "--sim",
        "--no-progress",
        cwd=tmp_path,
    )
    assert bad_data.returncode == 2 and "no_such.jsonl" in bad_data.stderr


def test_rank_models_dry_run_prints_the_order(tmp_path, rows_file):
    path = tmp_path / "pool.arch"
    text = (
        'archon "p"\nmodel m1 = "sim/m1" { skill = 0.05 }\nmodel m4 = "sim/m4" { skill = 0.97 }\n'
        "pool gens = [m1, m4]\nlayer generator { models = gens }\nlayer ranker { model = m4; top_k = 1 }\n"
    )
    path.write_text(text)
    dry = archonc(
        "rank-models",
        path,
        "--pool",
        "gens",
        "--data",
        rows_file,
        "--scorer",
        "numeric",
        "--sim",
        "--dry-run",
        "--json",
        "--cache-dir",
        tmp_path / "cache",
        cwd=tmp_path,
    )
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["order"] == ["m4", "m1"]
    assert path.read_text() == text
    real = archonc(
        "rank-models",
        path,
        "--pool",
        "gens",
        "--data",
        rows_file,
        "--scorer",
        "numeric",
        "--sim",
        "--cache-dir",
        tmp_path / "cache",
        cwd=tmp_path,
    )
    assert real.returncode == 0, real.stderr
    assert "wrote the new order of 'gens'" in real.stdout, real.stdout
    assert "pool gens = [m4, m1]" in path.read_text()
