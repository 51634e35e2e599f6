"""One CLI: every command takes -h, `archonc -h` and `--version` work, and piped output is never wrapped."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import version

import pytest

from archon_dsl.cli import build_parser, main
from archon_dsl.commands.common import UNWRAPPED_WIDTH, console

COMMANDS = [
    "validate",
    "fmt",
    "expand",
    "space",
    "rules",
    "explain",
    "plan",
    "run",
    "search",
    "rank-models",
    "serve",
    "eval",
    "render",
    "import",
    "export",
]


def archonc(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "archon_dsl.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
    )


def test_every_command_is_on_the_one_parser():
    commands = build_parser()._subparsers._group_actions[0].choices
    assert sorted(commands) == sorted(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_every_command_takes_h(capsys, command, flag):
    with pytest.raises(SystemExit) as exited:
        main([command, flag])
    out = capsys.readouterr().out
    assert exited.value.code == 0
    assert out.startswith(f"usage: archonc {command} ")
    assert "<" not in out.replace("<string>", "")  # types shown plainly: no <bool>, <list[str]>


def test_archonc_h_lists_every_command():
    done = archonc("-h")
    assert done.returncode == 0
    for command in COMMANDS:
        assert f"    {command}" in done.stdout
    assert "--version" in done.stdout


def test_no_command_prints_the_help_and_exits_2():
    done = archonc()
    assert done.returncode == 2 and "usage: archonc" in done.stderr


def test_version_comes_from_the_package_metadata():
    import archon_dsl

    done = archonc("--version")
    assert done.returncode == 0 and done.stdout == f"archonc {version('archon-dsl')}\n"
    assert archon_dsl.__version__ == version("archon-dsl")


def test_help_through_a_pipe_is_not_wrapped():
    done = archonc("run", "-h")
    usage = done.stdout.splitlines()[0]
    assert len(usage) > 80 and usage.rstrip().endswith("FILE [QUESTION]")


def test_rich_output_to_a_pipe_is_not_wrapped(tmp_path):
    (tmp_path / "g.arch").write_text('model s = "sim/s"\nlayer generator { model = s }\n')
    (tmp_path / "in.jsonl").write_text('{"id": "1", "question": "What is 1 + 1?"}\n')
    out = (
        tmp_path
        / ("a-directory-with-a-long-name-so-that-the-line-is-wider-than-eighty-columns" * 2)
        / "out.jsonl"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "archon_dsl.cli",
            "run",
            "g.arch",
            "--data",
            "in.jsonl",
            "--out",
            str(out),
            "--sim",
            "--no-cache",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert f"1 results in {out}\n" in done.stderr


def test_a_console_on_a_pipe_is_unwrapped():
    with open(os.devnull, "w") as devnull:
        saved, sys.stdout = sys.stdout, devnull
        try:
            piped = console()
        finally:
            sys.stdout = saved
    assert piped.width == UNWRAPPED_WIDTH and piped.soft_wrap


def test_the_lowest_severity_is_info_everywhere(capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(["rules"])
    listing = capsys.readouterr().out
    assert " info " in listing and " note " not in listing
    path = tmp_path / "t.arch"
    path.write_text(
        'model s = "sim/s"\nparam n: int = 1 in 1..2\n'
        "layer generator { model = s; samples = n }\nlayer ranker { model = s; top_k = 1 }\n"
    )
    with pytest.raises(SystemExit):
        main(["validate", str(path)])
    text = capsys.readouterr().out
    assert ": info: S003 [ranker-top-k]" in text and "(1 info)." in text
    with pytest.raises(SystemExit):
        main(["validate", str(path), "--format", "json"])
    import json

    document = json.loads(capsys.readouterr().out)
    assert document["summary"]["info"] == 1
    assert document["files"][0]["diagnostics"][0]["severity"] == "info"


def test_a_reader_that_goes_away_ends_the_command_quietly():
    process = subprocess.Popen(
        [sys.executable, "-m", "archon_dsl.cli", "explain", "A002"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()  # as `archonc explain A002 | true` does
    assert process.wait(timeout=120) == 141 and process.stderr.read() == b""
