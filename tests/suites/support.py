"""A scripted judge for the judged suites' tests: a ScoreContext whose `complete` answers from a function."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archon_dsl.itas.scorers import ScoreContext

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "suites"


@dataclass
class Reply:
    text: str | None
    error: str | None = None
    cached: bool = False
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0


def scripted(reply: Callable[[str, str], str]) -> tuple[ScoreContext, list[tuple[str, str]]]:
    """A context whose judge replies `reply(system, user)`; the (system, user) prompts it was asked."""
    asked: list[tuple[str, str]] = []

    async def complete(spec, kind, attempt=0):
        system = next((m["content"] for m in spec.messages if m["role"] == "system"), "")
        user = spec.messages[-1]["content"]
        asked.append((system, user))
        return Reply(reply(system, user))

    async def run(*_):
        raise AssertionError("no baseline architecture in these tests")

    return ScoreContext(run=run, complete=complete), asked


def candidates(user: str) -> list[str]:
    """The candidates a ranker prompt shows, in order."""
    return [c.strip() for c in re.findall(r"<candidate[^>]*>(.*?)</candidate>", user, re.DOTALL)]
