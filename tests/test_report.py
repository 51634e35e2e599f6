"""Every output format, snapshot-tested on the same findings."""

from __future__ import annotations

import json

import pytest
from archon_testing import GOLDEN, ROOT, assert_golden

from archon_dsl.checker import check_text
from archon_dsl.report import FORMATS, format_text, render

SOURCES = ["typos.arch", "overflowing_pool.arch", "syntax.arch"]


@pytest.fixture(scope="module")
def results():
    out = []
    for name in SOURCES:
        text = (ROOT / "examples" / "invalid" / name).read_text(encoding="utf-8")
        out.append(check_text(text, f"examples/invalid/{name}"))
    return out


@pytest.mark.parametrize("fmt", FORMATS)
def test_format_snapshot(results, fmt):
    ext = {"text": "txt", "json": "json", "sarif": "sarif.json", "github": "github.txt"}[fmt]
    assert_golden(GOLDEN / "report" / f"findings.{ext}", render(results, fmt))


def test_sarif_is_2_1_0_with_one_based_regions(results):
    document = json.loads(render(results, "sarif"))
    assert document["version"] == "2.1.0"
    run = document["runs"][0]
    rule_ids = {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    for result in run["results"]:
        assert result["ruleId"] in rule_ids
        region = result["locations"][0]["physicalLocation"].get("region")
        if region:
            assert region["startLine"] >= 1 and region["startColumn"] >= 1


def test_json_carries_the_space(results):
    document = json.loads(render(results, "json"))
    space = document["files"][1]["space"]
    assert (space["raw"], space["valid"]) == (40, 28)
    assert document["summary"]["errors"] == sum(len(r.errors) for r in results)


def test_colour_only_when_asked(results):
    assert "\033[" not in format_text(results, colour=False)
    assert "\033[1;31m" in format_text(results, colour=True)


def test_clean_summary():
    result = check_text('model m = "openai/gpt-4o"\nlayer generator { model = m }', "ok.arch")
    assert format_text([result]).strip() == "All checks passed (1 file)."
