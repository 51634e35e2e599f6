"""Dataset runs: reading rows, the append-only output file, and resuming after a cancel or a kill."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from archon_dsl.datasets import read_rows
from archon_dsl.diagnostics import ArchonError
from archon_dsl.loader import load_text
from archon_dsl.runtime.batch import error_kind, failure_summary, finished_results, run_batch, to_queries
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
        '{"id": 7, "prompt": "Say hi"}\n',
        encoding="utf-8",
    )
    queries = to_queries(read_rows(data))
    assert [(q.id, q.question, q.index, q.reference) for q in queries] == [
        ("a", "What is 1 + 1?", 0, "2"),
        ("1", "Capital of France?", 1, None),
        ("7", "Say hi", 2, None),
    ]
    assert [q.id for q in to_queries(["first", "second"])] == ["0", "1"]


@pytest.mark.parametrize(
    "lines, message",
    [
        ('{"question": "a"}\nnot json\n', "in.jsonl:2: line 2: not valid JSON"),
        ('["a list"]\n', "in.jsonl:1: line 1: expected a JSON object"),
        (
            '{"id": "x", "question": "a"}\n{"id": "x", "question": "b"}\n',
            "in.jsonl:2: line 2: id 'x' already used on line 1",
        ),
        ('{"text": "no question field"}\n', "in.jsonl:1: line 1: no question"),
    ],
)
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
    batch = anyio.run(
        lambda: run_batch(
            executor(), queries, out=out, on_start=lambda total, done: starts.append((total, done))
        )
    )
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
    data.write_text(
        "".join(json.dumps({"id": f"q{i}", "question": f"question {i}"}) + "\n" for i in range(8)),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    command = [
        *_archonc(),
        "run",
        str(arch),
        "--data",
        str(data),
        "--out",
        str(out),
        "--cache-dir",
        str(tmp_path / "cache"),
        "-j",
        "4",
        "--no-progress",
    ]
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-not-a-real-key-123456"}
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if (
                out.exists()
                and len(out.read_text(encoding="utf-8").splitlines()) == 7
                and server.hits["fuse"] == 8
            ):
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


# -- failed rows ----------------------------------------------------------------------------


def _rows(n: int) -> list[dict]:
    return [{"id": f"q{i}", "question": f"question {i}"} for i in range(n)]


def _api_run(server, tmp_path, out, rows, **options):
    from archon_dsl.api import arun_dataset

    arch = load_text(arch_text(server)).instantiate()
    cache = Cache(tmp_path / "cache.sqlite")
    provider = Provider.for_architecture(arch, cache=cache, env_file=None)
    try:
        return anyio.run(
            lambda: arun_dataset(arch, rows, out=out, provider=provider, concurrency=4, **options)
        )
    finally:
        cache.close()


def test_failed_rows_run_again_and_the_file_keeps_one_line_per_id(server, tmp_path):
    broken = {"q1", "q3"}

    def fuse(body: dict) -> Reply:
        asked = re.search(r"question (\d+)", json.dumps(body["messages"])).group(1)
        if f"q{asked}" in broken:
            return Reply.error(400)
        return Reply.ok("fused")

    server.set("gen", lambda body: Reply.ok(f"draft for {question_of(body)}"))
    server.set("fuse", fuse)
    out = tmp_path / "out.jsonl"
    first = _api_run(server, tmp_path, out, _rows(5))
    assert [r.id for r in first if r.error] == ["q1", "q3"]
    assert "BadRequestError" in first[1].error
    summary = failure_summary(first)
    assert summary.startswith("2 rows failed: BadRequestError x2 (first: row q1: layer 1 (fuser)")

    # --keep-failed: a failed row counts as done, nothing is asked.
    hits = server.total_hits
    kept = _api_run(server, tmp_path, out, _rows(5), keep_failed=True)
    assert server.total_hits == hits and [r.id for r in kept if r.error] == ["q1", "q3"]

    broken.clear()
    second = _api_run(server, tmp_path, out, _rows(5))
    assert all(r.error is None and r.answer == "fused" for r in second)
    assert failure_summary(second) is None
    # Only the two failed rows ran again, their generator replies from the cache.
    assert server.total_hits == hits + 2
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["q0", "q2", "q4", "q1", "q3"] or sorted(r["id"] for r in rows) == [
        f"q{i}" for i in range(5)
    ]
    assert len(rows) == 5 and all(r["error"] is None for r in rows)
    assert not (tmp_path / "out.jsonl.lock").exists()


def test_the_last_record_of_an_id_wins_when_a_file_was_not_compacted(tmp_path):
    out = tmp_path / "out.jsonl"
    failed = QueryResult(id="a", question="q", error="RateLimitError: slow down").to_dict()
    answered = QueryResult(id="a", question="q", answer="42").to_dict()
    out.write_text(json.dumps(failed) + "\n" + json.dumps(answered) + "\n", encoding="utf-8")
    assert finished_results(out)["a"].answer == "42"
    out.write_text(json.dumps(answered) + "\n" + json.dumps(failed) + "\n", encoding="utf-8")
    assert finished_results(out)["a"].error == "RateLimitError: slow down"
    assert finished_results(out, keep_failed=False) == {}


def test_the_summary_names_the_first_error_of_each_kind():
    results = [
        QueryResult(id="1", question="q", answer="x"),
        QueryResult(
            id="12",
            question="q",
            error="layer 0 (generator): all 2 call(s) failed; first error: "
            "RateLimitError: litellm.RateLimitError: slow down",
        ),
        QueryResult(id="13", question="q", error="RateLimitError: again"),
        QueryResult(id="14", question="q", error="no candidate is left after the last layer"),
        QueryResult(id="15", question="q", error="Timeout: request timed out " + "x" * 400),
    ]
    summary = failure_summary(results)
    assert summary.startswith("4 rows failed: RateLimitError x2 (first: row 12: layer 0 (generator)")
    assert "error x1 (first: row 14: no candidate is left" in summary
    assert "Timeout x1 (first: row 15: Timeout: request timed out xxx" in summary
    assert len(summary) < 800  # each first error is shortened
    assert error_kind("APIConnectionError: Connection error.") == "APIConnectionError"


# -- an --out that is not ours is never touched ---------------------------------------------


@pytest.mark.parametrize(
    "name, content",
    [
        ("notes.txt", "my notes\nimportant: do not lose this\nno newline at the end"),
        ("notes.txt", "important"),
        ("data.bin", bytes(range(256)) * 40 + b"\n\x00\xff tail"),
        ("other.jsonl", '{"id": 1, "question": "a row of a dataset, not a result"}\n'),
        (
            "mixed.jsonl",
            json.dumps(QueryResult(id="a", question="q", answer="1").to_dict()) + "\nimportant\n",
        ),
    ],
)
def test_an_out_that_is_not_our_output_is_refused_untouched(server, tmp_path, name, content):
    from archon_dsl.runtime.batch import OutputError

    out = tmp_path / name
    data = content.encode() if isinstance(content, str) else content
    out.write_bytes(data)
    with pytest.raises(OutputError) as error:
        _api_run(server, tmp_path, out, _rows(3))
    assert f"--out {out} exists and is not this tool's resumable output" in str(error.value)
    assert "left untouched" in str(error.value)
    assert out.read_bytes() == data
    assert server.total_hits == 0 and not (tmp_path / f"{name}.lock").exists()


def test_an_out_that_is_a_directory_is_refused(tmp_path):
    from archon_dsl.runtime.batch import OutputError, ResultsFile

    with pytest.raises(OutputError, match="is a directory"):
        ResultsFile(tmp_path)


# -- one run per output file ------------------------------------------------------------------


def test_a_second_run_on_the_same_out_is_refused_and_says_who_holds_it(server, tmp_path):
    import threading

    from archon_dsl.runtime.batch import OutputError

    started = threading.Event()

    def gen(body: dict) -> Reply:
        started.set()
        return Reply.ok(f"draft for {question_of(body)}", latency=0.05)

    server.set("gen", gen)
    server.set("fuse", Reply.ok("fused"))
    out = tmp_path / "out.jsonl"
    outcomes: dict[str, object] = {}

    def first() -> None:
        outcomes["first"] = _api_run(server, tmp_path, out, _rows(8))

    runner = threading.Thread(target=first)
    runner.start()
    assert started.wait(30)
    with pytest.raises(OutputError) as error:
        _api_run(server, tmp_path, out, _rows(8))
    runner.join(60)
    message = str(error.value)
    assert (
        f"--out {out} is in use by another run (pid {os.getpid()} on " in message and "started 20" in message
    )
    assert all(r.error is None for r in outcomes["first"])
    assert server.hits["gen"] == 16 and server.hits["fuse"] == 8  # every call made once
    assert len(out.read_text(encoding="utf-8").splitlines()) == 8


def test_two_cli_runs_on_one_out_make_every_call_once(server, tmp_path):
    # Slow enough that the first run is still going while the second one starts (a process start
    # takes seconds on a loaded machine): six queries, one after the other, a second each.
    server.set("gen", lambda body: Reply.ok(f"draft for {question_of(body)}", latency=1.0))
    server.set("fuse", Reply.ok("fused"))
    arch = tmp_path / "resumable.arch"
    arch.write_text(arch_text(server), encoding="utf-8")
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in _rows(6)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    command = [
        *_archonc(),
        "run",
        str(arch),
        "--data",
        str(data),
        "--out",
        str(out),
        "--cache-dir",
        str(tmp_path / "cache"),
        "-j",
        "2",
        "--no-progress",
    ]
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-not-a-real-key-123456"}
    first = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.hits["gen"] == 0 and first.poll() is None:
            time.sleep(0.02)
        second = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert first.wait(120) == 0, first.communicate()[1].decode()
    finally:
        if first.poll() is None:
            first.kill()
    assert second.returncode == 2, second.stderr
    assert (
        f"is in use by another run (pid {first.pid} on " in second.stderr and "Traceback" not in second.stderr
    )
    assert server.hits["gen"] == 12 and server.hits["fuse"] == 6
    assert len(out.read_text(encoding="utf-8").splitlines()) == 6


# -- a full disk ------------------------------------------------------------------------------


def test_a_full_disk_stops_cleanly_and_the_rerun_loses_nothing(server, tmp_path, monkeypatch):
    import errno

    from archon_dsl.runtime import batch as batch_module
    from archon_dsl.runtime.batch import OutputError

    server.set("gen", lambda body: Reply.ok(f"draft for {question_of(body)}"))
    server.set("fuse", Reply.ok("fused"))
    out = tmp_path / "out.jsonl"
    real_write = os.write
    lines = {"n": 0}

    def write(fd, data):
        if fd > 2 and bytes(data[:7]) == b'{"id": ':
            lines["n"] += 1
            if lines["n"] > 4:  # the fifth line finds the disk full, half written
                real_write(fd, bytes(data[:20]))
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(batch_module.os, "write", write)
    with pytest.raises(OutputError) as error:
        _api_run(server, tmp_path, out, _rows(10))
    assert str(error.value) == f"disk full: cannot write --out {out}; the whole lines already in it are kept"
    assert "rerun the same command" in error.value.diagnostics[0].hint
    text = out.read_text(encoding="utf-8")
    assert text.endswith("}\n") and len(text.splitlines()) == 4  # no half line left
    assert not (tmp_path / "out.jsonl.lock").exists()

    written = {json.loads(line)["id"]: json.loads(line) for line in text.splitlines()}
    before = server.total_hits
    monkeypatch.setattr(batch_module.os, "write", real_write)
    results = _api_run(server, tmp_path, out, _rows(10))
    assert all(r.error is None for r in results) and len(out.read_text(encoding="utf-8").splitlines()) == 10
    assert all(
        written[r.id]["latency_s"] == r.latency_s for r in results if r.id in written
    )  # kept, not rerun
    # The rows written before the stop were not asked again; the fifth query (whose line did not fit)
    # was answered before the stop, so its calls come from the cache.
    assert server.total_hits - before <= 5 * 3


def test_a_failing_fsync_counts_as_a_full_disk(server, tmp_path, monkeypatch):
    import errno

    from archon_dsl.runtime import batch as batch_module
    from archon_dsl.runtime.batch import OutputError

    server.set("gen", Reply.ok("draft"))
    server.set("fuse", Reply.ok("fused"))

    def fsync(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(batch_module.os, "fsync", fsync)
    out = tmp_path / "out.jsonl"
    with pytest.raises(OutputError, match="^disk full"):
        _api_run(server, tmp_path, out, _rows(3))
    assert out.read_bytes() == b""


def test_out_dev_full_says_disk_full_and_exits_2(server, tmp_path):
    server.set("gen", Reply.ok("draft"))
    server.set("fuse", Reply.ok("fused"))
    arch = tmp_path / "resumable.arch"
    arch.write_text(arch_text(server), encoding="utf-8")
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in _rows(3)), encoding="utf-8")
    command = [
        *_archonc(),
        "run",
        str(arch),
        "--data",
        str(data),
        "--out",
        "/dev/full",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--no-progress",
    ]
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-not-a-real-key-123456"}
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "disk full: cannot write --out /dev/full" in done.stderr and "Traceback" not in done.stderr


def test_the_cli_summary_names_the_first_error_of_each_kind_and_a_rerun_retries(server, tmp_path):
    broken = {"on": True}

    def fuse(body: dict) -> Reply:
        asked = re.search(r"question (\d+)", json.dumps(body["messages"])).group(1)
        return Reply.error(400) if broken["on"] and asked in ("1", "2") else Reply.ok("fused")

    server.set("gen", lambda body: Reply.ok(f"draft for {question_of(body)}"))
    server.set("fuse", fuse)
    arch = tmp_path / "resumable.arch"
    arch.write_text(arch_text(server), encoding="utf-8")
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in _rows(4)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    command = [
        *_archonc(),
        "run",
        str(arch),
        "--data",
        str(data),
        "--out",
        str(out),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--no-progress",
    ]
    env = {**os.environ, "OPENAI_API_KEY": "sk-test-not-a-real-key-123456", "COLUMNS": "300"}
    first = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 1, first.stderr
    assert "2 rows failed: BadRequestError x2 (first: row q1: layer 1 (fuser)" in " ".join(
        first.stderr.split()
    )
    broken["on"] = False
    second = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert "2 queries run, 2 resumed" in second.stderr and "rows failed" not in second.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in rows) == ["q0", "q1", "q2", "q3"] and all(r["error"] is None for r in rows)


@pytest.mark.parametrize(
    "data, out, message",
    [
        (
            "rows",
            "notes.txt",
            "--out notes.txt exists and is not this tool's resumable output (line 1 is not JSON)",
        ),
        ("/dev/zero", "out.jsonl", "dataset '/dev/zero' is a device or socket, not a regular file"),
        ("fifo", "out.jsonl", "is a FIFO, not a regular file"),
        (
            "bad-utf8",
            "out.jsonl",
            "data.jsonl:2:15: error: D001 [bad-dataset] line 2: not valid UTF-8 (byte 0xff at column 15)",
        ),
    ],
)
def test_the_cli_refuses_bad_data_and_foreign_outs_with_exit_2_and_touches_nothing(
    tmp_path, data, out, message
):
    arch = tmp_path / "g.arch"
    arch.write_text('layer generator { model = "sim/writer" }\n', encoding="utf-8")
    rows = tmp_path / "data.jsonl"
    rows.write_bytes(b'{"question": "2 + 2?"}\n' + (b'{"question": "\xff"}\n' if data == "bad-utf8" else b""))
    if data == "fifo":
        os.mkfifo(tmp_path / "fifo")
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"my notes\nimportant")
    source = {"rows": str(rows), "bad-utf8": str(rows), "fifo": str(tmp_path / "fifo")}.get(data, data)
    done = subprocess.run(
        [
            *_archonc(),
            "run",
            str(arch),
            "--data",
            source,
            "--out",
            str(tmp_path / out),
            "--sim",
            "--no-cache",
            "--no-progress",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert message in done.stderr.replace(str(tmp_path) + "/", "")
    assert "Traceback" not in done.stderr
    assert notes.read_bytes() == b"my notes\nimportant"
    assert not (tmp_path / "out.jsonl").exists() and not (tmp_path / "notes.txt.lock").exists()


def test_an_out_on_a_read_only_file_system_is_a_clear_error(tmp_path, monkeypatch):
    import errno

    from archon_dsl.runtime import batch as batch_module
    from archon_dsl.runtime.batch import OutputError, ResultsFile

    def read_only(path, flags, mode=0o777):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(batch_module.os, "open", read_only)
    with pytest.raises(OutputError) as error:
        ResultsFile(tmp_path / "out.jsonl")
    assert str(error.value) == (
        f"cannot write --out {tmp_path / 'out.jsonl'}: cannot create its lock file "
        f"{tmp_path / 'out.jsonl.lock'}: read-only file system"
    )


def test_a_device_out_is_written_not_resumed_or_locked(server, tmp_path):
    server.set("gen", Reply.ok("draft"))
    server.set("fuse", Reply.ok("fused"))
    results = _api_run(server, tmp_path, "/dev/null", _rows(3))  # fsync on /dev/null is EINVAL: not an error
    assert [r.answer for r in results] == ["fused"] * 3
    assert not Path("/dev/null.lock").exists()
