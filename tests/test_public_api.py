"""The package-level API: load, check, plan, run, render, search are functions, whatever was imported before."""

from __future__ import annotations

import importlib

from archon_testing import ROOT

import archon_dsl as ad


def test_public_names_stay_functions_after_their_modules_are_imported():
    for module in ("archon_dsl.checker", "archon_dsl.planner", "archon_dsl.diagrams", "archon_dsl.itas", "archon_dsl.api"):
        importlib.import_module(module)
    for name in ("load", "check", "plan", "run", "arun", "render", "search", "rank_models"):
        assert callable(getattr(ad, name)), name


def test_check_plan_and_render_from_a_path():
    path = ROOT / "examples" / "best_of_n.arch"
    result = ad.check(str(path))
    assert result.errors == [] and result.valid == 1
    arch = ad.load(path).instantiate()
    assert ad.plan(arch).to_dict()["calls"] == {"min": 11, "max": 11}
    assert ad.render(arch, "dot").startswith(b"digraph")


def test_run_on_the_simulator():
    arch = ad.load(ROOT / "examples" / "best_of_n.arch").instantiate()
    result = ad.run(arch, "What is 6 * 7?", sim=True, cache=None)
    assert result.error is None and result.answer


def test_an_architecture_of_sim_models_runs_without_the_sim_flag():
    arch = ad.load_text('model s = "sim/s" { skill = 0.9 }\nlayer generator { model = s; samples = 3 }\nlayer ranker { model = s; top_k = 1 }').instantiate()
    [result] = ad.run_dataset(arch, [{"id": "1", "question": "What is 12 + 30?", "answer": "42"}], cache=None)
    assert result.error is None and "42" in result.answer
