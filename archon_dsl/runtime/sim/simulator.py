"""The offline simulator of LLM calls behind `sim/<name>` models: what each call answers, deterministically.

The simulator is not a model. It reads which component is asking (from the call's metadata, its
`response_format`, or the prompt), finds the ground truth of the query (the built-in datasets,
rows given to `register_answers`, or plain arithmetic it can compute), and answers in the format
that component parses, right or wrong by deterministic draws under the model of model.py:

* questions have a difficulty every model shares, families share blind spots, and a model's
  samples on a question share its mood in that run, so they are not independent draws;
* a wrong answer is mostly the question's most tempting mistake (it gathers votes), else
  another plausible one;
* critics, rankers, fusers and verifiers see through a question by their skill and its
  difficulty; rankers and fusers weigh agreement and critiques when they do not.

Python tasks are answered with real code (the reference solution, or a broken variant) so the
sandbox can run it. A reply depends on the seed, the model, the question, what the call is shown
(the candidates' answers, not their wording) and the sample index and attempt; fast.py simulates
the same calls without messages and expected.py computes their expectation over seeds.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ...architecture import KINDS, Architecture, ModelSpec
from ...components.parsing import extract_code
from . import model as M
from .skills import MEDIUM_SKILL, default_latency, default_skill

PROVIDER = "sim"
SEED_ENV = "ARCHON_SIM_SEED"

# --------------------------------------------------------------------------- a model's behaviour


@dataclass(frozen=True)
class SimConfig:
    """How one simulated model behaves; set per model in .arch: `{ skill = 0.8; latency = 0.05 }`.

    skill: 0..1, see the module doc. latency: the seconds a call is reported to take (default: by
    skill, prompt and reply length, skills.default_latency); the call waits that long only with
    `sleep = true`. seed: the run's draw (default: env ARCHON_SIM_SEED, else 0). messy: chance a
    structured reply ignores response_format and comes as prose the tolerant parsers must read.
    broken: chance a reply is unusable (retries, degradation). family: models of one family share
    blind spots (default: the vendor by name, else the model alone; model.family_of).
    """

    skill: float = MEDIUM_SKILL
    latency: float | None = None
    seed: int = 0
    messy: float = 0.0
    broken: float = 0.0
    sleep: bool = False
    family: str = ""

    @classmethod
    def for_model(cls, model: str, params: Mapping[str, Any] | None = None) -> SimConfig:
        params = dict(params or {})
        seed = params.get("seed")
        if seed is None:
            seed = os.environ.get(SEED_ENV, "0")
        latency = params.get("latency")
        sleep = params.get("sleep", False)
        if not isinstance(sleep, bool):
            raise ValueError(f"sim model '{model}': sleep must be true or false, got {sleep!r}")
        family = params.get("family")
        if family is not None and not isinstance(family, str):
            raise ValueError(f"sim model '{model}': family must be a name in quotes, got {family!r}")
        config = cls(
            skill=_number(params, "skill", default_skill(model)),
            latency=None if latency is None else _number(params, "latency", 0.0),
            seed=_integer(seed, "seed"),
            messy=_number(params, "messy", 0.0),
            broken=_number(params, "broken", 0.0),
            sleep=sleep,
            family=M.family_of(model, family),
        )
        for name in ("skill", "messy", "broken"):
            if not 0.0 <= getattr(config, name) <= 1.0:
                raise ValueError(
                    f"sim model '{model}': {name} must be between 0 and 1, got {getattr(config, name)}"
                )
        if config.latency is not None and config.latency < 0:
            raise ValueError(f"sim model '{model}': latency must be >= 0 seconds, got {config.latency}")
        return config

    def latency_for(self, output_tokens: int, prompt_tokens: int = 0, jitter: float = 0.5) -> float:
        """Seconds a call takes: the set latency, else the default by skill, prompt and reply length.

        `jitter` in [0, 1) (a draw of the call) spreads the default by -20%..+20%, as real calls vary.
        """
        if self.latency is not None:
            return self.latency
        return round(default_latency(self.skill, output_tokens, prompt_tokens) * (0.8 + 0.4 * jitter), 4)


def _number(params: Mapping[str, Any], name: str, default: float) -> float:
    value = params.get(name, default)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"sim option {name} must be a number, got {value!r}") from None


def _integer(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"sim {name} must be an integer (env {SEED_ENV} or model option seed), got {value!r}"
        ) from None


# --------------------------------------------------------------------------- ground truth


@dataclass(frozen=True)
class Truth:
    """What the simulator knows about one query: the answer and the plausible ways to get it wrong."""

    kind: str  # number | letter | code | text
    answer: str  # canonical form, as answer_in reads replies
    shown: str  # the answer as a reply writes it
    wrong: tuple[str, ...]  # plausible wrong answers, as shown, most tempting first
    tests: tuple[str, ...] = ()
    buggy_fails: tuple[tuple[int, ...], ...] = ()  # per wrong code variant: indices of tests it fails
    question: str = ""  # the question, whitespace-normalised: the key of its draws
    difficulty: float | None = None  # the row's `difficulty` (0..1), if it gives one

    @property
    def hardness(self) -> float:
        """The question's difficulty in the simulator's units (model.difficulty)."""
        return M.difficulty(self.question, self.difficulty)

    @property
    def others(self) -> tuple[str, ...]:
        """The plausible mistakes other than the most tempting one (as shown)."""
        if len(self.wrong) > 1 or self.kind != "number":
            return self.wrong[1:]
        return tuple(w for w in _number_slips(self.answer) if w not in self.wrong)


_REGISTRY: dict[str, Truth] = {}
_BUILTINS_LOADED = False
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def _norm_question(text: str) -> str:
    return " ".join(text.split())


def _canonical_number(text: str) -> str | None:
    try:
        value = float(str(text).replace(",", "").strip())
    except ValueError:
        return None
    if math.isnan(value) or math.isinf(value):
        return None
    return str(int(value)) if value.is_integer() else f"{value:.6g}"


def _canonical_code(code: str) -> str:
    try:
        return ast.dump(ast.parse(code))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "\n".join(line.rstrip() for line in code.splitlines() if line.strip())


def _options(question: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(re.findall(r"(?m)^\s*\(?([A-J])[).:]\s", question)))


def truth_from_row(row: Mapping[str, Any]) -> Truth:
    """The simulator's view of a dataset row with a question and its answer."""
    question, answer = str(row["question"]), row["answer"]
    given_wrong = [str(w) for w in row.get("distractors") or ()]
    key = _norm_question(question)
    given = row.get("difficulty")
    level = float(given) if isinstance(given, (int, float)) and not isinstance(given, bool) else None
    if "tests" in row or "entry_point" in row:
        reference = str(answer)
        buggy = [str(b) for b in row.get("buggy") or ()] or [_mutate_code(reference, k) for k in range(2)]
        fails = tuple(tuple(f) for f in row.get("buggy_fails") or ())
        return Truth(
            "code",
            _canonical_code(reference),
            reference,
            tuple(buggy),
            tuple(row.get("tests") or ()),
            fails,
            key,
            level,
        )
    number = _canonical_number(answer) if not isinstance(answer, bool) else None
    if number is not None:
        wrong = [w for w in (_canonical_number(w) for w in given_wrong) if w and w != number]
        return Truth(
            "number", number, number, tuple(wrong or _number_slips(number)), question=key, difficulty=level
        )
    options = _options(question)
    letter = str(answer).strip().strip("()").upper()
    if len(letter) == 1 and letter in options:
        wrong = [w.upper() for w in given_wrong if w.upper() in options and w.upper() != letter]
        wrong += [o for o in options if o != letter and o not in wrong]
        return Truth("letter", letter, letter, tuple(wrong), question=key, difficulty=level)
    text = str(answer).strip()
    wrong = given_wrong or [f"not {text}", "It cannot be determined from the information given."]
    return Truth("text", _canonical_text(text), text, tuple(wrong), question=key, difficulty=level)


def _canonical_text(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text.lower()).strip()


def _number_slips(number: str) -> list[str]:
    value = float(number)
    out = []
    for slip in (value + 1, value - 1, value + 10, value * 2):
        shown = _canonical_number(str(slip))
        if shown and shown != number and shown not in out:
            out.append(shown)
    return out[:3]


def register_answers(rows: Iterable[Mapping[str, Any]]) -> int:
    """Teach the simulator the answers of a dataset (rows with "question" and "answer"); returns how many."""
    count = 0
    for row in rows:
        if "question" in row and "answer" in row and row["answer"] is not None:
            _REGISTRY[_norm_question(str(row["question"]))] = truth_from_row(row)
            count += 1
    return count


def _load_builtins() -> None:
    global _BUILTINS_LOADED
    if _BUILTINS_LOADED:
        return
    from ...datasets import BUILTIN, load_dataset

    _BUILTINS_LOADED = True
    for name in BUILTIN:
        for row in load_dataset(name):
            _REGISTRY.setdefault(_norm_question(row["question"]), truth_from_row(row))


def truth_for(text: str) -> Truth | None:
    """Ground truth for a query: a known question (exactly, or quoted inside it), else its arithmetic."""
    _load_builtins()
    key = _norm_question(text)
    if key in _REGISTRY:
        return _REGISTRY[key]
    inside = [q for q in _REGISTRY if q and q in key]
    if inside:
        return _REGISTRY[max(inside, key=len)]
    value = _arithmetic(text)
    if value is not None:
        return Truth("number", value, value, tuple(_number_slips(value)), question=key)
    return None


_EXPRESSION = re.compile(r"[-+(]*\d[\d.,]*(?:\s*(?:\*\*|[-+*/%×÷^x])\s*[-+(]*\d[\d.,]*\)*)+\)*")


def _arithmetic(text: str) -> str | None:
    """The value of the longest plain arithmetic expression in `text` ("What is 12 * (3 + 4)?")."""
    found = sorted(_EXPRESSION.findall(text.replace("(", " (").replace(")", ") ")), key=len, reverse=True)
    for expression in found:
        source = expression.replace("×", "*").replace("÷", "/").replace("^", "**").replace(",", "")
        source = re.sub(r"(?<=[\d)\s])x(?=[\s\d(])", "*", source)
        try:
            value = _safe_eval(ast.parse(source.strip(), mode="eval").body)
        except (SyntaxError, ValueError, ZeroDivisionError, OverflowError, TypeError):
            continue
        return _canonical_number(str(value))
    return None


def _safe_eval(node: ast.AST) -> float:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, (int, float))
        and not isinstance(node.value, bool)
    ):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.UAdd, ast.USub)):
        value = _safe_eval(node.operand)
        return value if isinstance(node.op, ast.UAdd) else -value
    if isinstance(node, ast.BinOp):
        left, right = _safe_eval(node.left), _safe_eval(node.right)
        if isinstance(node.op, ast.Pow):
            if abs(right) > 64 or abs(left) > 10**6:
                raise ValueError("power too large")
            return left**right
        operations = {
            ast.Add: lambda a, b: a + b,
            ast.Sub: lambda a, b: a - b,
            ast.Mult: lambda a, b: a * b,
            ast.Div: lambda a, b: a / b,
            ast.FloorDiv: lambda a, b: a // b,
            ast.Mod: lambda a, b: a % b,
        }
        for op, apply in operations.items():
            if isinstance(node.op, op):
                return apply(left, right)
    raise ValueError("not plain arithmetic")


def _mutate_code(code: str, variant: int) -> str:
    """A subtly broken copy of `code`: one comparison, operator or constant changed."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return code + "\n# unfinished\n"
    targets = [
        n
        for n in ast.walk(tree)
        if isinstance(n, (ast.Compare, ast.BinOp))
        or (isinstance(n, ast.Constant) and isinstance(n.value, int) and not isinstance(n.value, bool))
    ]
    if not targets:
        return code.rstrip() + "\n    return None\n" if code.rstrip().endswith(":") else code + "\nNone\n"
    node = targets[variant % len(targets)]
    swaps: dict[type, Any] = {
        ast.Lt: ast.LtE,
        ast.LtE: ast.Lt,
        ast.Gt: ast.GtE,
        ast.GtE: ast.Gt,
        ast.Eq: ast.NotEq,
        ast.NotEq: ast.Eq,
        ast.Add: ast.Sub,
        ast.Sub: ast.Add,
        ast.Mult: ast.Add,
        ast.Div: ast.FloorDiv,
        ast.FloorDiv: ast.Div,
        ast.Mod: ast.FloorDiv,
    }
    if isinstance(node, ast.Compare):
        node.ops = [swaps.get(type(op), ast.NotEq)() for op in node.ops]
    elif isinstance(node, ast.BinOp):
        node.op = swaps.get(type(node.op), ast.Add)()
    elif isinstance(node, ast.Constant) and isinstance(node.value, int):  # as chosen above
        node.value += 1
    return ast.unparse(tree) + "\n"


# --------------------------------------------------------------------------- reading a request

_TAG_QUERY = re.compile(r"<query>\n?(.*?)\n?</query>", re.DOTALL)
_TAG_CANDIDATE = re.compile(r'<candidate(?:\s+id="?(\d+)"?)?>\n?(.*?)\n?</candidate>', re.DOTALL)
_TAG_CRITIQUE = re.compile(r'<critique\s+id="?(\d+)"?>\n?(.*?)\n?</critique>', re.DOTALL)
_TAG_TEST = re.compile(r'<test\s+id="?(\d+)"?>(.*?)</test>', re.DOTALL)
_BLOCKS = re.compile(r"<(query|candidate|critique|test|reasoning|conversation)\b[^>]*>.*?</\1>", re.DOTALL)
# The earlier turns a judging prompt shows when the query ends a conversation (prompting.py).
_TAG_CONVERSATION = re.compile(r"<conversation>.*?</conversation>", re.DOTALL)
_FORMAT_KINDS = {
    "archon_critiques": "critic",
    "archon_ranking": "ranker",
    "archon_verdict": "verifier",
    "archon_unit_tests": "unit_test_generator",
    "archon_test_results": "unit_test_evaluator",
}


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return "" if content is None else str(content)


def kind_of(messages: list[dict], response_format: Any = None, hint: str | None = None) -> str:
    """Which component is asking: the caller's hint, the response_format's schema name, or the prompt."""
    if hint in KINDS:
        return hint
    if isinstance(response_format, dict):
        name = (response_format.get("json_schema") or {}).get("name")
        if name in _FORMAT_KINDS:
            return _FORMAT_KINDS[name]
    user = "\n\n".join(_text(m.get("content")) for m in messages if m.get("role") != "system")
    # Judge by the instructions only: the query and candidates may say anything.
    instructions = " ".join(
        [_text(m.get("content")) for m in messages if m.get("role") == "system"] + [_BLOCKS.sub(" ", user)]
    ).lower()
    has_candidates = bool(_TAG_CANDIDATE.search(user))
    if _TAG_TEST.search(user):
        return "unit_test_evaluator"
    if not has_candidates:
        asks_tests = _TAG_QUERY.search(user) and re.search(r"\bunit tests?\b", instructions)
        return "unit_test_generator" if asks_tests else "generator"
    if re.search(r"\brank", instructions):
        return "ranker"
    if re.search(r"\bcritique (?:every|each|all)\b|\bcritiques\b\W+\s*\[", instructions):
        return "critic"
    # A verifier in one call asks for a verdict; in two, it asks for reasoning about "this
    # candidate", then whether "the candidate response" is correct.
    if re.search(
        r"\bverdict\b|\bverify\b|\bjudge a candidate\b|\breason about whether this candidate\b|"
        r"\bis (?:this|the) candidate(?: response)? correct\b",
        instructions,
    ):
        return "verifier"
    return "fuser"


@dataclass(frozen=True)
class Request:
    """One call as the simulator sees it."""

    kind: str
    query: str
    truth: Truth | None
    candidates: tuple[str, ...]
    critiques: dict[int, str]
    tests: tuple[str, ...]
    count: int
    structured: bool


def read_request(messages: list[dict], kind: str, response_format: Any) -> Request:
    """What a call asks: its query and ground truth, the candidates, critiques and tests it shows."""
    turns = [_text(m.get("content")) for m in messages if m.get("role") != "system"]
    # A judge's earlier turns are context, not the query or candidates: the tags are read without them.
    user = _TAG_CONVERSATION.sub(" ", "\n\n".join(turns))
    tagged = _TAG_QUERY.search(user)
    # Untagged (a generator): the turn to answer is the last message; earlier turns are context.
    query = tagged.group(1) if tagged else turns[-1] if turns else ""
    truth = truth_for(query)
    candidates = tuple(text for _, text in _TAG_CANDIDATE.findall(user))
    critiques = {int(k): text for k, text in _TAG_CRITIQUE.findall(user)}
    tests = tuple(text.strip() for _, text in _TAG_TEST.findall(user))
    wanted = re.search(r"\b(?:write|generate|give)\s+(\d+)\s+(?:unit\s+)?tests\b", user, re.IGNORECASE)
    return Request(
        kind,
        query,
        truth,
        candidates,
        critiques,
        tests,
        int(wanted.group(1)) if wanted else 5,
        response_format is not None,
    )


# --------------------------------------------------------------------------- answers in replies

_ANSWER_LINE = re.compile(r"answer\s*(?:is)?\s*[:=]\s*(.+)", re.IGNORECASE)


def answer_in(truth: Truth, text: str) -> str | None:
    """The answer a reply gives, in the canonical form of `truth.kind`; None if it gives none."""
    if truth.kind == "code":
        code = extract_code(text)
        return _canonical_code(code) if code.strip() else None
    lines = _ANSWER_LINE.findall(text)
    last = lines[-1] if lines else None
    if truth.kind == "number":
        stated = _NUMBER.findall(last) if last else []
        if stated:
            return _canonical_number(stated[0])
        numbers = _NUMBER.findall(text)
        return _canonical_number(numbers[-1]) if numbers else None
    if truth.kind == "letter":
        pattern = r"\(?\b([A-J])\b\)?"
        if last:
            match = re.search(pattern, last)
            if match:
                return match.group(1)
        found = re.findall(r"\(([A-J])\)|\b([A-J])\)", text)
        return (found[-1][0] or found[-1][1]) if found else None
    return _canonical_text(last if last else text)


def _is_right(truth: Truth | None, text: str) -> bool | None:
    if truth is None:
        return None
    return answer_in(truth, text) == truth.answer


def _present(truth: Truth, shown: str, rng: _Draw, fused_round: int = 0) -> str:
    """A reply giving `shown` as its answer, worded by the draw; a fuser's says which fusion round wrote it."""
    if truth.kind == "code":
        lead = (
            rng.pick(
                "lead",
                [
                    "Here is an implementation:",
                    "A straightforward solution:",
                    "This function does what is asked:",
                ],
            )
            if not fused_round
            else f"Combining the candidates, the most reliable implementation is (fusion round {fused_round}):"
        )
        return f"{lead}\n\n```python\n{shown.rstrip()}\n```\n"
    opening = (
        rng.pick(
            "opening",
            [
                "Let me work through this step by step.",
                "Breaking the problem into parts:",
                "Working it out carefully:",
                "First, identify what is being asked.",
            ],
        )
        if not fused_round
        else f"Comparing the candidate responses and checking their working (fusion round {fused_round}):"
    )
    middle = rng.pick(
        "middle",
        [
            "Each step follows from the one before.",
            "Combining the quantities in order gives the result.",
            "Checking the working once more confirms it.",
            "Putting the pieces together settles it.",
        ],
    )
    if truth.kind == "letter":
        return f"{opening}\n{middle}\nThe best option is ({shown}).\nAnswer: {shown}"
    return f"{opening}\n{middle}\nAnswer: {shown}"


OTHER_WEIGHTS = (0.3, 0.15, 0.1, 0.05)  # how often each of the other mistakes is made, relatively


def mistake(truth: Truth, common: float, other: float) -> str:
    """A wrong answer (as shown) by two draws: the most tempting mistake with COMMON_MISTAKE, else another."""
    if not truth.wrong:
        return ""
    others = truth.others
    if not others or common < M.COMMON_MISTAKE:
        return truth.wrong[0]
    return others[M.weighted(other, OTHER_WEIGHTS[: len(others)] or (1.0,))]


def canonical_of(truth: Truth, shown: str) -> str | None:
    """The canonical form of an answer as shown, for comparing with truth.answer."""
    if truth.kind == "code":
        return _canonical_code(shown)
    return _canonical_for(truth, shown)


def classify(truth: Truth, text: str) -> tuple[str, str | None]:
    """(class, canonical answer) of a reply: R right, W the most tempting mistake, O anything else."""
    found = answer_in(truth, text)
    if found is not None and found == truth.answer:
        return "R", found
    if found is not None and truth.wrong and found == canonical_of(truth, truth.wrong[0]):
        return "W", found
    return "O", found


_ROUND = re.compile(r"\(fusion round (\d+)\)")


def round_of(text: str) -> int:
    """How many fusion rounds wrote this candidate (0: a generator's)."""
    found = _ROUND.search(text)
    return int(found.group(1)) if found else 0


# --------------------------------------------------------------------------- deterministic draws


class _Draw:
    """Pseudo-random choices fixed by a key (a call's, model.call_key) and a label."""

    def __init__(self, key: str):
        self.key = key

    @classmethod
    def of(cls, *parts: Any) -> _Draw:
        """Draws keyed by the whole of a call (its messages): for kinds outside the exact model."""
        return cls(hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest())

    def random(self, label: Any) -> float:
        return M.uniform(f"{self.key}|{label}")

    def chance(self, label: Any, probability: float) -> bool:
        return self.random(label) < probability

    def pick(self, label: Any, options: list[str]) -> str:
        return options[int(self.random(label) * len(options))]

    def weighted(self, label: Any, weights: list[float]) -> int:
        return M.weighted(self.random(label), weights)


@dataclass(frozen=True)
class Caller:
    """Who makes a call and which: the model, its seed, the sample index and the attempt."""

    name: str
    cfg: SimConfig
    sample: int = 0
    attempt: int = 0

    def draw(self, kind: str, truth: Truth, round_: int = 0, seen: str = "") -> _Draw:
        return _Draw(
            M.call_key(
                self.cfg.seed, self.name, kind, truth.question, round_, seen, self.sample, self.attempt
            )
        )


# --------------------------------------------------------------------------- the components' replies


def generated(truth: Truth, who: Caller) -> tuple[str, str]:
    """(reply, answer as shown) of one generator sample; model.py says how likely it is right."""
    rng = who.draw("generator", truth)
    chances = M.solve_chances(who.cfg.skill, who.name, who.cfg.family, truth.question, truth.hardness)
    level = M.mood_level(who.cfg.seed, who.name, truth.question)
    if rng.random("right") < chances[level]:
        shown = truth.shown
    else:
        shown = mistake(truth, rng.random("common"), rng.random("other"))
    return _present(truth, shown, rng), shown


def _generator(req: Request, who: Caller, rng: _Draw) -> str:
    truth = req.truth
    if truth is None:
        return (
            f"{rng.pick('opening', ['Here is my response.', 'In short:', 'To answer this:'])}\n"
            f"{req.query.strip()[:200]}\n(simulated draft {int(rng.random('draft') * 1000)})"
        )
    return generated(truth, who)[0]


def verdict_good(truth: Truth, who: Caller, round_: int, cls: str, answer: str | None) -> bool:
    """A critic's verdict on one answer: right with probability model.judging; the same answer, the same verdict."""
    rng = who.draw("critic", truth, round_, f"{cls}:{answer}")
    correct = rng.random("verdict") < M.judging(who.cfg.skill, truth.hardness)
    return (cls == "R") == correct


def _judged_right(req: Request, who: Caller, rng: _Draw, k: int) -> bool:
    """A verifier's view of candidate k: the truth with probability model.judging, else the opposite."""
    right = _is_right(req.truth, req.candidates[k])
    if right is None or req.truth is None:
        return rng.chance(("unknown", k), 0.5)
    return right if rng.chance(("judge", k), M.judging(who.cfg.skill, req.truth.hardness)) else not right


def _critique(req: Request, good: bool, k: int) -> tuple[str, str]:
    truth = req.truth
    shown = ""
    if truth is not None and truth.kind != "code":
        found = answer_in(truth, req.candidates[k])
        shown = f" {found}" if found and truth.kind in ("number", "letter") else ""
    if truth is not None and truth.kind == "code":
        return (
            ("The code handles the stated cases correctly and reads cleanly.", "Minor: no docstring.")
            if good
            else (
                "The code is short and readable.",
                "The code looks wrong on some inputs: an edge case is mishandled.",
            )
        )
    if good:
        return (
            f"The reasoning is coherent and the final answer{shown} checks out.",
            "Minor: the explanation could be more concise.",
        )
    return (
        "The response is clearly structured and easy to follow.",
        f"The final answer{shown} looks wrong: a step in the working appears to contain an error.",
    )


def _critic(req: Request, who: Caller, rng: _Draw, prose: int) -> str:
    truth = req.truth
    if truth is None:
        verdicts = [rng.chance(("unknown", k), 0.5) for k in range(len(req.candidates))]
    else:
        round_ = max(map(round_of, req.candidates))
        verdicts = [verdict_good(truth, who, round_, *classify(truth, c)) for c in req.candidates]
    items = [_critique(req, good, k) for k, good in enumerate(verdicts)]
    if prose == 0:
        return json.dumps(
            {
                "critiques": [
                    {"candidate": k + 1, "strengths": s, "weaknesses": w} for k, (s, w) in enumerate(items)
                ]
            }
        )
    if prose == 1:
        return "\n\n".join(
            f"Candidate {k + 1}:\nStrengths: {s}\nWeaknesses: {w}" for k, (s, w) in enumerate(items)
        )
    body = "\n".join(f"{k + 1}. Strengths: {s} Weaknesses: {w}" for k, (s, w) in enumerate(items))
    return f"Here are my critiques, in order:\n\n{body}"


def _critique_signal(text: str | None) -> int:
    """+1 per critic that found the answer right, -1 per critic that found it wrong."""
    if not text:
        return 0
    return (
        text.count("checks out")
        + text.count("handles the stated cases correctly")
        - text.count("looks wrong")
    )


@dataclass(frozen=True)
class Shown:
    """What a ranker or fuser is shown, by class: counts, critiques' signals, the call's round."""

    classes: str  # one letter per candidate, in order: R, W or O
    round: int
    signal_r: int
    signal_w: int

    @property
    def r(self) -> int:
        return self.classes.count("R")

    @property
    def w(self) -> int:
        return self.classes.count("W")


def shown_to(req: Request, truth: Truth) -> Shown:
    classes = "".join(classify(truth, c)[0] for c in req.candidates)
    signals = {"R": 0, "W": 0}
    for cls in signals:  # the first candidate of a class speaks for it (critics judge answers)
        first = classes.find(cls)
        signals[cls] = _critique_signal(req.critiques.get(first + 1)) if first >= 0 else 0
    return Shown(classes, max(map(round_of, req.candidates)), signals["R"], signals["W"])


def ranked_order(truth: Truth, who: Caller, shown: Shown) -> list[int]:
    """A ranker's order of the candidates (0-based, best first): by class, model.prefers_right between R and W."""
    right_first = True
    if shown.r and shown.w:
        rng = who.draw("ranker", truth, shown.round, shown.classes)
        right_first = M.prefers_right(
            shown.r,
            shown.w,
            shown.signal_r,
            shown.signal_w,
            rng.random("sees") < M.discernment(who.cfg.skill, truth.hardness),
            rng.random("lured") < M.LURE,
            rng.random("coin") < 0.5,
        )
    order = M.class_order(shown.r, shown.w, right_first)
    return sorted(range(len(shown.classes)), key=lambda k: (order.index(shown.classes[k]), k))


def _agreement_order(req: Request, rng: _Draw) -> list[int]:
    """Without ground truth: the candidates that agree with most others first, a little noise between."""
    texts = [" ".join(c.split()).lower() for c in req.candidates]
    scores = [texts.count(t) + 0.5 * rng.random(("noise", k)) for k, t in enumerate(texts)]
    return sorted(range(len(texts)), key=lambda k: (-scores[k], k))


def _ranker(req: Request, who: Caller, rng: _Draw, prose: int) -> str:
    if req.truth is None:
        order = [k + 1 for k in _agreement_order(req, rng)]
    else:
        order = [k + 1 for k in ranked_order(req.truth, who, shown_to(req, req.truth))]
    if prose == 0:
        return json.dumps({"ranking": order})
    if prose == 1:
        return "After comparing the candidates:\n\n" + " > ".join(f"[{k}]" for k in order)
    return "Ranking from best to worst:\n" + "\n".join(f"{i}. Candidate {k}" for i, k in enumerate(order, 1))


def fused(truth: Truth, who: Caller, shown: Shown, other: str) -> tuple[str, str, str]:
    """(reply, class, answer as shown) of a fuser (model.fused_class); `other` is its answer if it goes with another mistake."""
    rng = who.draw("fuser", truth, shown.round, shown.classes)
    sees = M.discernment(who.cfg.skill, truth.hardness)
    cls = M.fused_class(
        shown.r,
        shown.w,
        shown.signal_r,
        shown.signal_w,
        rng.random("sees") < sees,
        rng.random("lured") < M.LURE,
        rng.random("coin") < 0.5,
        rng.random("solves")
        < M.SOLVE
        * M.mean_solve_chance(who.cfg.skill, who.name, who.cfg.family, truth.question, truth.hardness),
    )
    answer = truth.shown if cls == "R" else (truth.wrong[0] if cls == "W" else other)
    return _present(truth, answer, rng, fused_round=shown.round + 1), cls, answer


def _fuser(req: Request, who: Caller, rng: _Draw) -> str:
    truth = req.truth
    if not req.candidates:
        return _generator(req, who, rng)
    if truth is None:
        best = _agreement_order(req, rng)[0]
        return f"Combining the strongest points of the candidates:\n\n{req.candidates[best].strip()}"
    shown = shown_to(req, truth)
    other = ""
    if "O" in shown.classes:  # goes with the first other mistake, as that candidate gave it
        text = req.candidates[shown.classes.index("O")]
        if truth.kind == "code":
            other = extract_code(text)
        else:
            found = answer_in(truth, text)
            other = next((w for w in truth.wrong if canonical_of(truth, w) == found), found or "")
    return fused(truth, who, shown, other)[0]


def _canonical_for(truth: Truth, shown: str) -> str | None:
    if truth.kind == "number":
        return _canonical_number(shown)
    if truth.kind == "letter":
        return shown.upper()
    return _canonical_text(shown)


def _judging(who: Caller, truth: Truth | None) -> float:
    return M.judging(who.cfg.skill, truth.hardness if truth is not None else 0.0)


def _verifier(req: Request, who: Caller, rng: _Draw, prose: int) -> str:
    good = _judged_right(req, who, rng, 0) if req.candidates else rng.chance("unknown", 0.5)
    reasoning = (
        "Each step checks out and the final result is consistent with the question."
        if good
        else "One of the steps does not hold up, so the final result is wrong."
    )
    if prose == 0:
        return json.dumps({"reasoning": reasoning, "correct": good})
    if prose == 1:
        return f"{reasoning}\n\nVerdict: {'YES' if good else 'NO'}"
    return f"{'Correct' if good else 'Incorrect'}.\n{reasoning}"


def _mutate_test(test: str) -> str:
    """A wrong version of an assert test: its expected value changed, else its claim negated."""
    try:
        tree = ast.parse(test)
        node = tree.body[0]
        if (
            isinstance(node, ast.Assert)
            and isinstance(node.test, ast.Compare)
            and len(node.test.comparators) == 1
        ):
            expected = ast.literal_eval(node.test.comparators[0])
            changed: Any
            if isinstance(expected, bool):
                changed = not expected
            elif isinstance(expected, (int, float)):
                changed = expected + 1
            elif isinstance(expected, str):
                changed = expected + "x"
            elif isinstance(expected, list):
                changed = expected[:-1] if expected else [0]
            elif expected is None:
                changed = 0
            else:
                raise ValueError
            node.test.comparators[0] = ast.parse(repr(changed), mode="eval").body
            return ast.unparse(tree)
    except (SyntaxError, ValueError, IndexError, TypeError):
        pass
    body = test.strip().removeprefix("assert").strip()
    return f"assert not ({body})"


_PROPERTY_TESTS = (
    "The response ends with a line of the form 'Answer: <result>'.",
    "The response shows the intermediate steps of its working.",
    "The response answers the question that was asked.",
    "The response does not contradict itself.",
    "The response is concise.",
)


def _unit_tests(req: Request, who: Caller, rng: _Draw) -> list[str]:
    truth, count = req.truth, max(1, req.count)
    if truth is not None and truth.kind == "code" and truth.tests:
        return [
            t if rng.chance(("test", i), _judging(who, truth)) else _mutate_test(t)
            for i, t in enumerate(truth.tests[:count])
        ]
    tests = []
    if truth is not None:
        right = rng.chance("expected", _judging(who, truth))
        shown = truth.shown if right or not truth.wrong else truth.wrong[0]
        tests.append(
            f"The final answer is {shown}." if truth.kind != "code" else "The code runs without errors."
        )
    tests.extend(_PROPERTY_TESTS)
    return tests[:count]


def _unit_test_writer(req: Request, who: Caller, rng: _Draw, prose: int) -> str:
    tests = _unit_tests(req, who, rng)
    if prose == 0:
        return json.dumps({"tests": tests})
    if prose == 1 and all(t.startswith("assert") for t in tests):
        return "Here are the tests:\n\n```python\n" + "\n".join(tests) + "\n```"
    return "Unit tests:\n" + "\n".join(f"{i}. {t}" for i, t in enumerate(tests, 1))


def _passes(req: Request, rng: _Draw, i: int, test: str) -> bool:
    """Whether the candidate really passes test i (as far as the simulator knows)."""
    truth = req.truth
    candidate = req.candidates[0] if req.candidates else ""
    if truth is None:
        return rng.chance(("unknown-test", i), 0.5)
    if truth.kind == "code":
        true_test = test in truth.tests
        code = answer_in(truth, candidate)
        if code == truth.answer:
            return true_test
        known = [k for k, b in enumerate(truth.wrong) if _canonical_code(b) == code]
        if true_test and known and known[0] < len(truth.buggy_fails):
            return truth.tests.index(test) not in truth.buggy_fails[known[0]]
        digest = _Draw.of(code or "", test)  # the same broken code fails the same tests, whatever the call
        return digest.chance("fails", 0.15) if not true_test else not digest.chance("fails", 0.6)
    match = re.match(r"The final answer is (.+)\.$", test)
    if match:
        return answer_in(truth, candidate) == _canonical_for(truth, match.group(1))
    return True


def _unit_test_judge(req: Request, who: Caller, rng: _Draw, prose: int) -> str:
    verdicts = []
    for i, test in enumerate(req.tests):
        real = _passes(req, rng, i, test)
        verdicts.append(real if rng.chance(("judge-test", i), _judging(who, req.truth)) else not real)
    if prose == 0:
        return json.dumps({"results": [{"test": i + 1, "passed": v} for i, v in enumerate(verdicts)]})
    if prose == 1:
        return "\n".join(f"Test {i + 1}: {'PASS' if v else 'FAIL'}" for i, v in enumerate(verdicts))
    return "Results:\n" + "\n".join(f"{i + 1}. {'passed' if v else 'failed'}" for i, v in enumerate(verdicts))


def _broken_reply(req: Request) -> str:
    """An unusable reply of the kind real models sometimes give."""
    n = len(req.candidates)
    if req.kind == "critic" and n:
        return json.dumps(
            {
                "critiques": [
                    {"candidate": k + 1, "strengths": "Clear.", "weaknesses": "None."} for k in range(n - 1)
                ]
            }
        )
    if req.kind == "ranker" and n:
        return json.dumps({"ranking": list(range(1, n))})
    if req.kind == "unit_test_evaluator" and req.tests:
        return json.dumps({"results": [{"test": i + 1, "passed": True} for i in range(len(req.tests) - 1)]})
    if req.kind in ("verifier", "unit_test_generator"):
        return "I am not able to judge this."
    return ""


def complete(
    model: str,
    messages: list[dict],
    *,
    sample: int = 0,
    kind: str | None = None,
    response_format: Any = None,
    attempt: int = 0,
    params: Mapping[str, Any] | None = None,
    config: SimConfig | None = None,
) -> str:
    """The simulator's reply to one call of `model` ("sim/<name>" or "<name>"), as text.

    `config` is the model's SimConfig when the caller has it already (else read from `params`).
    """
    name = model.removeprefix(f"{PROVIDER}/")
    cfg = config if config is not None else SimConfig.for_model(name, params)
    kind = kind_of(messages, response_format, kind)
    req = read_request(messages, kind, response_format)
    rng = _Draw.of(
        cfg.seed, name, kind, [[m.get("role"), _text(m.get("content"))] for m in messages], sample, attempt
    )
    who = Caller(name, cfg, sample, attempt)
    if cfg.broken and rng.chance("broken", cfg.broken):
        return _broken_reply(req)
    # 0: the JSON asked for; 1, 2: prose forms, for calls without response_format or messy models.
    prose = 0 if req.structured and not rng.chance("messy", cfg.messy) else 1 + int(rng.random("form") * 2)
    if kind == "generator":
        return _generator(req, who, rng)
    if kind == "fuser":
        return _fuser(req, who, rng)
    if kind == "unit_test_generator":
        return _unit_test_writer(req, who, rng, prose)
    if not req.candidates:
        return _generator(req, who, rng)
    responders = {
        "critic": _critic,
        "ranker": _ranker,
        "verifier": _verifier,
        "unit_test_evaluator": _unit_test_judge,
    }
    reply = responders[kind](req, who, rng, prose)
    if prose == 0 and req.structured and cfg.messy and rng.chance("fenced", 0.5):
        reply = f"Sure, here it is:\n```json\n{reply}\n```"
    return reply


# --------------------------------------------------------------------------- one call


def tokens(text: str) -> int:
    """Tokens the simulator counts for a text: about 4 characters each."""
    return max(1, math.ceil(len(text) / 4))


def prompt_tokens(messages: list[dict]) -> int:
    """Tokens the simulator counts for a call's messages."""
    return sum(tokens(_text(m.get("content"))) for m in messages)


# --------------------------------------------------------------------------- simulate an architecture


def sim_id(model_id: str) -> str:
    """The sim model standing in for a litellm id: openai/gpt-4o -> sim/gpt-4o."""
    if model_id.startswith(f"{PROVIDER}/"):
        return model_id
    return f"{PROVIDER}/{model_id.split('/', 1)[1] if '/' in model_id else model_id}"


def simulated_model(model: ModelSpec) -> ModelSpec:
    """`model` routed to the simulator, with the skill its name suggests unless one is set.

    A model the price table knows keeps its real prices, so a rehearsal costs what the real run
    would; the others get the simulated default by skill (pricing.spec_info).
    """
    if model.id.startswith(f"{PROVIDER}/"):
        return model
    params = {k: v for k, v in model.params.items() if k != "api_key"}
    params.setdefault("skill", default_skill(model.id))
    update: dict[str, Any] = {
        "id": sim_id(model.id),
        "api_base": None,
        "params": params,
        "fallbacks": tuple(sim_id(f) for f in model.fallbacks),
    }
    if model.cost_in is None and model.cost_out is None:
        from ...pricing import model_info

        info = model_info(model.id)
        cost_in, cost_out = (info.cost(1, 0), info.cost(0, 1)) if info is not None else (None, None)
        if cost_in is not None and cost_out is not None:
            update["cost_in"] = round(cost_in * 1_000_000, 6)
            update["cost_out"] = round(cost_out * 1_000_000, 6)
    return model.model_copy(update=update)


def simulate(arch: Architecture, seed: int | None = None) -> Architecture:
    """A copy of `arch` with every model answered by the simulator (provider limits dropped); `seed`: seeded()."""
    layers = [
        layer.model_copy(update={"models": [simulated_model(m) for m in layer.models]})
        for layer in arch.layers
    ]
    simulated = arch.model_copy(update={"layers": layers, "providers": {}})
    return seeded(simulated, seed) if seed is not None else simulated


DRAWS = (
    "shared",
    "architecture",
)  # how a search's evaluations draw: one seed for all, or one per architecture


def architecture_seed(seed: int, arch: Architecture) -> int:
    """The seed of `arch`'s own draws in a run at `seed`: fixed by both, different for another architecture.

    A search that evaluates every architecture at one seed shares draws between them: a model's
    mood on a question, and the samples of the generators they have in common, are the same in
    every architecture that uses the model. Those shared draws are noise every evaluation repeats,
    which more evaluations average out only slowly (docs/search.md, "Draws"). Seeding each
    architecture by itself makes its evaluations independent of the others'."""
    meaning = arch.meaning()
    for layer in meaning["layers"]:
        for model in layer["models"]:
            model.get("params", {}).pop("seed", None)
    text = json.dumps([seed, meaning], sort_keys=True, default=str)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big")


def seeded(arch: Architecture, seed: int | None = None) -> Architecture:
    """`arch` with every sim model's seed set: `seed`, else env ARCHON_SIM_SEED; unchanged when neither is set.

    The seed goes into the model's params, so it is part of the cache key: replies cached at one
    seed are not served at another. A model's own `seed` option is overridden.
    """
    if seed is None:
        value = os.environ.get(SEED_ENV)
        if value is None:
            return arch
        seed = _integer(value, "seed")
    layers = [
        layer.model_copy(
            update={
                "models": [
                    m.model_copy(update={"params": {**m.params, "seed": seed}})
                    if m.provider == PROVIDER
                    else m
                    for m in layer.models
                ]
            }
        )
        for layer in arch.layers
    ]
    return arch.model_copy(update={"layers": layers})
