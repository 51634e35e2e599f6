"""The offline simulator behind `sim/<name>` models (see docs/sim.md); importing it sets no process-wide state.

Names load on first use, so reading a sim model's default price (pricing.py, skills.py) does not
load the simulator itself. For judging a search: `expected_score(arch, rows, scorer)` is a
configuration's exact expected score over simulator seeds (expected.py), and
`SimEvaluator(scorer, seed)` scores configurations in-process as the executor would at that seed
(fast.py).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    **dict.fromkeys(
        (
            "DRAWS",
            "PROVIDER",
            "SEED_ENV",
            "SimConfig",
            "Truth",
            "answer_in",
            "architecture_seed",
            "complete",
            "kind_of",
            "register_answers",
            "seeded",
            "prompt_tokens",
            "sim_id",
            "simulate",
            "simulated_model",
            "tokens",
            "truth_for",
        ),
        "simulator",
    ),
    **dict.fromkeys(
        ("MEDIUM_SKILL", "default_latency", "default_prices", "default_skill", "skill_of"), "skills"
    ),
    **dict.fromkeys(("RowRun", "SimEvaluator", "UnsupportedLayer", "run_row"), "fast"),
    **dict.fromkeys(("expected_score", "expected_scores"), "expected"),
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
