"""What a simulated model is like by default: its skill from its name, and the price and latency that go with it.

Light on purpose (no imports beyond the standard library): the front end's price look-ups
(`pricing.spec_info`, the plan's cost estimate) read sim prices from here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

# Well-known families first; then the parameter count in the name decides; unknown -> medium.
FAMILY_SKILLS: tuple[tuple[str, float], ...] = (
    (r"gpt-4o-mini|gpt-4\.1-mini|gpt-4\.1-nano|haiku|flash|o1-mini|o3-mini|-mini\b", 0.65),
    (
        r"gpt-4o|gpt-4-turbo|gpt-4\.1|gpt-4\b|gpt-5|\bo1\b|\bo3\b|claude-3-5-sonnet|claude-3\.5-sonnet|"
        r"claude-3-opus|claude-3-7|claude-(?:sonnet|opus)-4|gemini-1\.5-pro|gemini-2|gemini-pro|405b",
        0.85,
    ),
)
SIZE_SKILLS: tuple[tuple[float, float], ...] = (
    (300, 0.85),
    (60, 0.72),
    (30, 0.65),
    (13, 0.6),
    (8, 0.5),
    (0, 0.45),
)
MEDIUM_SKILL = 0.6
_SIZE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?:x(\d+(?:\.\d+)?))?b\b")

# Default prices follow skill as real price lists do: about $0.2 per million input tokens for a
# 7B-class model (skill 0.45), $0.9 for a 70B-class one (0.72), $1.8 for a frontier one (0.85);
# output tokens cost 4x input.
PRICE_FLOOR = 0.02  # $ per million input tokens at skill 0
PRICE_GROWTH = 200.0  # input price multiplies by this from skill 0 to skill 1
OUTPUT_PRICE_RATIO = 4.0
# Default latency: time to the first token grows with skill (bigger models) and with the prompt
# (prefill), generation slows.
FIRST_TOKEN_S = (0.2, 0.6)  # seconds at skill 0, extra at skill 1
PREFILL_TOKENS_PER_S = (8000.0, 6000.0)  # prompt tokens read a second at skill 0, fewer at skill 1
TOKENS_PER_S = (200.0, 150.0)  # tokens a second at skill 0, fewer at skill 1


def default_skill(model: str) -> float:
    """A plausible skill for a model name: frontier > 70B > 8B > 7B; unknown names get a medium one."""
    name = model.lower()
    for pattern, skill in FAMILY_SKILLS:
        if re.search(pattern, name):
            return skill
    match = _SIZE.search(name)
    if match:
        # A mixture of experts such as 8x22b counts all its experts.
        size = float(match.group(1)) * (float(match.group(2)) if match.group(2) else 1.0)
        return next(skill for floor, skill in SIZE_SKILLS if size >= floor)
    return MEDIUM_SKILL


def skill_of(model_id: str, params: Mapping[str, Any] | None = None) -> float:
    """The skill of a sim model: its `skill` option if it is a number in 0..1, else the default by name."""
    value = (params or {}).get("skill")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value <= 1.0:
        return float(value)
    return default_skill(model_id.removeprefix("sim/"))


def default_prices(skill: float) -> tuple[float, float]:
    """Dollars per million input and output tokens for a simulated model of this skill."""
    cost_in = _round(PRICE_FLOOR * PRICE_GROWTH ** min(1.0, max(0.0, skill)))
    return cost_in, _round(cost_in * OUTPUT_PRICE_RATIO)


def default_latency(skill: float, output_tokens: int, prompt_tokens: int = 0) -> float:
    """Seconds a call of a simulated model of this skill takes to read `prompt_tokens` and write `output_tokens`."""
    skill = min(1.0, max(0.0, skill))
    first = FIRST_TOKEN_S[0] + FIRST_TOKEN_S[1] * skill
    prefill = PREFILL_TOKENS_PER_S[0] - PREFILL_TOKENS_PER_S[1] * skill
    speed = TOKENS_PER_S[0] - TOKENS_PER_S[1] * skill
    return round(first + prompt_tokens / prefill + output_tokens / speed, 4)


def _round(value: float) -> float:
    """Three significant digits: prices read like a price list."""
    if value <= 0:
        return 0.0
    return round(value, 2 - int(math.floor(math.log10(value))))
