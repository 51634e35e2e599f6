"""The package-level API: load, check, plan, run, render, search are functions, whatever was imported before."""

from __future__ import annotations

import importlib

import pytest
from archon_testing import ROOT

import archon_dsl as ad


def test_public_names_stay_functions_after_their_modules_are_imported():
    for module in (
        "archon_dsl.checker",
        "archon_dsl.planner",
        "archon_dsl.diagrams",
        "archon_dsl.itas",
        "archon_dsl.api",
    ):
        importlib.import_module(module)
    for name in ("load", "check", "plan", "run", "arun", "render", "search", "rank_models"):
        assert callable(getattr(ad, name)), name


def test_check_plan_and_render_from_a_path():
    path = ROOT / "examples" / "best_of_n.arch"
    result = ad.check(str(path))
    assert result.errors == [] and result.valid == 1
    arch = ad.load(path).instantiate()
    assert ad.plan(arch).to_dict()["calls"] == {"min": 11, "max": 11}
    assert ad.render(arch, "dot").startswith("digraph")


def test_render_gives_text_for_text_formats_bytes_for_png_and_takes_params():
    path = ROOT / "examples" / "general_search.arch"
    assert ad.render(path, "mermaid", {"depth": 3}).startswith("flowchart")
    assert ad.render(path, "dot", {"depth": 3}).count("critic</b>") == 3
    assert ad.render(ad.load(path), "dot", {"depth": 2}).count("critic</b>") == 2
    assert ad.render(path, "svg").lstrip().startswith(("<?xml", "<svg"))
    assert ad.render(path, "png", dpi=72).startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="not to a concrete Architecture"):
        ad.render(ad.load(path).instantiate(), "dot", {"depth": 3})


def test_check_takes_the_validate_options_as_keywords():
    text = 'layer generator { model = "openai/gpt-4o"; samples = 0 }'
    assert [d.code for d in ad.check(text).errors] == ["S012"]
    assert ad.check(text, ignore=["S012"]).errors == []
    assert [d.code for d in ad.check(text, select=["invalid-value"]).errors] == ["S012"]


def test_run_on_the_simulator():
    arch = ad.load(ROOT / "examples" / "best_of_n.arch").instantiate()
    result = ad.run(arch, "What is 6 * 7?", sim=True, cache=None)
    assert result.error is None and result.answer


def test_an_architecture_of_sim_models_runs_without_the_sim_flag():
    arch = ad.load_text(
        'model s = "sim/s" { skill = 0.9 }\nlayer generator { model = s; samples = 3 }\nlayer ranker { model = s; top_k = 1 }'
    ).instantiate()
    [result] = ad.run_dataset(arch, [{"id": "1", "question": "What is 12 + 30?", "answer": "42"}], cache=None)
    assert result.error is None and "42" in result.answer


def test_type_checkers_see_each_lazy_name_where_it_is_loaded_from():
    """The TYPE_CHECKING imports of archon_dsl/__init__.py name the same module as its lazy table."""
    import ast

    tree = ast.parse((ROOT / "archon_dsl" / "__init__.py").read_text(encoding="utf-8"))
    [block] = [n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING"]
    typed = {
        alias.name: f"archon_dsl{'.' + node.module if node.module else ''}"
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    lazy = {name: module for name, (module, _) in ad._LAZY.items()}
    assert {name: typed.get(name) for name in lazy} == lazy
    assert (ROOT / "archon_dsl" / "py.typed").is_file()
