"""archonc import and archonc export: files written, reports, exit codes, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from archon_testing import ROOT

from archon_dsl.loader import load

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "archon_json"


def archonc(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "archon_dsl.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=120,
    )


def test_import_writes_the_arch_file_and_reports_with_json_positions(tmp_path):
    out = tmp_path / "moa.arch"
    done = archonc("import", str(FIXTURES / "moa.json"), "-o", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert load(out).instantiate().layers[0].kind == "generator"
    assert f"{FIXTURES / 'moa.json'}:5:101: info: J010 [ignored-key] $.layers[0][0..2].top_k" in done.stdout
    assert f"wrote {out}" in done.stdout


def test_import_of_a_rule_breaking_config_writes_the_file_and_exits_1(tmp_path):
    out = tmp_path / "tests_first.arch"
    done = archonc("import", str(FIXTURES / "unit_tests_first.json"), "-o", str(out))
    assert done.returncode == 1
    assert out.exists()
    assert f"{out}:" in done.stdout and "A002 [first-layer-generators]" in done.stdout
    assert "A003" in done.stdout and "Traceback" not in done.stdout + done.stderr


def test_import_to_stdout_keeps_the_report_on_stderr():
    done = archonc("import", str(FIXTURES / "mixed_kinds.json"))
    assert done.returncode == 1
    assert done.stdout.startswith("# Imported from mixed_kinds.json")
    assert "A001 [one-kind-per-layer]" in done.stderr


def test_import_no_check_reports_only_the_import(tmp_path):
    done = archonc(
        "import", str(FIXTURES / "unit_tests_first.json"), "-o", str(tmp_path / "x.arch"), "--no-check"
    )
    assert done.returncode == 0 and "A002" not in done.stdout


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "broken").glob("*.json")))
def test_broken_configs_exit_1_with_a_message_and_no_traceback(name, tmp_path):
    out = tmp_path / "x.arch"
    done = archonc("import", str(FIXTURES / "broken" / name), "-o", str(out))
    assert done.returncode == 1
    assert f"{name}:" in done.stderr and " J00" in done.stderr
    assert "Traceback" not in done.stderr and not out.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["import", "no-such.json"], "no such file"),
        (["import", "tests"], "is a directory"),
        (["export", "no-such.arch"], "no such file"),
    ],
)
def test_usage_errors_exit_2(args, message):
    done = archonc(*args)
    assert done.returncode == 2 and message in done.stderr


def test_export_writes_json_that_imports_back(tmp_path):
    out = tmp_path / "config.json"
    done = archonc("export", str(ROOT / "tests" / "render_golden" / "pipeline.arch"), "-o", str(out))
    assert done.returncode == 0, done.stderr
    config = json.loads(out.read_text())
    assert [layer[0]["type"] for layer in config["layers"]] == [
        "generator",
        "critic",
        "ranker",
        "fuser",
        "verifier",
        "fuser",
    ]
    again = archonc("import", str(out), "-o", str(tmp_path / "again.arch"))
    assert again.returncode == 0, again.stdout


def test_export_of_a_template_says_which_configuration_it_wrote():
    done = archonc("export", str(ROOT / "tests" / "render_golden" / "template.arch"), "-p", "depth=2")
    assert done.returncode == 0
    assert len(json.loads(done.stdout)["layers"]) == 1 + 2 * 3 + 1
    assert "J022" not in done.stderr
    default = archonc("export", str(ROOT / "tests" / "render_golden" / "template.arch"))
    assert (
        "J022 [default-configuration]" in default.stderr and "n_gen=2, depth=1, rank=true" in default.stderr
    )


def test_export_of_an_unexportable_model_exits_1(tmp_path):
    path = tmp_path / "sim.arch"
    path.write_text('layer generator { model = "sim/echo" }\n')
    done = archonc("export", str(path), "-o", str(tmp_path / "out.json"))
    assert done.returncode == 1 and "J020 [not-exportable]" in done.stderr
    assert not (tmp_path / "out.json").exists()
