"""Benchmark suites: each reads its published file format and scores answers as its paper or project does.

`get_suite(name)` returns a Suite: `rows = suite.load(path, limit)`, `scorer = suite.scorer(judge)`
(an itas Scorer, so `archonc search --suite` searches on what `archonc eval` reports), and
`suite.summarize(rows, row_scores)` for the headline number with its interval. docs/eval.md says
how each is computed and how it compares with the published leaderboards.
"""

from __future__ import annotations

from importlib import import_module
from inspect import signature
from typing import Any

from ..diagnostics import ArchonError, Diagnostic, Severity, did_you_mean

# name -> (module, class); modules load on first use.
SUITES = {
    "humaneval": ("humaneval", "HumanEval"),
    "mbpp": ("mbpp", "MBPP"),
    "codecontests": ("codecontests", "CodeContests"),
    "math": ("hendrycks_math", "MATH"),
    "gsm8k": ("gsm8k", "GSM8K"),
    "mixeval": ("mixeval", "MixEval"),
    "mt_bench": ("mt_bench", "MTBench"),
    "alpaca_eval": ("alpaca_eval", "AlpacaEval"),
    "arena_hard": ("arena_hard", "ArenaHard"),
}
ALIASES = {
    "mt-bench": "mt_bench",
    "mtbench": "mt_bench",
    "alpacaeval": "alpaca_eval",
    "arena-hard": "arena_hard",
}


class SuiteError(ArchonError):
    """An unknown suite name."""


def get_suite(name: str, **options: Any) -> Any:
    """The suite called `name` (options: arena_hard's `baseline` file)."""
    key = ALIASES.get(name.lower(), name.lower())
    if key not in SUITES:
        guess = did_you_mean(name, list(SUITES))
        hint = f"did you mean '{guess}'?" if guess else f"suites: {', '.join(SUITES)}"
        raise SuiteError(
            [Diagnostic("D001", "bad-dataset", Severity.ERROR, f"unknown suite '{name}'", hint=hint)]
        )
    module, cls = SUITES[key]
    suite_class = getattr(import_module(f".{module}", __name__), cls)
    accepted = {k: v for k, v in options.items() if v is not None and k in signature(suite_class).parameters}
    return suite_class(**accepted)


__all__ = ["SUITES", "SuiteError", "get_suite"]
