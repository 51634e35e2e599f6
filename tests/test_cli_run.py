"""`archonc run` and `archonc plan` through the installed entry point, offline on the sim backend."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ARCH = """
archon "small"
model big = "openai/gpt-4o"
param n: int = 2 in 1..4
layer generator { models = [big, "openai/gpt-4o-mini"]; samples = n }
layer critic { model = big }
layer ranker { model = big; top_k = 2 }
layer fuser { model = big }
"""


def archonc(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    found = shutil.which("archonc", path=str(Path(sys.executable).parent))
    command = [found] if found else [sys.executable, "-m", "archon_dsl.cli"]
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def arch(tmp_path: Path) -> Path:
    path = tmp_path / "small.arch"
    path.write_text(ARCH, encoding="utf-8")
    return path


def test_run_prints_the_answer_and_a_summary_then_hits_the_cache_on_rerun(arch, tmp_path):
    trace = tmp_path / "trace.jsonl"
    first = archonc(
        "run",
        str(arch),
        "What is 17 * 23?",
        "--sim",
        "-p",
        "n=1",
        "--cache-dir",
        "cache",
        "--trace",
        str(trace),
        cwd=tmp_path,
    )
    assert first.returncode == 0, first.stderr
    assert "Answer:" in first.stdout
    assert "generator" in first.stderr and "ranker" in first.stderr and "1 query, 0 failed" in first.stderr
    calls = [
        e for e in map(json.loads, trace.read_text(encoding="utf-8").splitlines()) if e["event"] == "call"
    ]
    assert [c["kind"] for c in calls] == ["generator", "generator", "critic", "ranker", "fuser"]
    assert all(c["model"].startswith("sim/") and not c["cached"] for c in calls)
    assert (tmp_path / "cache" / "cache.sqlite").exists()

    again = archonc(
        "run",
        str(arch),
        "What is 17 * 23?",
        "--sim",
        "-p",
        "n=1",
        "--cache-dir",
        "cache",
        "--json",
        cwd=tmp_path,
    )
    assert again.returncode == 0, again.stderr
    result = json.loads(again.stdout)
    assert result["answer"].strip() == first.stdout.strip()
    assert result["calls"] == result["cached_calls"] == 5
    assert [layer["kind"] for layer in result["layers"]] == ["generator", "critic", "ranker", "fuser"]


def test_a_dataset_run_writes_one_line_per_row_and_a_rerun_resumes_everything(arch, tmp_path):
    data = tmp_path / "in.jsonl"
    data.write_text(
        "".join(
            json.dumps({"id": f"r{i}", "question": f"What is {i} + {i}?", "answer": str(2 * i)}) + "\n"
            for i in range(4)
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    first = archonc(
        "run", str(arch), "--data", str(data), "--out", str(out), "--sim", "--no-cache", cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in rows) == ["r0", "r1", "r2", "r3"]
    assert all(r["answer"] and r["error"] is None and r["calls"] == 7 for r in rows)
    assert {r["id"]: r["reference"] for r in rows}["r3"] == "6"
    assert "4 results in" in first.stderr
    assert not (tmp_path / ".archon").exists()  # --no-cache

    again = archonc(
        "run",
        str(arch),
        "--data",
        str(data),
        "--out",
        str(out),
        "--sim",
        "--no-cache",
        "--json",
        cwd=tmp_path,
    )
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert (summary["queries"], summary["resumed"], summary["summary"]["calls"]) == (4, 4, 0)
    assert len(out.read_text(encoding="utf-8").splitlines()) == 4


def test_plan_prints_calls_depth_and_cost_as_text_or_json(arch, tmp_path):
    text = archonc("plan", str(arch), "-p", "n=3", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    assert "9 calls per query" in text.stdout and "depth 4" in text.stdout
    data = archonc("plan", str(arch), "--format", "json", cwd=tmp_path)
    assert data.returncode == 0, data.stderr
    plan = json.loads(data.stdout)
    assert plan["calls"] == {"min": 7, "max": 7} and plan["depth"] == 4


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["run", "{arch}"], 2, "give a question or --data"),
        (["run", "{arch}", "q?", "--data", "x.jsonl"], 2, "not both"),
        (["run", "{arch}", "--data", "x.jsonl"], 2, "--data needs --out"),
        (["run", "{arch}", "q?", "-p", "m=1"], 2, "no parameter named 'm'"),
        (["run", "missing.arch", "q?"], 2, "no such file"),
        (["plan", "{arch}", "--format", "yaml"], 2, "unknown format"),
        (["run", "{arch}", "--data", "missing.jsonl", "--out", "o.jsonl", "--sim"], 2, "no dataset file"),
        # A value outside its domain is a finding about the template (as for `archonc expand`).
        (["run", "{arch}", "q?", "-p", "n=9"], 1, "n=9 is outside its domain 1..4"),
    ],
)
def test_bad_arguments_exit_nonzero_with_a_clear_message(arch, tmp_path, args, code, message):
    result = archonc(*[a.replace("{arch}", str(arch)) for a in args], cwd=tmp_path)
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_sigterm_cancels_a_dataset_run_cleanly():
    import os
    import signal

    import anyio

    from archon_dsl.commands.execute import _until_terminated

    finished = []

    async def forever():
        try:
            await anyio.sleep(30)
        finally:
            finished.append("cleaned up")  # cancellation runs the run's finally blocks (cache, files)
        return ["never"]

    async def quick():
        return ["done"]

    async def terminate_soon():
        async with anyio.create_task_group() as group:

            async def send():
                await anyio.sleep(0.2)
                os.kill(os.getpid(), signal.SIGTERM)

            group.start_soon(send)
            return await _until_terminated(forever)

    assert anyio.run(terminate_soon) is None
    assert finished == ["cleaned up"]
    assert anyio.run(_until_terminated, quick) == ["done"]
