"""`archonc run --messages` and conversation rows in --data, through the installed entry point, on the simulator."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

# Models that are always right, so an answer shows which turn was answered.
ARCH_TEXT = """
archon "oracle"
model m = "sim/oracle" { skill = 1.0 }
layer generator { model = m; samples = 2 }
layer fuser { model = m }
"""
ARCH = "oracle.arch"
CHAT = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "What is 17 * 23?"},
    {"role": "assistant", "content": "Answer: 391"},
    {"role": "user", "content": "What is 12 + 30?"},
]


def archonc(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    (cwd / ARCH).write_text(ARCH_TEXT, encoding="utf-8")
    found = shutil.which("archonc", path=str(Path(sys.executable).parent))
    command = [found] if found else [sys.executable, "-m", "archon_dsl.cli"]
    return subprocess.run(
        [*command, *args], cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_a_conversation_file_is_answered_by_its_last_user_turn(tmp_path):
    (tmp_path / "chat.json").write_text(json.dumps({"messages": CHAT}), encoding="utf-8")
    done = archonc("run", ARCH, "--messages", "chat.json", "--sim", "--no-cache", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["question"] == "What is 12 + 30?" and result["messages"] == CHAT
    assert result["answer"].splitlines()[-1] == "Answer: 42"  # the simulator answers the last turn


def test_bad_messages_on_stdin_exit_2_naming_the_field(tmp_path):
    bad = json.dumps([{"role": "user", "content": "hi"}, {"role": "bot", "content": "x"}])
    done = archonc("run", ARCH, "--messages", "-", "--sim", cwd=tmp_path, stdin=bad)
    assert done.returncode == 2
    assert "--messages standard input: messages[1].role: 'bot' is not one of system, user, assistant" in (
        done.stderr
    )
    both = archonc("run", ARCH, "q?", "--messages", "-", "--sim", cwd=tmp_path, stdin=bad)
    assert both.returncode == 2 and "not both (a question and --messages given)" in both.stderr


def test_turn_rows_write_every_turns_answer_and_resume(tmp_path):
    rows = [
        {"id": "mt1", "turns": ["What is 17 * 23?", "What is 12 + 30?"]},
        {"id": "q1", "question": "What is 5 * 5?"},
    ]
    (tmp_path / "rows.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    args = ("run", ARCH, "--data", "rows.jsonl", "--out", "out.jsonl", "--sim", "--no-cache", "--json")
    first = archonc(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    written = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    by_id = {record["id"]: record for record in written}
    assert [t.splitlines()[-1] for t in by_id["mt1"]["turns"]] == ["Answer: 391", "Answer: 42"]
    assert by_id["mt1"]["answer"] == by_id["mt1"]["turns"][-1] and "turns" not in by_id["q1"]
    again = archonc(*args, cwd=tmp_path)
    assert json.loads(again.stdout)["resumed"] == 2
