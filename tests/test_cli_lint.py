"""The front-end commands through the real `archonc` entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from archon_testing import ROOT

ARCHONC = [sys.executable, "-m", "archon_dsl.cli"]


def archonc(*args, cwd=ROOT, stdin=None):
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [*ARCHONC, *map(str, args)], cwd=cwd, capture_output=True, text=True, input=stdin, env=env
    )


def test_validate_clean_file_exits_0():
    done = archonc("validate", "examples/best_of_n.arch")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All checks passed" in done.stdout


def test_validate_errors_exit_1_with_code_frame():
    done = archonc("validate", "examples/invalid/typos.arch")
    assert done.returncode == 1
    assert (
        "examples/invalid/typos.arch:6:7: error: E002 [unknown-kind] unknown component kind 'fusor'"
        in done.stdout
    )
    assert "6 | layer fusor { model = gpt4o }" in done.stdout
    assert "help: did you mean 'fuser'?" in done.stdout


def test_syntax_error_exits_1():
    assert archonc("validate", "examples/invalid/syntax.arch").returncode == 1


def test_directory_validates_every_file_below_it():
    done = archonc("validate", "examples", "--format", "json")
    assert done.returncode == 1
    paths = {f["path"] for f in json.loads(done.stdout)["files"]}
    assert "examples/itas.arch" in paths and "examples/invalid/typos.arch" in paths


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "missing.arch"],
        ["validate", "examples/best_of_n.arch", "--format", "xml"],
        ["validate", "examples/best_of_n.arch", "--select", "Q9"],
        ["validate"],
        ["explain", "Z999"],
        ["expand", "examples/itas.arch", "-p", "n_gen=x"],
    ],
)
def test_usage_errors_exit_2(args):
    done = archonc(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_unreadable_file_exits_2(tmp_path):
    bad = tmp_path / "bad.arch"
    bad.write_bytes(b"\xff\xfe not utf-8")
    done = archonc("validate", bad)
    assert done.returncode == 2 and "cannot read" in done.stderr


def test_select_and_ignore():
    done = archonc("validate", "examples/invalid/typos.arch", "--select", "E", "--format", "json")
    codes = [d["code"] for f in json.loads(done.stdout)["files"] for d in f["diagnostics"]]
    assert codes == ["E002", "E003"]
    done = archonc("validate", "examples/invalid/typos.arch", "--ignore", "E,S", "--format", "json")
    assert done.returncode == 0


@pytest.mark.parametrize("fmt", ["sarif", "github"])
def test_machine_formats(fmt):
    done = archonc("validate", "examples/invalid/typos.arch", "--format", fmt)
    assert done.returncode == 1
    assert (
        ("::error file=examples/invalid/typos.arch,line=6" in done.stdout)
        if fmt == "github"
        else json.loads(done.stdout)
    )


def test_fmt_check_and_write(tmp_path):
    path = tmp_path / "a.arch"
    path.write_text('model m="openai/gpt-4o"\nlayer generator{model=m}\n')
    assert archonc("fmt", "--check", path).returncode == 1
    assert archonc("fmt", path).returncode == 0
    assert path.read_text() == 'model m = "openai/gpt-4o"\n\nlayer generator { model = m }\n'
    assert archonc("fmt", "--check", path).returncode == 0
    assert archonc("fmt", "--check", "examples").returncode in (0, 1)


def test_fmt_stdin():
    done = archonc("fmt", "-", stdin="layer generator{model=m}")
    assert done.stdout == "layer generator { model = m }\n"


def test_fmt_broken_file_exits_1_and_keeps_it(tmp_path):
    path = tmp_path / "b.arch"
    path.write_text("layer generator {\n")
    assert archonc("fmt", path).returncode == 1
    assert path.read_text() == "layer generator {\n"


def test_expand_prints_a_concrete_architecture():
    done = archonc("expand", "examples/itas.arch", "-p", "n_gen=2", "-p", "layers=1")
    assert done.returncode == 0, done.stderr
    assert "layer generator { models = [wizardlm, qwen2_72b] }" in done.stdout
    assert "param" not in done.stdout


def test_expand_outside_domain_exits_1():
    done = archonc("expand", "examples/itas.arch", "-p", "n_gen=11")
    assert done.returncode == 1 and "S007" in done.stderr


def test_space_json():
    done = archonc("space", "examples/itas.arch", "--format", "json")
    data = json.loads(done.stdout)
    assert (data["raw"], data["distinct"], data["valid"]) == (25_000, 7_800, 5_928)
    assert data["params"]["f2"]["when"] == "layers >= 3"
    assert data["params"]["f1"]["values"] == [2, 4, 6, 8, 10]


def test_rules_and_explain():
    listing = archonc("rules").stdout
    assert "A002  first-layer-generators" in listing
    text = archonc("explain", "first-layer-generators").stdout
    assert text.startswith("# A002 first-layer-generators (error)") and "## Instead" in text
