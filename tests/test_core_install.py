"""A core install (no extras) parses, checks, formats, expands, counts, plans, draws, imports and exports;
a command that needs an extra says which in one line and exits 2."""

from __future__ import annotations

import json
import subprocess
import sys

from archon_testing import ROOT

from archon_dsl.extras import install_message, missing_extra

SCRIPT = ROOT / "tests" / "support" / "without_extras.py"


def without_extras(*commands: list[str], cwd) -> dict:
    """Run `commands` through archonc's dispatch in one process with the extras' modules blocked."""
    done = subprocess.run(
        [sys.executable, str(SCRIPT), json.dumps([list(map(str, c)) for c in commands])],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_front_end_commands_work_without_any_extra(tmp_path):
    examples = ROOT / "examples"
    moa = tmp_path / "moa.arch"
    moa.write_text((examples / "moa.arch").read_text(encoding="utf-8"), encoding="utf-8")
    report = without_extras(
        ["validate", *sorted(examples.glob("*.arch"))],
        ["fmt", "--check", moa],
        ["expand", examples / "general_search.arch", "-p", "depth=3"],
        ["space", examples / "general_search.arch"],
        ["plan", moa],
        ["rules"],
        ["explain", "S004"],
        ["render", moa, "-o", tmp_path / "moa.svg"],
        ["render", moa, "-o", tmp_path / "moa.png"],
        ["render", moa, "--format", "mermaid"],
        ["export", moa, "-o", tmp_path / "moa.json"],
        ["import", tmp_path / "moa.json", "-o", tmp_path / "back.arch"],
        cwd=tmp_path,
    )
    for result in report["results"]:
        assert result["code"] == 0, result
    validate, fmt, expand, space, plan, rules, explain, svg, png, mermaid, export, imported = report[
        "results"
    ]
    assert (
        "All checks passed" in validate["stdout"] + validate["stderr"]
    )  # model ids known from the shipped table
    assert "layer critic" in expand["stdout"]
    assert "configurations" in space["stdout"]
    assert "$" in plan["stdout"]  # priced without litellm
    assert "S004" in rules["stdout"] and "unknown-model" in explain["stdout"]
    assert (tmp_path / "moa.svg").read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg"))
    assert (tmp_path / "moa.png").read_bytes().startswith(b"\x89PNG")
    assert mermaid["stdout"].startswith("flowchart")
    assert json.loads((tmp_path / "moa.json").read_text(encoding="utf-8"))
    assert (tmp_path / "back.arch").read_text(encoding="utf-8").count("layer ") >= 4
    assert report["loaded"] == []


def test_run_and_search_without_their_extra_say_which_to_install(tmp_path):
    report = without_extras(
        ["run", ROOT / "examples" / "best_of_n.arch", "What is 2 + 2?", "--sim"],
        [
            "search",
            ROOT / "examples" / "itas_sim.arch",
            "--data",
            "arithmetic",
            "--scorer",
            "numeric",
            "--trials",
            "2",
            "--out",
            tmp_path / "runs",
        ],
        cwd=tmp_path,
    )
    run, search = report["results"]
    assert (run["code"], run["stdout"], run["stderr"]) == (
        2,
        "",
        'archonc run needs the run extra: pip install "archon-dsl[run]"\n',
    )
    assert (search["code"], search["stdout"], search["stderr"]) == (
        2,
        "",
        'archonc search needs the search extra: pip install "archon-dsl[search]"\n',
    )
    assert not (tmp_path / "runs").exists()  # said before any work


def test_a_missing_module_maps_to_the_extra_that_brings_it():
    assert missing_extra(ModuleNotFoundError("No module named 'litellm'", name="litellm")) == "run"
    assert missing_extra(ModuleNotFoundError("No module named 'ax.core'", name="ax.core")) == "search"
    # search includes run: the search command names search even for one of run's modules
    assert missing_extra(ModuleNotFoundError("No module named 'anyio'", name="anyio"), "search") == "search"
    assert missing_extra(ModuleNotFoundError("No module named 'torch'", name="torch"), "run") == "search"
    assert missing_extra(ModuleNotFoundError("No module named 'yaml'", name="yaml")) is None
    assert missing_extra(ValueError("anyio")) is None
    assert install_message("run", "ad.run") == 'ad.run needs the run extra: pip install "archon-dsl[run]"'


def test_the_api_without_the_run_extra_says_which_to_install():
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); from without_extras import BlockExtras; "
        "sys.meta_path.insert(0, BlockExtras()); import archon_dsl as ad\n"
        "try:\n    ad.run('examples/best_of_n.arch', 'What is 2 + 2?', sim=True)\n"
        "except ModuleNotFoundError as e:\n    print(e)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(SCRIPT.parent)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout == 'archon_dsl.run needs the run extra: pip install "archon-dsl[run]"\n', done.stderr
