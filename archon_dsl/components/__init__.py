"""The seven component kinds: prompts, output parsing and state updates, as pure functions."""

from __future__ import annotations

from .base import CallSpec, Candidate, Component, Degradation, OutputError, State
from .critic import Critic
from .fuser import Fuser
from .generator import Generator
from .ranker import Ranker
from .unit_test_evaluator import UnitTestEvaluator
from .unit_test_generator import UnitTestGenerator
from .verifier import Verifier

COMPONENTS: dict[str, Component] = {
    "generator": Generator(),
    "critic": Critic(),
    "ranker": Ranker(),
    "fuser": Fuser(),
    "verifier": Verifier(),
    "unit_test_generator": UnitTestGenerator(),
    "unit_test_evaluator": UnitTestEvaluator(),
}


def answer(state: State) -> str | None:
    """The architecture's answer: the first candidate after the last layer (None if none is left)."""
    return state.candidates[0].text if state.candidates else None


__all__ = [
    "COMPONENTS", "CallSpec", "Candidate", "Component", "Degradation", "OutputError", "State", "answer",
]
