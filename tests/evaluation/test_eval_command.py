"""`archonc eval`: three example architectures on 50 questions with --sim, resuming, whole paths through
the loopback provider (HumanEval, MT-Bench with a judge), and usage errors."""

from __future__ import annotations

import json
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archon_dsl.cli import dispatch
from archon_dsl.runtime.isolation import bwrap_status
from tests.support.openai_server import OpenAIServer, Reply

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "suites"
EXAMPLES = [
    ROOT / "examples" / name for name in ("single_model.arch", "best_of_n.arch", "general_purpose.arch")
]
KEY = {"OPENAI_API_KEY": "sk-test-not-a-real-key-123456"}


@pytest.fixture(scope="module")
def server():
    with OpenAIServer() as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(server):
    server.reset()


def evaluate(capsys, *args: str) -> tuple[int, dict | None, str]:
    code = dispatch(["eval", *args, "--json", "--no-progress"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 else None), err


@pytest.mark.slow
def test_three_examples_on_fifty_questions_report_plot_and_resume(tmp_path, capsys):
    out, cache = tmp_path / "eval", tmp_path / "cache"
    args = [*map(str, EXAMPLES), "--suite", "gsm8k", "--data", str(FIXTURES / "gsm8k_50.jsonl")]
    code, report, err = evaluate(capsys, *args, "--sim", "--out", str(out), "--cache-dir", str(cache))
    assert code == 0, err
    assert [a["label"] for a in report["architectures"]] == ["single_model", "best_of_n", "general_purpose"]
    assert report["questions"] == 50 and len(report["comparisons"]) == 3
    for arch in report["architectures"]:
        assert arch["queries"] == 50 and arch["calls"] > 0 and arch["cost_usd"] > 0
        assert arch["score"]["low"] <= arch["score"]["value"] <= arch["score"]["high"]
    single, best_of_n = report["architectures"][:2]
    assert single["calls"] == 50 and best_of_n["calls"] == 50 * 11
    assert json.loads((out / "report.json").read_text())["suite"] == "gsm8k"
    assert (out / "score_vs_cost.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| single_model |" in (out / "report.md").read_text()
    # A second run reads every answer back: nothing is paid again, the numbers are the same.
    code, again, err = evaluate(capsys, *args, "--sim", "--out", str(out), "--cache-dir", str(cache))
    assert code == 0, err
    for first, second in zip(report["architectures"], again["architectures"], strict=True):
        assert second["resumed"] == 50 and second["this_run"]["paid_calls"] == 0
        assert second["score"] == first["score"] and second["cost_usd"] == first["cost_usd"]


def _archonc() -> list[str]:
    found = shutil.which("archonc", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "archon_dsl.cli"]


def _cached_replies(cache: Path) -> int:
    with sqlite3.connect(cache / "cache.sqlite") as db:
        return db.execute("select count(*) from replies").fetchone()[0]


@pytest.mark.slow
def test_ctrl_c_then_rerun_pays_each_call_once(tmp_path):
    # The examples' models on the simulator, each call really waiting 20 ms, so Ctrl-C lands mid-run.
    archs = []
    for example in EXAMPLES[:3]:
        text = example.read_text()
        text = re.sub(r'(model \w+ = "[^"]+")\s*(\{[^}]*\})?', r"\1 { latency = 0.02; sleep = true }", text)
        path = tmp_path / example.name
        path.write_text(text)
        archs.append(str(path))
    out, cache = tmp_path / "eval", tmp_path / "cache"
    command = [
        *_archonc(),
        "eval",
        *archs,
        "--suite",
        "gsm8k",
        "--data",
        str(FIXTURES / "gsm8k_50.jsonl"),
        "--limit",
        "20",
        "--sim",
        "--out",
        str(out),
        "--cache-dir",
        str(cache),
        "--no-progress",
        "--json",
    ]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = out / "results" / "best_of_n.jsonl"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if first.exists() and len(first.read_text().splitlines()) >= 3:
                break
            time.sleep(0.02)
        assert process.poll() is None, process.communicate()[1].decode()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err.decode()
    assert "rerun the same command to resume" in err.decode()
    paid_before = _cached_replies(cache)  # every call answered so far, each stored once
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    runs = {a["label"]: a for a in report["architectures"]}
    # The interrupt lands somewhere after best_of_n's third answer and before the last answer of all
    # (on a busy machine best_of_n may finish first: where exactly is a race, what is paid is not).
    assert runs["single_model"]["resumed"] == 20 and runs["best_of_n"]["resumed"] >= 3
    assert sum(a["resumed"] for a in report["architectures"]) < 60
    paid_after = sum(a["this_run"]["paid_calls"] for a in report["architectures"])
    every_call = sum(a["calls"] for a in report["architectures"])
    assert paid_before + paid_after == every_call == _cached_replies(cache)


def _arch(tmp_path: Path, server: OpenAIServer) -> Path:
    path = tmp_path / "loopback.arch"
    path.write_text(
        f'archon "one model"\nmodel gen = "openai/gen" {{ api_base = "{server.base_url}" }}\n'
        "layer generator { model = gen }\n"
    )
    return path


@pytest.mark.skipif(bwrap_status()[0] is None, reason="needs bubblewrap")
def test_humaneval_whole_path_through_the_loopback_provider(tmp_path, capsys, server, monkeypatch):
    from archon_dsl.suites import get_suite

    monkeypatch.setenv(*next(iter(KEY.items())))
    problems = get_suite("humaneval").load(limit=4)

    def solve(body: dict) -> Reply:
        question = body["messages"][-1]["content"]
        row = next(r for r in problems if r["prompt"] in question)
        return Reply.ok(f"```python\n{row['prompt']}{row['canonical_solution']}```")

    server.set("gen", solve)
    arch = _arch(tmp_path, server)
    code, report, err = evaluate(
        capsys,
        str(arch),
        "--suite",
        "humaneval",
        "--limit",
        "4",
        "--out",
        str(tmp_path / "right"),
        "--no-cache",
    )
    assert code == 0, err
    score = report["architectures"][0]["score"]
    assert (score["metric"], score["value"], score["extra"]["passed"]) == ("pass@1", 100.0, 4)
    server.set("gen", Reply.ok("```python\n    return None\n```"))
    code, report, err = evaluate(
        capsys,
        str(arch),
        "--suite",
        "humaneval",
        "--limit",
        "4",
        "--out",
        str(tmp_path / "wrong"),
        "--no-cache",
    )
    assert code == 0, err
    assert report["architectures"][0]["score"]["value"] == 0.0


def test_mt_bench_two_turns_graded_by_a_judge_declared_in_the_architecture(
    tmp_path, capsys, server, monkeypatch
):
    monkeypatch.setenv(*next(iter(KEY.items())))

    def reply(body: dict) -> Reply:
        messages = body["messages"]
        if any("impartial judge" in m["content"] for m in messages):
            return Reply.ok(
                "Clear and correct. Rating: [[7]]" if "second" not in messages[0]["content"] else "[[9]]"
            )
        return Reply.ok(f"answer to turn {sum(m['role'] == 'user' for m in messages)}")

    server.set("gen", reply)
    code, report, err = evaluate(
        capsys,
        str(_arch(tmp_path, server)),
        "--suite",
        "mt_bench",
        "--data",
        str(FIXTURES / "mt_bench_question.jsonl"),
        "--judge-model",
        "gen",
        "--out",
        str(tmp_path / "out"),
        "--no-cache",
    )
    assert code == 0, err
    arch = report["architectures"][0]
    assert report["judge_model"] == "openai/gen"
    assert arch["score"]["value"] == 8.0 and arch["score"]["extra"]["turn 2"] == 9.0
    assert arch["judge"]["calls"] == 4 and arch["calls"] == 4
    # The second turn is asked with the first and the architecture's answer to it.
    second_turns = [r.body["messages"] for r in server.requests if len(r.body["messages"]) == 4]
    assert len(second_turns) == 2
    assert all(m[2] == {"role": "assistant", "content": "answer to turn 1"} for m in second_turns)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--suite", "nope"], "unknown suite 'nope'"),
        (["--suite", "gsm8k"], "needs its data file"),
        (["--suite", "gsm8k", "--data", "missing.jsonl"], "no such file"),
        (["--suite", "math", "--baseline", "x.jsonl"], "--baseline goes with --suite arena_hard"),
    ],
)
def test_usage_errors_say_what_to_do(tmp_path, capsys, args, message):
    code = dispatch(["eval", str(EXAMPLES[0]), *args, "--sim", "--out", str(tmp_path / "o"), "--no-progress"])
    assert code == 2
    assert message in capsys.readouterr().err


@pytest.mark.skipif(bwrap_status()[0] is None, reason="needs bubblewrap")
def test_samples_give_pass_at_k_with_a_cache_per_sample(tmp_path, capsys, server, monkeypatch):
    from archon_dsl.suites import get_suite

    monkeypatch.setenv(*next(iter(KEY.items())))
    problems = get_suite("mbpp").load(FIXTURES / "mbpp.jsonl")
    asked: dict[str, int] = {}

    def first_right(body: dict) -> Reply:
        question = body["messages"][-1]["content"]
        asked[question] = asked.get(question, 0) + 1
        row = next(r for r in problems if r["question"] == question)
        return Reply.ok(f"```python\n{row['code'] if asked[question] == 1 else 'pass'}\n```")

    server.set("gen", first_right)
    args = [
        str(_arch(tmp_path, server)),
        "--suite",
        "mbpp",
        "--data",
        str(FIXTURES / "mbpp.jsonl"),
        "--samples",
        "2",
        "--out",
        str(tmp_path / "out"),
        "--cache-dir",
        str(tmp_path / "cache"),
    ]
    code, report, err = evaluate(capsys, *args)
    assert code == 0, err
    score = report["architectures"][0]["score"]
    assert (score["value"], score["extra"]["pass@2"], score["extra"]["samples"], score["n"]) == (
        50.0,
        100.0,
        2,
        3,
    )
    assert server.hits["gen"] == 6 and (tmp_path / "cache" / "cache-sample1.sqlite").exists()
    code, again, err = evaluate(capsys, *args)
    assert again["architectures"][0]["resumed"] == 6 and server.hits["gen"] == 6


def test_samples_are_for_code_suites(tmp_path, capsys):
    code, _, err = evaluate(
        capsys,
        str(EXAMPLES[0]),
        "--suite",
        "gsm8k",
        "--data",
        str(FIXTURES / "gsm8k_50.jsonl"),
        "--samples",
        "3",
        "--sim",
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 2 and "--samples goes with the code suites" in err


def test_arena_hard_through_the_loopback_judge_in_both_orders(tmp_path, capsys, server, monkeypatch):
    monkeypatch.setenv(*next(iter(KEY.items())))

    def reply(body: dict) -> Reply:
        messages = body["messages"]
        if not any("impartial judge" in m["content"] for m in messages):
            return Reply.ok("a careful answer")
        a = messages[-1]["content"].split("<|The Start of Assistant A's Answer|>\n")[1]
        return Reply.ok("My final verdict is: [[A>B]]" if a.startswith("a careful") else "[[B>A]]")

    server.set("gen", reply)
    code, report, err = evaluate(
        capsys,
        str(_arch(tmp_path, server)),
        "--suite",
        "arena_hard",
        "--data",
        str(FIXTURES / "arena_hard" / "question.jsonl"),
        "--judge-model",
        "gen",
        "--out",
        str(tmp_path / "o"),
        "--no-cache",
    )
    assert code == 0, err
    arch = report["architectures"][0]
    assert arch["judge"]["calls"] == 6 and arch["score"]["extra"]["unjudged games"] == 0
    assert arch["score"]["extra"]["verdicts (model as A)"]["A>B"] == 6
    assert 50 < arch["score"]["value"] < 100


def test_a_missing_key_is_said_before_any_call(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    code = dispatch(
        [
            "eval",
            str(EXAMPLES[0]),
            "--suite",
            "gsm8k",
            "--data",
            str(FIXTURES / "gsm8k_50.jsonl"),
            "--out",
            str(tmp_path / "o"),
            "--env-file",
            str(tmp_path / "none.env"),
            "--no-progress",
        ]
    )
    assert code == 2 and "OPENAI_API_KEY is not set" in capsys.readouterr().err
    assert not (tmp_path / "o" / "results").exists()


def test_an_out_directory_of_another_suite_is_refused(tmp_path, capsys):
    out = str(tmp_path / "o")
    code, _, err = evaluate(
        capsys,
        str(EXAMPLES[0]),
        "--suite",
        "math",
        "--data",
        str(FIXTURES / "math.jsonl"),
        "--sim",
        "--out",
        out,
        "--no-cache",
    )
    assert code == 0, err
    code, _, err = evaluate(
        capsys,
        str(EXAMPLES[0]),
        "--suite",
        "gsm8k",
        "--data",
        str(FIXTURES / "gsm8k_50.jsonl"),
        "--sim",
        "--out",
        out,
        "--no-cache",
    )
    assert code == 2 and "holds the results of math on" in err
