"""Asking a judge model (the --judge-model) one question through the project's provider, with a retry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..itas.scorers import ScoreContext, _error

DEFAULT_JUDGE = "openai/gpt-4o"


def judge_spec(judge: Any) -> Any:
    """The judge as a ModelSpec: given one, or a model id (temperature 0, as the leaderboards judge)."""
    from ..architecture import ModelSpec

    if isinstance(judge, ModelSpec):
        return judge
    return ModelSpec(name="judge", id=str(judge or DEFAULT_JUDGE), temperature=0.0)


async def ask_judge(
    ctx: ScoreContext,
    judge: Any,
    system: str | None,
    prompt: str,
    parse: Callable[[str], Any],
    *,
    max_tokens: int = 2048,
    attempts: int = 2,
) -> tuple[Any, str | None]:
    """(parsed verdict or None, the judge's last reply): asked again (fresh, not from the cache) while
    the reply does not parse, `attempts` times at most; a failed call gives (None, None)."""
    from ..components.base import CallSpec

    if ctx.complete is None:
        raise _error("this suite is judged by a model and no judge was given", "give --judge-model MODEL")
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": prompt}
    ]
    spec = CallSpec(
        model=judge_spec(judge), messages=tuple(messages), temperature=0.0, max_tokens=max_tokens, tag="judge"
    )
    text = None
    for attempt in range(attempts):
        reply = await ctx.complete(spec, "judge", attempt)
        if reply.error is not None:
            return None, None
        text = reply.text or ""
        value = parse(text)
        if value is not None:
            return value, text
    return None, text
