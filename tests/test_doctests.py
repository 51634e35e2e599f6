"""The public API's docstring examples run, from the repository root (where the examples they name are)."""

from __future__ import annotations

import doctest
import importlib

import pytest
from archon_testing import ROOT

MODULES = ["archon_dsl", "archon_dsl.api"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, monkeypatch):
    monkeypatch.chdir(ROOT)
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0, (
        f"{result.failed} of {result.attempted} examples of {name} failed (output above)"
    )
