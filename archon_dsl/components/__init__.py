"""The component kinds' implementations (prompts, output parsing, state updates) by kind name."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..kinds import is_kind, kind_names, kind_spec
from .base import CallSpec, Candidate, Component, Degradation, OutputError, State


class _Components(Mapping[str, Component]):
    """Kind -> the component that runs it, for every registered kind (kinds.py names its class)."""

    def __init__(self) -> None:
        self._made: dict[str, tuple[str, Component]] = {}

    def __getitem__(self, kind: str) -> Component:
        if not is_kind(kind):
            raise KeyError(kind)
        path = kind_spec(kind).component
        made = self._made.get(kind)
        if made is None or made[0] != path:  # a kind registered again may name another class
            made = self._made[kind] = (path, kind_spec(kind).load())
        return made[1]

    def __iter__(self) -> Iterator[str]:
        return iter(kind_names())

    def __len__(self) -> int:
        return len(kind_names())


COMPONENTS: Mapping[str, Component] = _Components()


def answer(state: State) -> str | None:
    """The architecture's answer: the first candidate after the last layer (None if none is left)."""
    return state.candidates[0].text if state.candidates else None


__all__ = [
    "COMPONENTS",
    "CallSpec",
    "Candidate",
    "Component",
    "Degradation",
    "OutputError",
    "State",
    "answer",
]
