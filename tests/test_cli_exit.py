"""`archonc` exits without interpreter teardown, and only after every output is complete and the cache committed."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

ARCH = """
archon "small"
model s = "sim/s" { skill = 0.9 }
model t = "sim/t" { skill = 0.6 }
layer generator { models = [s, t]; samples = 2 }
layer fuser { model = s }
"""
CALLS_PER_QUERY = 5


def archonc(*args, cwd: Path) -> subprocess.CompletedProcess:
    # As the console script runs it: main() without arguments takes the fast exit.
    return subprocess.run(
        [sys.executable, "-m", "archon_dsl.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_dataset_run_leaves_complete_outputs_and_a_committed_cache(tmp_path):
    (tmp_path / "small.arch").write_text(ARCH, encoding="utf-8")
    rows = [{"id": f"r{i}", "question": f"What is {i} + {i}?", "answer": str(2 * i)} for i in range(12)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    done = archonc(
        "run",
        "small.arch",
        "--data",
        "in.jsonl",
        "--out",
        "out.jsonl",
        "--trace",
        "trace.jsonl",
        "--cache-dir",
        "cache",
        "--no-progress",
        "-j",
        "8",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "12 results in out.jsonl" in done.stderr  # stderr flushed before the exit

    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in out) == sorted(r["id"] for r in rows)
    trace = [json.loads(line) for line in (tmp_path / "trace.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sum(e["event"] == "query" for e in trace) == 12
    assert sum(e["event"] == "call" for e in trace) == 12 * CALLS_PER_QUERY
    with sqlite3.connect(tmp_path / "cache" / "cache.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM replies").fetchone()[0] == 12 * CALLS_PER_QUERY

    again = archonc(
        "run",
        "small.arch",
        "--data",
        "in.jsonl",
        "--out",
        "again.jsonl",
        "--cache-dir",
        "cache",
        "--no-progress",
        "--json",
        cwd=tmp_path,
    )
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)["summary"]
    assert summary["calls"] == summary["cached_calls"] == 12 * CALLS_PER_QUERY


def test_exit_handlers_run_and_buffered_output_is_flushed_before_the_fast_exit(tmp_path):
    probe = (
        "import atexit, sys\n"
        "from archon_dsl import cli\n"
        "atexit.register(lambda: open('handler-ran', 'w').write('yes'))\n"
        "sys.argv = ['archonc', 'rules']\n"
        "cli.main()\n"
        "open('after-main', 'w').write('main returned')\n"  # never reached: main exits the process
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "A002  first-layer-generators" in done.stdout
    assert (tmp_path / "handler-ran").read_text() == "yes"
    assert not (tmp_path / "after-main").exists()


def test_the_exit_code_survives_the_fast_exit(tmp_path):
    assert archonc("validate", "missing.arch", cwd=tmp_path).returncode == 2
    (tmp_path / "bad.arch").write_text('layer fuser { model = "sim/s" }\n', encoding="utf-8")
    assert archonc("validate", "bad.arch", cwd=tmp_path).returncode == 1
