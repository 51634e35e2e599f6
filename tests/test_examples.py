"""The shipped examples: the valid ones validate clean, each invalid one gives exactly its expected findings."""

from __future__ import annotations

import pytest
from archon_testing import ROOT

from archon_dsl.checker import check_path

VALID = sorted((ROOT / "examples").glob("*.arch"))
INVALID = sorted((ROOT / "examples" / "invalid").glob("*.arch"))


def test_there_are_enough_examples():
    assert len(VALID) >= 10 and len(INVALID) >= 5


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_example_validates_clean(path):
    result = check_path(path)
    problems = [
        f"{d.code} {d.message}" for d in result.diagnostics if d.severity.value in ("error", "warning")
    ]
    assert problems == []
    assert result.valid >= 1


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_example_gives_its_expected_findings(path):
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").split()
    result = check_path(path)
    actual = " ".join(f"{d.code} {d.span.line if d.span else '-'}" for d in result.diagnostics).split()
    assert actual == expected
    assert result.errors


def test_itas_space_counts():
    result = check_path(ROOT / "examples" / "itas.arch")
    # f1..f3 exist only with the fusion layers that read them: 7,800 distinct architectures.
    assert (result.raw, result.distinct, result.valid) == (25_000, 7_800, 5_928)
    assert set(result.params) == {"n_gen", "samples", "layers", "f1", "f2", "f3"}
