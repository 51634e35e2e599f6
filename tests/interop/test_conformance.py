"""Every published config in ../shared/archon-configs imports, validates or names its rule, and round-trips.

The folder is not part of the project; set ARCHON_CONFIGS to point at it
elsewhere. Without it these tests skip.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from archon_testing import ROOT
from interop.original_archon import problems, reading

from archon_dsl.checker import check_text
from archon_dsl.interop import export_architecture, import_file, import_text
from archon_dsl.loader import load_text
from archon_dsl.rules import RULES

CONFIGS = Path(os.environ.get("ARCHON_CONFIGS", ROOT.parent / "shared" / "archon-configs"))
FILES = sorted(CONFIGS.glob("*.json")) if CONFIGS.is_dir() else []
RULE_CODES = {rule.code for rule in RULES}

pytestmark = pytest.mark.skipif(not FILES, reason=f"no Archon configs at {CONFIGS}")


@pytest.mark.parametrize("path", FILES, ids=[p.stem[:60] for p in FILES])
def test_published_config_imports_and_round_trips(path):
    result = import_file(path, "imported.arch")
    # Import diagnostics are notes about the JSON, or the rule a layer breaks.
    assert all(d.code.startswith("J") or d.code in RULE_CODES for d in result.diagnostics)
    assert load_text(result.text, "imported.arch").instantiate().same_as(result.architecture)
    # The file validates, or fails only with the linter's rule diagnostics (no syntax or value errors).
    checked = check_text(result.text, "imported.arch")
    assert all(d.code in RULE_CODES for d in checked.diagnostics), [d.code for d in checked.diagnostics]
    assert not any(d.code.startswith(("E", "S012")) and d.is_error for d in checked.diagnostics)
    exported = export_architecture(result.architecture)
    assert problems(exported.config) == []
    assert import_text(exported.text, "exported.json").architecture.same_as(result.architecture)
    # Setting by setting, the export reads to the original as the published config does (docs/interop.md:
    # tests never enter the query here; a missing unit_test_cap is the language's count, 5).
    before = reading(json.loads(path.read_text()), leave_out=("remove_unit_tests_from_prompt",))
    for component in before:
        if component["type"] == "unit_test_generator" and component["unit_test_cap"] is None:
            component["unit_test_cap"] = 5
    assert reading(exported.config, leave_out=("remove_unit_tests_from_prompt",)) == before


def test_the_folder_holds_the_patterns_the_importer_handles():
    # A guard that the sample still covers what the importer was built for.
    texts = [p.read_text() for p in FILES]
    assert any('"branches"' in t for t in texts) and any("length_contorl" in t for t in texts)
    assert any('"vLLM"' in t for t in texts) and any("unit_tests_first" in p.name for p in FILES)
