"""Errors that say what happened: each fault performed through `archonc`, with its message and exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archon_dsl.cli import main

SIM = 'model s = "sim/s"\nlayer generator { model = s }\n'


def archonc(capsys, *args) -> tuple[int, str, str]:
    """Run `archonc ARGS` in this process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exited:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "internal error" not in err, err
    return exited.value.code, out, err


@pytest.fixture
def arch(tmp_path: Path) -> Path:
    path = tmp_path / "g.arch"
    path.write_text(SIM, encoding="utf-8")
    return path


def rows(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "in.jsonl"
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    "content, where, message",
    [
        (
            b'{"id": "1", "question": "a"}\n{"id": "1", "question": "b"}\n',
            ":2:1:",
            "id '1' already used on line 1",
        ),
        (b'{"id": "1", "q": "a"}\n', ":1:1:", "no question"),
        (b'{"id": "1", "question": "caf\xe9"}\n', ":1:29:", "not valid UTF-8"),
    ],
)
def test_a_bad_dataset_is_named_with_its_row(capsys, arch, tmp_path, content, where, message):
    data = rows(tmp_path, content)
    code, _, err = archonc(
        capsys,
        "run",
        arch,
        "--data",
        data,
        "--out",
        tmp_path / "out.jsonl",
        "--sim",
        "--no-cache",
        "--no-progress",
    )
    assert code == 2 and message in err
    assert f"{data}{where} error: D001" in err  # located: the file and its line
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("flag", ["--out", "--trace"])
def test_an_output_that_is_a_directory_is_refused(capsys, arch, tmp_path, flag):
    data = rows(tmp_path, b'{"id": "1", "question": "What is 1 + 1?"}\n')
    args = ["--data", data, "--out", tmp_path / "out.jsonl"] if flag == "--trace" else ["--data", data]
    code, _, err = archonc(capsys, "run", arch, *args, flag, tmp_path, "--sim", "--no-cache", "--no-progress")
    assert code == 2 and f"{flag} {tmp_path} is a directory" in err


def test_dev_null_as_out_is_fine(capsys, arch, tmp_path):
    data = rows(tmp_path, b'{"id": "1", "question": "What is 1 + 1?"}\n')
    code, _, err = archonc(
        capsys, "run", arch, "--data", data, "--out", "/dev/null", "--sim", "--no-cache", "--no-progress"
    )
    assert code == 0, err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_says_disk_full_and_names_the_file(capsys, arch, tmp_path):
    code, _, err = archonc(
        capsys, "run", arch, "What is 1 + 1?", "--trace", "/dev/full", "--sim", "--no-cache"
    )
    assert code == 2 and "cannot write /dev/full: disk full" in err and "rerun" in err
    data = rows(tmp_path, b'{"id": "1", "question": "What is 1 + 1?"}\n')
    code, _, err = archonc(
        capsys, "run", arch, "--data", data, "--out", "/dev/full", "--sim", "--no-cache", "--no-progress"
    )
    assert code == 2 and "disk full" in err


def test_a_read_only_file_system_is_named(capsys, arch, tmp_path):
    read_only = next(
        (
            line.split()[1]
            for line in Path("/proc/mounts").read_text().splitlines()
            if " ro," in f" {line.split()[3]}," and os.path.isdir(line.split()[1])
        ),
        None,
    )
    if read_only is None:
        pytest.skip("no read-only mount on this machine")
    code, _, err = archonc(
        capsys, "run", arch, "What is 1 + 1?", "--trace", Path(read_only) / "t.jsonl", "--sim", "--no-cache"
    )
    assert code == 2 and "read-only file system" in err


def test_100_nested_parentheses_are_a_located_syntax_error(capsys, tmp_path):
    path = tmp_path / "deep.arch"
    path.write_text('layer generator { model = "sim/s"; samples = ' + "(" * 100 + "1" + ")" * 100 + " }\n")
    code, out, _ = archonc(capsys, "validate", path)
    assert code == 1 and f"{path}:1:" in out and "E001 [syntax-error] brackets nested" in out


def test_an_integer_over_4300_digits_is_a_located_syntax_error(capsys, tmp_path):
    path = tmp_path / "big.arch"
    path.write_text('model s = "sim/s"\nlayer generator { model = s; samples = ' + "9" * 5000 + " }\n")
    code, out, _ = archonc(capsys, "validate", path)
    assert (
        code == 1
        and f"{path}:2:40: error: E001 [syntax-error] this integer has more than 4,300 digits" in out
    )


def test_a_lone_surrogate_in_a_parameter_is_a_usage_error(capsys, tmp_path):
    path = tmp_path / "t.arch"
    path.write_text(
        'model s = "sim/s"\nparam n: int = 1 in 1..3\nlayer generator { model = s; samples = n }\n'
    )
    code, _, err = archonc(capsys, "expand", path, "-p", "n=\ud800")
    assert code == 2 and "E006" in err and "is not an integer" in err
    # As a shell passes bytes that are not UTF-8: decoded with surrogates, and printed back.
    done = subprocess.run(
        [sys.executable, "-m", "archon_dsl.cli", "expand", str(path).encode(), b"-p", b"n=\xff"],
        capture_output=True,
    )
    assert done.returncode == 2 and b"is not an integer" in done.stderr and b"Traceback" not in done.stderr
    done = subprocess.run(
        [sys.executable, "-m", "archon_dsl.cli", "run", str(path).encode(), b"\xff?", b"--sim"],
        capture_output=True,
    )
    assert done.returncode == 2 and b"not valid text" in done.stderr


def test_an_error_in_an_included_file_shows_that_files_line(capsys, tmp_path):
    (tmp_path / "models.arch").write_text('model a = "sim/a"\nmodel b = "sim/b" { skill = }\n')
    main_file = tmp_path / "main.arch"
    main_file.write_text('include "models.arch"\nlayer generator { model = a }\nlayer fuser { model = b }\n')
    code, out, _ = archonc(capsys, "validate", main_file)
    assert code == 1
    assert "models.arch:2:29: error: E001" in out and '2 | model b = "sim/b" { skill = }' in out
    code, _, err = archonc(capsys, "run", main_file, "hi", "--sim")
    assert code == 1 and '2 | model b = "sim/b" { skill = }' in err


def test_a_missing_key_is_one_line_and_exit_2(tmp_path):
    path = tmp_path / "needs_key.arch"
    path.write_text('model gpt = "openai/gpt-4o"\nlayer generator { model = gpt }\n')
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    done = subprocess.run(
        [sys.executable, "-m", "archon_dsl.cli", "run", str(path), "hi", "--no-cache"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    assert (
        done.stderr.count("\n") == 1 and "OPENAI_API_KEY is not set" in done.stderr and "--sim" in done.stderr
    )


# -- whole directories (issue 8 §6) --------------------------------------------------------------


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    (tmp_path / "good.arch").write_text(SIM)
    (tmp_path / "latin1.arch").write_bytes(b'# caf\xe9\nlayer generator { model = "sim/s" }\n')
    (tmp_path / "nul.arch").write_bytes(b'model s = "sim/s"\nlayer generator { model = s\x00 }\n')
    (tmp_path / "typo.arch").write_text('model s = "sim/s"\nlayer generatr { model = s }\n')
    return tmp_path


def test_a_directory_with_undecodable_files_reports_every_file(capsys, directory):
    code, out, _ = archonc(capsys, "validate", directory, "--format", "json")
    assert code == 1
    files = {Path(f["path"]).name: f["diagnostics"] for f in json.loads(out)["files"]}
    assert set(files) == {"good.arch", "latin1.arch", "nul.arch", "typo.arch"}
    assert files["good.arch"] == []
    [latin] = files["latin1.arch"]
    assert latin["code"] == "E000" and latin["span"]["line"] == 1 and latin["span"]["column"] == 6
    assert "not UTF-8" in latin["message"]
    [nul] = files["nul.arch"]
    assert nul["code"] == "E001" and nul["span"]["line"] == 2
    assert [d["code"] for d in files["typo.arch"]] == ["E002"]


def test_a_directory_with_undecodable_files_gives_one_sarif_document(capsys, directory):
    code, out, _ = archonc(capsys, "validate", directory, "--format", "sarif")
    assert code == 1
    results = json.loads(out)["runs"][0]["results"]
    uris = {Path(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]).name for r in results}
    assert uris == {"latin1.arch", "nul.arch", "typo.arch"}
    text_code, text, _ = archonc(capsys, "validate", directory)
    assert (
        text_code == 1 and "latin1.arch:1:6: error: E000 [unreadable-file]" in text and "in 4 files" in text
    )


def test_fmt_of_a_directory_formats_the_readable_files(capsys, directory):
    (directory / "messy.arch").write_text('model s="sim/s"\nlayer generator{model=s}\n')
    code, out, err = archonc(capsys, "fmt", directory)
    assert code == 1 and "latin1.arch:1:6: error: E000" in err
    assert f"reformatted {directory / 'messy.arch'}" in out


def test_run_of_a_file_that_is_not_utf8_is_a_usage_error_and_a_missing_include_a_finding(capsys, tmp_path):
    (tmp_path / "latin1.arch").write_bytes(b"# caf\xe9\n" + SIM.encode())
    code, _, err = archonc(capsys, "run", tmp_path / "latin1.arch", "hi", "--sim")
    assert code == 2 and "latin1.arch:1:6: error: E000 [unreadable-file]" in err and "not UTF-8" in err
    (tmp_path / "inc.arch").write_text('include "missing.arch"\n' + SIM)
    code, validated, _ = archonc(capsys, "validate", tmp_path / "inc.arch")
    assert code == 1
    code, _, err = archonc(capsys, "run", tmp_path / "inc.arch", "hi", "--sim")
    assert code == 1 and err == validated
