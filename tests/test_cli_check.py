"""Nothing runs unchecked: run, plan, search and rank-models check as validate does, and make no call on an error."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from archon_testing import ROOT

import archon_dsl as ad
from tests.support.openai_server import OpenAIServer

ARCHONC = [sys.executable, "-m", "archon_dsl.cli"]


def archonc(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [*ARCHONC, *map(str, args)], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )


@pytest.fixture(scope="module")
def server():
    with OpenAIServer() as running:
        yield running


def on_server(example: str, server: OpenAIServer, tmp_path: Path) -> Path:
    """An invalid example whose models are served by the loopback server, so that calls can be counted."""
    text = (ROOT / "examples" / "invalid" / example).read_text(encoding="utf-8")
    text = re.sub(r'(model \w+ = "openai/[^"]+")', rf'\1 {{ api_base = "{server.base_url}" }}', text)
    path = tmp_path / example
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("example", ["unit_tests_first.arch", "dangling_critic.arch"])
def test_run_and_plan_of_an_invalid_file_print_validate_output_and_make_no_call(example, server, tmp_path):
    path = on_server(example, server, tmp_path)
    validate = archonc("validate", path.name, cwd=tmp_path)
    assert validate.returncode == 1 and "error:" in validate.stdout
    server.reset()
    for command in (["run", path.name, "What is 2 + 2?", "--no-cache"], ["plan", path.name]):
        done = archonc(*command, cwd=tmp_path)
        assert done.returncode == 1, done.stderr
        assert done.stderr == validate.stdout
        assert done.stdout == ""
    data = tmp_path / "in.jsonl"
    data.write_text('{"id": "1", "question": "What is 2 + 2?"}\n', encoding="utf-8")
    dataset = archonc(
        "run", path.name, "--data", data, "--out", tmp_path / "out.jsonl", "--no-cache", cwd=tmp_path
    )
    assert dataset.returncode == 1 and dataset.stderr == validate.stdout
    assert not (tmp_path / "out.jsonl").exists()
    assert server.total_hits == 0

    unchecked = archonc("run", path.name, "What is 2 + 2?", "--no-cache", "--no-check", cwd=tmp_path)
    assert "error:" not in unchecked.stderr.split("\n", 1)[0]
    assert server.total_hits > 0  # --no-check: for people who know better


def test_search_and_rank_models_of_an_invalid_file_make_no_call(server, tmp_path):
    path = on_server("dangling_critic.arch", server, tmp_path)
    text = path.read_text(encoding="utf-8").replace(
        "layer generator { models = [a, b]", "pool both = [a, b]\nlayer generator { models = both"
    )
    path.write_text(text + "param k: int = 1 in 1..2\n", encoding="utf-8")
    validate = archonc("validate", path.name, cwd=tmp_path)
    assert validate.returncode == 1
    data = tmp_path / "rows.jsonl"
    data.write_text('{"id": "1", "question": "What is 2 + 2?", "answer": "4"}\n', encoding="utf-8")
    server.reset()
    search = archonc(
        "search",
        path.name,
        "--data",
        data,
        "--scorer",
        "numeric",
        "--strategy",
        "random",
        "--trials",
        "1",
        "--no-progress",
        "--no-cache",
        cwd=tmp_path,
    )
    assert search.returncode == 1 and search.stderr == validate.stdout.replace(
        validate.stdout.splitlines()[-2] + "\n", ""
    )
    ranking = archonc(
        "rank-models",
        path.name,
        "--pool",
        "both",
        "--data",
        data,
        "--scorer",
        "numeric",
        "--dry-run",
        "--no-cache",
        cwd=tmp_path,
    )
    assert ranking.returncode == 1 and "A004" in ranking.stderr
    assert server.total_hits == 0


def test_warnings_print_and_the_run_goes_on(tmp_path):
    path = tmp_path / "warned.arch"
    path.write_text('model s = "sim/s"\npool unused = [s]\nlayer generator { model = s }\n', encoding="utf-8")
    done = archonc("run", path.name, "What is 2 + 2?", "--sim", "--no-cache", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "warning: S006 [unused-name]" in done.stderr and done.stdout.strip()


def test_the_api_raises_one_typed_exception_before_any_call(server, tmp_path):
    path = on_server("unit_tests_first.arch", server, tmp_path)
    server.reset()
    with pytest.raises(ad.ArchitectureError) as raised:
        ad.run(path, "What is 2 + 2?", cache=None)
    assert {d.code for d in raised.value.diagnostics if d.is_error} == {"A002", "A003", "A006"}
    assert "A00" in str(raised.value) and "more" in str(raised.value)
    for call in (
        lambda: ad.plan(path),
        lambda: ad.run_dataset(path, ["What is 2 + 2?"], cache=None),
        lambda: ad.plan(ad.load(path).instantiate()),
    ):
        with pytest.raises(ad.ArchitectureError):
            call()
    assert server.total_hits == 0
    assert ad.plan(path, check=False).to_dict()["calls"]["max"] > 0
    assert isinstance(ad.ArchitectureError([]), ad.ArchonError)


def test_a_template_is_checked_at_the_configuration_that_runs(tmp_path):
    # The critic dangles only when critique=true: the default point runs, that one does not.
    path = tmp_path / "t.arch"
    path.write_text(
        'model s = "sim/s"\nparam critique: bool = false\nlayer generator { model = s; samples = 2 }\n'
        "if critique { layer critic { model = s } }\nlayer fuser { model = s }\n"
        "if critique { layer critic { model = s } }\n",
        encoding="utf-8",
    )
    assert archonc("plan", path.name, cwd=tmp_path).returncode == 0
    refused = archonc("plan", path.name, "-p", "critique=true", cwd=tmp_path)
    assert refused.returncode == 1 and "A004 [critic-without-consumer]" in refused.stderr
    assert "when" not in refused.stderr
    with pytest.raises(ad.ArchitectureError):
        ad.plan(path, {"critique": True})
    assert json.loads(archonc("plan", path.name, "-f", "json", cwd=tmp_path).stdout)["calls"]["max"] == 3


def test_the_search_api_checks_the_whole_space_first(server, tmp_path):
    path = on_server("dangling_critic.arch", server, tmp_path)
    path.write_text(path.read_text(encoding="utf-8") + "param k: int = 1 in 1..2\n", encoding="utf-8")
    rows = [{"id": "1", "question": "What is 2 + 2?", "answer": "4"}]
    server.reset()
    with pytest.raises(ad.ArchitectureError) as raised:
        ad.search(path, rows, "numeric", strategy="random", trials=1, cache=False)
    assert {"A004", "A005"} <= {d.code for d in raised.value.diagnostics}
    with pytest.raises(ad.ArchitectureError):
        ad.rank_models(path, "nope", rows, "numeric", write=False, cache=False)
    assert server.total_hits == 0
