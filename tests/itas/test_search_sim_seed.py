"""The simulator's seed as a keyword: search and rank-models run every configuration (and the judge) at it,
as `--sim-seed` does, without touching the process environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archon_dsl import api

ARCHONC = str(Path(sys.executable).parent / "archonc")
SEARCH = {"strategy": "random", "trials": 4, "sim": True}
POOL = """\
archon "pool"
model m2 = "sim/m2" { skill = 0.35 }
model m3 = "sim/m3" { skill = 0.65 }
pool gens = [m2, m3]
layer generator { models = gens }
layer ranker { model = m3; top_k = 1 }
"""


def archonc(*args, cwd, env=None):
    return subprocess.run(
        [ARCHONC, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300, env=env
    )


def scores(trials) -> list[tuple[dict, float]]:
    return [(t.params, t.score) for t in trials]


@pytest.fixture
def no_seed_env(monkeypatch):
    monkeypatch.delenv("ARCHON_SIM_SEED", raising=False)


def test_search_at_a_keyword_seed_scores_as_the_cli_and_leaves_the_environment(
    known_path, rows_file, tmp_path, no_seed_env
):
    cache = tmp_path / "cache"
    at3 = api.search(known_path, rows_file, "numeric", sim_seed=3, cache=cache, **SEARCH)
    assert "ARCHON_SIM_SEED" not in os.environ
    at4 = api.search(known_path, rows_file, "numeric", sim_seed=4, cache=cache, **SEARCH)
    # The random strategy proposes the same points whatever they score; the seed changes the scores,
    # and a reply cached at seed 3 is not served at seed 4.
    assert [p for p, _ in scores(at3.trials)] == [p for p, _ in scores(at4.trials)]
    assert scores(at3.trials) != scores(at4.trials)

    run = tmp_path / "run"
    options = ["--data", rows_file, "--scorer", "numeric", "--strategy", "random", "--sim"]
    options += ["--out", run, "--cache-dir", tmp_path / "cli-cache", "--no-progress"]
    cli = archonc("search", known_path, *options, "--trials", 4, "--sim-seed", 3, "--json", cwd=tmp_path)
    assert cli.returncode == 0, cli.stderr
    recorded = [json.loads(line) for line in (run / "trials.jsonl").read_text().splitlines()]
    assert [(t["params"], t["score"]) for t in recorded] == scores(at3.trials)
    assert json.loads((run / "state.json").read_text())["sim_seed"] == 3

    other = archonc("search", known_path, *options, "--trials", 5, "--sim-seed", 4, "--resume", cwd=tmp_path)
    assert other.returncode == 2 and "sim_seed = 3, this one has 4" in other.stderr, other.stderr


def test_the_environment_seed_is_the_default_and_is_recorded(known_path, rows_file, tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHON_SIM_SEED", "3")
    by_env = api.search(
        known_path, rows_file, "numeric", cache=tmp_path / "cache", out=tmp_path / "a", **SEARCH
    )
    assert json.loads((tmp_path / "a" / "state.json").read_text())["sim_seed"] == 3
    monkeypatch.delenv("ARCHON_SIM_SEED")
    by_keyword = api.search(known_path, rows_file, "numeric", sim_seed=3, cache=tmp_path / "cache", **SEARCH)
    assert scores(by_env.trials) == scores(by_keyword.trials)
    monkeypatch.setenv("ARCHON_SIM_SEED", "three")
    with pytest.raises(api.ArchonError, match="ARCHON_SIM_SEED='three' is not an integer"):
        api.search(known_path, rows_file, "numeric", cache=False, **SEARCH)


def test_a_seed_with_an_evaluator_of_ones_own_is_refused(known_path, rows, no_seed_env):
    from archon_dsl.itas import ExecutorEvaluator

    with ExecutorEvaluator("numeric", sim=True, cache=False) as evaluator:
        with pytest.raises(api.ArchonError, match="sim_seed applies to the search's own evaluator"):
            api.search(known_path, rows, evaluator=evaluator, sim_seed=3, **SEARCH)


def test_the_judges_calls_carry_the_seed(rows, monkeypatch, no_seed_env):
    from archon_dsl.itas import ExecutorEvaluator
    from archon_dsl.runtime.transports.sim import SimTransport

    seen: list[tuple[str, object]] = []
    send = SimTransport.send

    async def recording(self, request):
        seen.append((request.model.id, request.params.get("seed")))
        return await send(self, request)

    monkeypatch.setattr(SimTransport, "send", recording)
    rows = [dict(r, baseline=f"The answer is {r['distractors'][0]}.") for r in rows[:3]]
    with ExecutorEvaluator("judge", sim=True, sim_seed=3, cache=False) as evaluator:
        evaluator.score_answers([f"It is {r['answer']}." for r in rows], rows)
    assert seen and {seed for _, seed in seen} == {3}, seen


def test_rank_models_at_a_keyword_seed_scores_as_the_cli(rows_file, tmp_path, no_seed_env):
    from archon_dsl.itas.ranking import rank_models

    path = tmp_path / "pool.arch"
    path.write_text(POOL, encoding="utf-8")

    def ranked(seed):
        ranking = rank_models(
            path, "gens", rows_file, "numeric", sim=True, sim_seed=seed, cache=tmp_path / "c", write=False
        )
        return {m.name: m.score for m in ranking.ranked}

    at3 = ranked(3)
    assert at3 != ranked(0)  # the default seed: a reply cached at 3 is not served at 0
    assert "ARCHON_SIM_SEED" not in os.environ
    cli = archonc(
        "rank-models", path, "--pool", "gens", "--data", rows_file, "--scorer", "numeric", "--sim",
        "--sim-seed", 3, "--dry-run", "--json", "--cache-dir", tmp_path / "cli-cache", cwd=tmp_path,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert {m["name"]: m["score"] for m in json.loads(cli.stdout)["models"]} == at3
    assert path.read_text(encoding="utf-8") == POOL
