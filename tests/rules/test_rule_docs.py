"""Every rule has a stable code, a kebab-case name and a docs page in sync with docs/rules/."""

from __future__ import annotations

import re

import pytest
from archon_testing import ROOT, assert_golden

from archon_dsl.rules import RULES
from archon_dsl.rules.pages import index_page, rule_page


def test_codes_and_names_are_unique_and_well_formed():
    assert len({r.code for r in RULES}) == len(RULES) == len({r.name for r in RULES})
    for rule in RULES:
        assert re.fullmatch(r"[EAS]\d{3}", rule.code)
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_docs_page(rule):
    for section in ("## What it checks", "## Why", "## Example", "## Instead"):
        assert section in rule.docs
    assert_golden(ROOT / "docs" / "rules" / f"{rule.code}.md", rule_page(rule))


def test_index_page():
    assert_golden(ROOT / "docs" / "rules" / "README.md", index_page(RULES))
