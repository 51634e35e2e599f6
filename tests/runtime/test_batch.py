"""Dataset runs: reading rows, the append-only output file, and resuming after a cancel or a kill."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from archon_dsl.diagnostics import ArchonError
from archon_dsl.loader import load_text
from archon_dsl.runtime.batch import finished_results, read_rows, run_batch, to_queries
from archon_dsl.runtime.cache import Cache
from archon_dsl.runtime.executor import Executor, Query
from archon_dsl.runtime.provider import Provider
from archon_dsl.runtime.trace import QueryResult
from tests.support.openai_server import OpenAIServer, Reply

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fresh(server):
    server.reset()


def arch_text(server: OpenAIServer) -> str:
    """Three calls a query: two generator samples, then one fuser."""
    return f"""
archon "resumable"
model gen = "openai/gen" {{ api_base = "{server.base_url}" }}
model fuse = "openai/fuse" {{ api_base = "{server.base_url}" }}
layer generator {{ model = gen; samples = 2 }}
layer fuser {{ model = fuse }}
"""


def question_of(body: dict) -> str:
    return body["messages"][-1]["content"]


# -- rows -------------------------------------------------------------------------------


def test_rows_take_question_query_or_prompt_and_keep_ids_and_answers(tmp_path):
    data = tmp_path / "in.jsonl"
    data.write_text(
        '{"id": "a", "question": "What is 1 + 1?", "answer": "2"}\n\n'
        '{"query": "Capital of France?"}\n'
        '{"id": 7, "prompt": "Say hi"}\n', encoding="utf-8",
    )
    queries = to_queries(read_rows(data))
    assert [(q.id, q.question, q.index, q.reference) for q in queries] == [
        ("a", "What is 1 + 1?", 0, "2"), ("1", "Capital of France?", 1, None), ("7", "Say hi", 2, None),
    ]
    assert [q.id for q in to_queries(["first", "second"])] == ["0", "1"]


@pytest.mark.parametrize("lines, message", [
    ('{"question": "a"}\nnot json\n', "in.jsonl:2: not a JSON object"),
    ('["a list"]\n', "in.jsonl:1: expected a JSON object"),
    ('{"id": "x", "question": "a"}\n{"id": "x", "question": "b"}\n', "id 'x' is used twice"),
    ('{"text": "no question field"}\n', "row 1 has no question"),
])
def test_bad_rows_are_clear_errors(tmp_path, lines, message):
    data = tmp_path / "in.jsonl"
    data.write_text(lines, encoding="utf-8")
    with pytest.raises(ArchonError) as error:
        to_queries(read_rows(data), str(data))
    assert message in str(error.value)


def test_a_truncated_last_line_is_cut_off_and_the_finished_rows_are_kept(tmp_path):
    out = tmp_path / "out.jsonl"
    good = [QueryResult(id=str(i), question=f"q{i}", answer=str(i)).to_dict() for i in range(2)]
    out.write_text("".join(json.dumps(row) + "\n" for row in good) + '{"id": "2", "questi', encoding="utf-8")
    done = finished_results(out)
    assert sorted(done) == ["0", "1"] and done["1"].answer == "1"
    assert out.read_text(encoding="utf-8").endswith("}\n")
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2


# -- resuming -----------------------------------------------------------------------------


def test_a_cancelled_batch_leaves_whole_lines_and_resumes_without_repeating_a_call(server, tmp_path):
    stall = {"on": True}
    answered: dict[str, int] = {}  # fuser replies sent, per question

    def fuse(body: dict) -> Reply:
        # "question 5" stalls in its last layer, its generator calls answered and cached:
        # the run is cancelled with that query cut off mid-way and no reply in transit.
        question = question_of(body)
        if stall["on"] and "question 5" in question:
            return Reply.hanging()
        answered[question] = answered.get(question, 0) + 1
        return Reply.ok("fused", latency=0.02)

    server.set("gen", lambda body: Reply.ok(f"draft for {question_of(body)}", latency=0.02))
    server.set("fuse", fuse)
    arch = load_text(arch_text(server)).instantiate()
    cache = Cache(tmp_path / "cache.sqlite")
    out = tmp_path / "out.jsonl"
    queries = [Query(f"question {i}", f"q{i}", i) for i in range(12)]

    def executor() -> Executor:
        return Executor(arch, Provider.for_architecture(arch, cache=cache, env_file=None), concurrency=4)

    async def interrupted() -> None:
        with anyio.CancelScope() as scope:
            seen = []

            def cancel_when_only_the_stalled_one_is_left(result: QueryResult) -> None:
                seen.append(result)
                if len(seen) == 11:
                    scope.cancel()

            await run_batch(executor(), queries, out=out, on_result=cancel_when_only_the_stalled_one_is_left)

    anyio.run(interrupted)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["id"] for line in lines) == sorted(q.id for q in queries if q.id != "q5")
    assert all(json.loads(line)["answer"] == "fused" for line in lines)
    # q5's fuser call hangs unanswered (on a loaded machine it may time out and be retried
    # before the cancel; those retries were never answered, so never paid).
    assert server.hits["gen"] == 24 and sum(answered.values()) == 11

    stall["on"] = False
    starts = []
    batch = anyio.run(lambda: run_batch(
        executor(), queries, out=out, on_start=lambda total, done: starts.append((total, done))))
    assert starts == [(12, 11)] and batch.resumed == 11
    assert [r.id for r in batch.results] == [q.id for q in queries]
    assert all(r.answer == "fused" for r in batch.results)
    assert (batch.results[5].calls, batch.results[5].cached_calls) == (3, 2)
    assert len(out.read_text(encoding="utf-8").splitlines()) == 12
    # Nothing answered was asked again: 12 x 2 generator calls, one answered fuser call per question.
    assert server.hits["gen"] == 24 and sum(answered.values()) == 12 and set(answered.values()) == {1}


def _archonc() -> list[str]:
    found = shutil.which("archonc", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "archon_dsl.cli"]


def test_a_killed_cli_run_resumes_and_no_answered_call_is_made_twice(server, tmp_path):
    stall = {"on": True}

    def fuse(body: dict) -> Reply:
        # Query "question 3" stalls in its last layer until the run is killed: its generator
        # calls are answered (and cached) first, so the resumed run must not ask them again.
        if stall["on"] and "question 3" in question_of(body):
            return Reply.hanging()
        return Reply.ok("fused", latency=0.02)

    server.set("gen", lambda body: Reply.ok(f"draft for {question_of(body)}", latency=0.02))
    server.set("fuse", fuse)
    arch = tmp_path / "resumable.arch"
    arch.write_text(arch_text(server), encoding="utf-8")
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps({"id": f"q{i}", "question": f"question {i}"}) + "\n" for i in range(8)),
                    encoding="utf-8")
    out = tmp_path / "out.jsonl"
    command = [*_archonc(), "run", str(arch), "--data", str(data), "--out", str(out),
               "--cache-dir", str(tmp_path / "cache"), "-j", "4", "--no-progress"]
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-not-a-real-key-123456"}
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if out.exists() and len(out.read_text(encoding="utf-8").splitlines()) == 7 and server.hits["fuse"] == 8:
                break
            time.sleep(0.05)
        assert process.poll() is None, process.communicate()[1].decode()
        # The cache commits its writes in batches every few tens of milliseconds (runtime/cache.py):
        # a reply that lands in the very instant of a SIGKILL is lost whatever the client does.
        time.sleep(0.3)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert server.hits["gen"] == 16 and server.hits["fuse"] == 8  # q3's fuser call hangs, unanswered
    with out.open("a", encoding="utf-8") as f:
        f.write('{"id": "q3", "answ')  # as if the kill had cut a line short

    stall["on"] = False
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in rows) == [f"q{i}" for i in range(8)]
    assert all(r["answer"] == "fused" and r["error"] is None for r in rows)
    q3 = next(r for r in rows if r["id"] == "q3")
    assert (q3["calls"], q3["cached_calls"]) == (3, 2)
    # Nothing answered was asked again: 8 x 2 generator calls, 8 fuser calls + the one that hung.
    assert server.hits["gen"] == 16 and server.hits["fuse"] == 9
    assert "7 resumed" in done.stderr


# -- the Python API -----------------------------------------------------------------------


def test_arun_dataset_on_a_builtin_dataset_with_a_shared_cache(tmp_path):
    from archon_dsl.api import arun_dataset
    from archon_dsl.datasets import load_dataset

    rows = load_dataset("arithmetic")[:4]
    text = """
layer generator { models = ["openai/gpt-4o", "openai/gpt-4o-mini"] }
layer fuser { model = "openai/gpt-4o" }
"""
    cache = Cache(tmp_path / "cache.sqlite")

    async def twice():
        first = await arun_dataset(text, rows, sim=True, cache=cache, concurrency=8)
        second = await arun_dataset(text, "arithmetic", sim=True, cache=cache, concurrency=8)
        return first, second

    first, second = anyio.run(twice)
    assert [r.id for r in first] == [row["id"] for row in rows]
    assert [r.reference for r in first] == [row["answer"] for row in rows]
    assert all(r.error is None and r.answer and r.calls == 3 and r.cached_calls == 0 for r in first)
    assert len(second) == len(load_dataset("arithmetic"))
    assert [r.cached_calls for r in second[:4]] == [3, 3, 3, 3]
    assert [r.answer for r in second[:4]] == [r.answer for r in first]
    cache.close()
