"""One table of diagnostic codes: every code the source can emit is registered, named alike and documented."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from archon_testing import ROOT, assert_golden

from archon_dsl.checker import RuleSelection
from archon_dsl.codes import BY_CODE, CODES
from archon_dsl.codes.pages import code_page, index_page
from archon_dsl.rules import RULES

PACKAGE = ROOT / "archon_dsl"
# A code literal: "S008" (a quoted letter and three digits).
CODE = re.compile(r"""["']([A-Z]\d{3})["']""")
# A code with its name beside it: Diagnostic("E005", "include-cycle", ...), code="J003", name="unknown-component-type",
# or a parameter's defaults: code: str = "J002", name: str = "invalid-config".
PAIR = re.compile(
    r"""["']([A-Z]\d{3})["']\s*,\s*(?:name(?:\s*:\s*str)?\s*=\s*)?["']([a-z]+(?:-[a-z]+)*)["']"""
)


def _sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        if "codes" not in path.relative_to(PACKAGE).parts:
            yield path, path.read_text(encoding="utf-8")


def test_codes_and_names_are_unique_and_well_formed():
    assert len(BY_CODE) == len(CODES) == len({entry.name for entry in CODES})
    for entry in CODES:
        assert re.fullmatch(r"[EASJRD]\d{3}", entry.code)
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", entry.name)
        assert entry.summary and "\n" not in entry.summary


def test_every_rule_is_registered_as_itself():
    for rule in RULES:
        entry = BY_CODE[rule.code]
        assert (entry.rule, entry.name, entry.severity, entry.summary) == (
            rule,
            rule.name,
            rule.severity,
            rule.summary,
        )


def test_every_code_in_the_source_is_registered():
    found = {}
    for path, text in _sources():
        for code in CODE.findall(text):
            found.setdefault(code, path.relative_to(ROOT))
    assert len(found) > 40  # the scan sees the codes (a broken pattern would pass vacuously)
    unregistered = {code: str(where) for code, where in found.items() if code not in BY_CODE}
    assert not unregistered, f"codes emitted but not in archon_dsl/codes: {unregistered}"


def test_every_code_in_the_source_carries_its_registered_name():
    pairs = 0
    for path, text in _sources():
        for code, name in PAIR.findall(text):
            pairs += 1
            registered = BY_CODE[code].name
            assert registered == name, f"{path.relative_to(ROOT)}: {code} is '{registered}', not '{name}'"
    assert pairs > 20


@pytest.mark.parametrize("entry", [entry for entry in CODES if entry.rule is None], ids=lambda e: e.code)
def test_docs_page(entry):
    for section in ("## What it means", "## Why", "## Example", "## What to do"):
        assert section in entry.docs
    assert entry.page == f"docs/codes/{entry.code}.md"
    assert_golden(ROOT / entry.page, code_page(entry))


def test_every_registered_code_has_a_page():
    missing = [entry.page for entry in CODES if not (ROOT / entry.page).is_file()]
    assert not missing


def test_index_page():
    assert_golden(ROOT / "docs" / "codes" / "README.md", index_page(CODES))


def test_any_registered_code_can_be_selected_or_ignored():
    for entry in CODES:
        assert RuleSelection([entry.code], [entry.name]).unknown_patterns() == []
    assert RuleSelection(["J"], ["R0", "D"]).unknown_patterns() == []
    assert RuleSelection(["Q9"], ["no-such-rule"]).unknown_patterns() == ["Q9", "no-such-rule"]


def _archonc(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "archon_dsl.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def test_explain_and_rules_cover_codes_that_are_not_rules():
    done = _archonc("explain", "include-cycle")
    assert done.returncode == 0, done.stderr
    assert done.stdout == code_page(BY_CODE["E005"])
    listing = _archonc("rules").stdout.splitlines()
    assert [line.split()[0] for line in listing] == [entry.code for entry in CODES]


def test_validate_takes_a_code_only_other_steps_emit(tmp_path):
    # --ignore E005 is a known code; a cycle still stops the load, so it is still reported.
    (tmp_path / "a.arch").write_text(
        'include "b.arch"\nlayer generator { model = m }\nmodel m = "openai/gpt-4o"\n'
    )
    (tmp_path / "b.arch").write_text('include "a.arch"\n')
    done = _archonc("validate", "a.arch", "--ignore", "E005,J", "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert [d["code"] for d in json.loads(done.stdout)["files"][0]["diagnostics"]] == ["E005"]
    assert _archonc("validate", str(ROOT / "examples" / "best_of_n.arch"), "--select", "E006").returncode == 0


def test_sarif_describes_a_code_that_is_not_a_rule(tmp_path):
    from archon_dsl.checker import check_path
    from archon_dsl.report import render

    (tmp_path / "a.arch").write_text('include "a.arch"\n')
    run = json.loads(render([check_path(tmp_path / "a.arch")], "sarif"))["runs"][0]
    described = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert described == [rule.code for rule in RULES] + ["E005"]
    assert [(r["ruleId"], r["ruleIndex"]) for r in run["results"]] == [("E005", len(RULES))]
