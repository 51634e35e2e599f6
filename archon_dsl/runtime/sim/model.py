"""The simulator's model of who gets a question right: shared difficulty, family and model effects, run-level moods, judges' rules.

One place for the probabilities and the decision rules, read by all three users of the simulator:
the message-level replies (simulator.complete), the fast path that runs an architecture without
messages (fast.py) and the exact expectation (expected.py). Standard library only.

A generator sample of model m on question q in run (seed) s is right when

    ability(m) - difficulty(q) + family(f, q) + own(m, q) + mood(m, q, s) + noise > 0

with noise ~ N(0, 1) fresh for every sample. difficulty, family and own are fixed for a
question (a hard question is hard for every model; a family shares its blind spots; a model has
its own), mood is drawn once per run and shared by all the samples a model writes for that
question (samples are not independent draws), from five levels (the Gauss-Hermite points of a
normal, so the exact expectation sums over them). ability is set so that over questions the
chance of being right is the model's `skill`.

Judges (critics, rankers, fusers, verifiers) see through a question with probability
discernment(skill, q), which falls with the question's difficulty; one judgement is right with
probability 0.5 + discernment / 2.
"""

from __future__ import annotations

import hashlib
import math
import re
from functools import lru_cache
from statistics import NormalDist

SIGMA_DIFFICULTY = 1.0  # spread of question difficulty, in probit units
TAU_FAMILY = 0.5  # a family's shared effect on a question
TAU_MODEL = 0.5  # a model's own effect on a question
TAU_MOOD = 0.7  # a model's mood on a question in one run, shared by its samples
JUDGE_DIFFICULTY = 0.7  # how much a question's difficulty weighs on judging it
COMMON_MISTAKE = 0.55  # chance a wrong answer is the question's most tempting mistake
LURE = 0.25  # chance a ranker or fuser that does not see the truth goes with that mistake
SOLVE = 0.3  # a fuser shown no right candidate solves it itself: SOLVE x its chance as a generator
CRITIC_WEIGHT = 0.5  # weight of a critique's verdict against the share of candidates agreeing

# Five-point Gauss-Hermite rule for N(0, 1): the mood levels and their probabilities.
MOOD_LEVELS = (-2.8569700138728056, -1.3556261799742659, 0.0, 1.3556261799742659, 2.8569700138728056)
MOOD_WEIGHTS = (
    0.011257411327720691,
    0.2220759220056126,
    0.5333333333333334,
    0.2220759220056126,
    0.011257411327720691,
)

_NORMAL = NormalDist()
_SPREAD = math.sqrt(1.0 + SIGMA_DIFFICULTY**2 + TAU_FAMILY**2 + TAU_MODEL**2 + TAU_MOOD**2)
_JUDGE_SPREAD = math.sqrt(1.0 + (JUDGE_DIFFICULTY * SIGMA_DIFFICULTY) ** 2)

# Vendor families by name; any other model is a family of its own (or says so: `family = "x"`).
FAMILIES: tuple[tuple[str, str], ...] = (
    (r"gpt|\bo[134]\b|\bo[134]-|chatgpt", "openai"),
    (r"claude|haiku|sonnet|opus", "anthropic"),
    (r"gemini|gemma", "google"),
    (r"llama", "meta"),
    (r"qwen|qwq", "qwen"),
    (r"mistral|mixtral|codestral", "mistral"),
    (r"deepseek", "deepseek"),
    (r"\bphi-?\d", "microsoft"),
    (r"command-r|cohere", "cohere"),
)


def family_of(model: str, declared: object = None) -> str:
    """A model's family: its `family` option, else its vendor by name, else the model itself."""
    if isinstance(declared, str) and declared:
        return declared
    name = model.lower().removeprefix("sim/")
    for pattern, family in FAMILIES:
        if re.search(pattern, name):
            return family
    return name


# --------------------------------------------------------------------------- draws


def uniform(key: str) -> float:
    """A number in [0, 1) fixed by `key`."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@lru_cache(maxsize=1 << 16)
def normal(key: str) -> float:
    """A standard normal number fixed by `key`."""
    return _NORMAL.inv_cdf(min(max(uniform(key), 1e-12), 1 - 1e-12))


def weighted(u: float, weights: tuple[float, ...] | list[float]) -> int:
    """The index `u` in [0, 1) falls on when [0, 1) is cut in proportion to `weights`."""
    point, total = u * sum(weights), 0.0
    for i, weight in enumerate(weights):
        total += weight
        if point < total:
            return i
    return len(weights) - 1


def call_key(
    seed: int, model: str, kind: str, question: str, round_: int, seen: str, sample: int, attempt: int
) -> str:
    """The key of one call's draws: the same call (whatever path simulates it) draws the same numbers."""
    return f"{seed}|{model}|{kind}|{question}|{round_}|{seen}|{sample}|{attempt}"


def mood_level(seed: int, model: str, question: str) -> int:
    """Which of MOOD_LEVELS model is in on question in run `seed` (shared by all its samples)."""
    return weighted(uniform(f"{seed}|{model}|mood|{question}"), MOOD_WEIGHTS)


# --------------------------------------------------------------------------- probabilities


def difficulty(question: str, given: float | None = None) -> float:
    """A question's difficulty: from its row's `difficulty` (0..1, a quantile) when given, else fixed by its text."""
    if given is not None:
        return SIGMA_DIFFICULTY * _NORMAL.inv_cdf(min(max(given, 1e-4), 1 - 1e-4))
    return SIGMA_DIFFICULTY * normal(f"difficulty|{question}")


def _probit(skill: float) -> float:
    return _NORMAL.inv_cdf(min(max(skill, 1e-6), 1 - 1e-6))


@lru_cache(maxsize=1 << 16)
def _fixed_effect(model: str, family: str, question: str) -> float:
    return TAU_FAMILY * normal(f"family|{family}|{question}") + TAU_MODEL * normal(
        f"model|{model}|{question}"
    )


def solve_chances(skill: float, model: str, family: str, question: str, hardness: float) -> tuple[float, ...]:
    """Chance one sample is right, at each mood level (skill 0 and 1 are never and always right)."""
    if skill >= 1.0:
        return (1.0,) * len(MOOD_LEVELS)
    if skill <= 0.0:
        return (0.0,) * len(MOOD_LEVELS)
    base = _probit(skill) * _SPREAD - hardness + _fixed_effect(model, family, question)
    return tuple(_NORMAL.cdf(base + TAU_MOOD * level) for level in MOOD_LEVELS)


def mean_solve_chance(skill: float, model: str, family: str, question: str, hardness: float) -> float:
    """A model's chance to answer a question right, over its moods (what it brings to fusing all-wrong candidates)."""
    chances = solve_chances(skill, model, family, question, hardness)
    return sum(w * p for w, p in zip(MOOD_WEIGHTS, chances, strict=True))


def discernment(skill: float, hardness: float) -> float:
    """Chance a judge of this skill sees through a question of this difficulty (its mean over questions is skill)."""
    if skill >= 1.0:
        return 1.0
    if skill <= 0.0:
        return 0.0
    return _NORMAL.cdf(_probit(skill) * _JUDGE_SPREAD - JUDGE_DIFFICULTY * hardness)


def judging(skill: float, hardness: float) -> float:
    """Chance one judgement (a critique's verdict, a verifier's, a test result) is right."""
    return 0.5 + 0.5 * discernment(skill, hardness)


# --------------------------------------------------------------------------- decisions

# Candidates fall in three classes: R right, W the question's most tempting mistake (shared, so it
# gathers votes), O any other mistake (idiosyncratic: it never has support). A critique's verdict
# on a class is +1 (looks right), -1 (looks wrong), summed over critics; 0 without critiques.


def prefers_right(r: int, w: int, signal_r: int, signal_w: int, sees: bool, lured: bool, coin: bool) -> bool:
    """Whether a ranker or fuser shown r right and w tempting-wrong candidates (both > 0) puts the right ones first.

    It does when it sees the truth; else it is lured to the mistake with probability LURE; else it
    weighs agreement and critiques, and a tie is a coin.
    """
    if sees:
        return True
    if lured:
        return False
    margin = (r - w) / (r + w) + CRITIC_WEIGHT * (signal_r - signal_w)
    return margin > 0 or (margin == 0 and coin)


def prefers_right_chance(r: int, w: int, signal_r: int, signal_w: int, sees: float) -> float:
    """The probability prefers_right is true, over its draws (sees with `sees`, lured LURE, coin 1/2)."""
    margin = (r - w) / (r + w) + CRITIC_WEIGHT * (signal_r - signal_w)
    by_margin = 1.0 if margin > 0 else (0.5 if margin == 0 else 0.0)
    return sees + (1.0 - sees) * (1.0 - LURE) * by_margin


def class_order(r: int, w: int, right_first: bool) -> str:
    """The order of the classes a ranker puts candidates in: the preferred of R and W, the other, then O."""
    if r and w:
        return "RWO" if right_first else "WRO"
    return "RWO"


def fused_class(
    r: int, w: int, signal_r: int, signal_w: int, sees: bool, lured: bool, coin: bool, solves: bool
) -> str:
    """The class of a fuser's answer, shown r right, w tempting-wrong and some other candidates.

    Shown a right one, it keeps it unless it prefers the tempting mistake (prefers_right); shown
    none, it solves the question itself (solves: SOLVE x its mean chance as a generator, anchored
    by the wrong candidates), else goes with the mistake that has support, else with another.
    """
    if r:
        if not w:
            return "R"
        return "R" if prefers_right(r, w, signal_r, signal_w, sees, lured, coin) else "W"
    if solves:
        return "R"
    return "W" if w else "O"


def fused_chances(
    r: int, w: int, o: int, signal_r: int, signal_w: int, sees: float, solve: float
) -> tuple[float, float, float]:
    """(P(R), P(W), P(O)) of fused_class over its draws (sees with `sees`, solves with `solve`)."""
    if r:
        if not w:
            return 1.0, 0.0, 0.0
        right = prefers_right_chance(r, w, signal_r, signal_w, sees)
        return right, 1.0 - right, 0.0
    return (solve, 1.0 - solve, 0.0) if w else (solve, 0.0, 1.0 - solve)
