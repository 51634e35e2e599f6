"""Whole-space checking: counts, the values that trigger a finding, selection."""

from __future__ import annotations

from archon_testing import findings

from archon_dsl.checker import RuleSelection, check_text
from archon_dsl.space_conditions import describe_condition
from archon_dsl.template import Param

SPACE = """
model a = "openai/gpt-4o"
pool p = [a, a, a, a, a, a, a, a]
param n_gen: int = 3 in 1..10
param samples: int = 1 in 1..5
layer generator { models = p[:n_gen]; samples = samples }
layer fuser { model = a }
"""


def test_counts_and_conditions():
    result = check_text(SPACE)
    assert (result.raw, result.checked) == (50, 50)
    by_code = {d.code: d for d in result.diagnostics}
    assert by_code["S008"].when == "n_gen >= 9"
    assert by_code["S002"].when == "n_gen * samples > 24"
    # valid: no overrun (n_gen <= 8) and fan-in <= 24
    expected = sum(1 for n in range(1, 9) for s in range(1, 6) if n * s <= 24)
    assert result.valid == expected


def test_sampling_huge_spaces():
    result = check_text(SPACE, max_points=10)
    assert (result.raw, result.checked, result.sampled) == (50, 10, True)


def test_selection_by_prefix_and_name():
    selection = RuleSelection(["A", "S004"], ["A003", "unused-name"])
    assert selection.enabled("A002") and selection.enabled("S004")
    assert not selection.enabled("A003") and not selection.enabled("S005")
    assert not RuleSelection(None, ["unused-name"]).enabled("S006", "unused-name")
    assert RuleSelection(["Z9"], None).unknown_patterns() == ["Z9"]


def test_ignore_removes_findings():
    assert {f["code"] for f in findings(SPACE)} == {"S008", "S002"}
    result = check_text(SPACE, ignore=["S008"])
    assert "S008" not in {d.code for d in result.diagnostics}


def test_describe_condition_forms():
    params = {"a": Param("a", "int", 1, [1, 2, 3]), "b": Param("b", "bool", False, [False, True])}
    points = [{"a": x, "b": y} for x in (1, 2, 3) for y in (False, True)]
    positions = lambda pred: {i for i, p in enumerate(points) if pred(p)}  # noqa: E731
    assert describe_condition(["a", "b"], points, positions(lambda p: p["a"] >= 2), params) == "a >= 2"
    assert describe_condition(["a", "b"], points, positions(lambda p: p["b"]), params) == "b"
    assert describe_condition(["a", "b"], points, positions(lambda p: p["a"] == 2), params) == "a = 2"
    assert (
        describe_condition(["a", "b"], points, positions(lambda p: p["a"] == 1 and not p["b"]), params)
        == "a = 1 and not b"
    )
    odd = positions(lambda p: (p["a"] == 1) != p["b"])
    assert describe_condition(["a", "b"], points, odd, params).startswith("in 3 of 6 configurations, e.g.")


def test_syntax_errors_are_findings_not_exceptions():
    result = check_text("layer {", "x.arch")
    assert [d.code for d in result.diagnostics] == ["E001"] and result.valid == 0
