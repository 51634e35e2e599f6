"""Scorers: how well an answer matches a dataset row, from 0 to 1 (exact, numeric, mc, regex, code, judge, custom)."""

from __future__ import annotations

import importlib
import importlib.util
import math
import re
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..diagnostics import ArchonError, Diagnostic, Severity

# Fields a row may hold its expected answer in, in order of preference.
ANSWER_FIELDS = ("answer", "target", "expected", "reference", "solution")
QUESTION_FIELDS = ("question", "query", "prompt")


class ScorerError(ArchonError):
    """A scorer that cannot be built or cannot read a row."""


def _error(message: str, hint: str | None = None) -> ScorerError:
    return ScorerError([Diagnostic("R010", "bad-scorer", Severity.ERROR, message, None, None, hint)])


def expected_answer(row: Mapping[str, Any]) -> Any:
    for name in ANSWER_FIELDS:
        if row.get(name) is not None:
            return row[name]
    raise _error(
        f"row {row.get('id', '?')} has no expected answer",
        f"give each row one of the fields {', '.join(ANSWER_FIELDS)}",
    )


def question_of(row: Mapping[str, Any]) -> str:
    return next((str(row[f]) for f in QUESTION_FIELDS if row.get(f) is not None), "")


@dataclass
class ScoreContext:
    """What a scorer that calls models needs: a way to run an architecture over rows."""

    run: Callable[[Any, list[dict]], Awaitable[list[Any]]] | None = None  # (architecture, rows) -> results
    complete: Callable[[Any, str, int], Awaitable[Any]] | None = (
        None  # (CallSpec, kind, attempt) -> CallResult
    )
    sim: bool = False
    unsafe_exec: bool = False  # the code scorer may run answers unisolated when no sandbox is available


class Scorer:
    """Scores answers against rows; subclasses override `score` (or `ascore_all` to batch)."""

    name = "scorer"
    description = ""

    def score(self, answer: str, row: Mapping[str, Any]) -> float:
        raise TypeError(f"{type(self).__name__} defines neither score() nor ascore_all()")

    async def ascore_all(
        self, answers: Sequence[str | None], rows: Sequence[Mapping[str, Any]], ctx: ScoreContext
    ) -> list[float]:
        """One score per row; a missing answer (an error) scores 0."""
        return [0.0 if a is None else _clamp(self.score(a, r)) for a, r in zip(answers, rows, strict=True)]


def _clamp(value: Any) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    value = float(value)
    if math.isnan(value):
        return 0.0
    return value


# ---------------------------------------------------------------------------
# Final-answer extraction
# ---------------------------------------------------------------------------

_ANSWER_IS = re.compile(
    r"(?:final answer|the answer|answer)\s*(?:is|:|=)\s*[:\s]*(.+?)\s*(?:$|\n)",
    re.IGNORECASE,
)
_HASHES = re.compile(r"####\s*(.+?)\s*(?:$|\n)")
_NUMBER = re.compile(
    r"(?<![\w.])[-+−]?(?:\$\s*)?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?(?:\s*/\s*\d+)?|"
    r"(?<![\w.])[-+−]?\.\d+"
)


def boxed(text: str) -> str | None:
    """The contents of the last \\boxed{...} (or \\fbox{...}), braces balanced."""
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    i = text.index("{", start) + 1
    depth, j = 1, i
    while j < len(text) and depth:
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
        j += 1
    return text[i : j - 1] if depth == 0 else None


def final_answer(text: str) -> str:
    """The part of a reply that states the answer: \\boxed{}, `#### x`, `answer: x`, else the whole reply."""
    found = boxed(text)
    if found is not None:
        return found.strip()
    for pattern in (_HASHES, _ANSWER_IS):
        matches = pattern.findall(text)
        if matches:
            return matches[-1].strip()
    return text.strip()


def normalize_text(text: str) -> str:
    """Case, spacing, surrounding quotes, LaTeX text wrappers and a final full stop don't count."""
    text = re.sub(r"\\text\{([^}]*)\}", r"\1", text)
    text = text.replace("$", "") if re.fullmatch(r"\$[^$]*\$", text.strip()) else text
    text = " ".join(text.strip().split()).casefold()
    text = text.strip("\"'`*")
    return text.rstrip(".").strip()


def parse_number(text: str) -> float | None:
    """The number a short answer states: commas, currency, percent and units dropped; a/b allowed."""
    text = text.strip().replace("−", "-")
    text = re.sub(r"\\(?:,|!|;|quad)", "", text)
    text = re.sub(r"\\d?frac\{([^}]*)\}\{([^}]*)\}", r"\1/\2", text)
    text = re.sub(r"\\text\{[^}]*\}", "", text)
    match = _NUMBER.search(text)
    if match is None:
        return None
    token = match.group(0).replace(",", "").replace("$", "").replace(" ", "").replace("−", "-")
    try:
        if "/" in token:
            num, den = token.split("/")
            return float(Fraction(num) / Fraction(den)) if float(den) != 0 else None
        return float(token)
    except (ValueError, ZeroDivisionError):
        return None


def last_number(text: str) -> float | None:
    """The number a reply ends on: the final answer's number, else the last number in the text."""
    answer = final_answer(text)
    if answer != text.strip():
        found = parse_number(answer)
        if found is not None:
            return found
    numbers = _NUMBER.findall(text.replace("−", "-"))
    for token in reversed(numbers):
        found = parse_number(token)
        if found is not None:
            return found
    return None


def numbers_equal(a: float, b: float, rel: float = 1e-6, abs_: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


# ---------------------------------------------------------------------------
# Built-in scorers
# ---------------------------------------------------------------------------


class ExactMatch(Scorer):
    """The stated answer equals the expected one, up to case, spacing and number formatting."""

    name = "exact"
    description = "final answer equals the expected answer (case, spaces, \\boxed{}, 1,000 = 1000 ignored)"

    def score(self, answer: str, row: Mapping[str, Any]) -> float:
        expected = expected_answer(row)
        targets = expected if isinstance(expected, list) else [expected]
        got = final_answer(answer)
        for target in targets:
            target_text = final_answer(str(target))
            if normalize_text(got) == normalize_text(target_text):
                return 1.0
            a, b = _plain_number(got), _plain_number(target_text)
            if a is not None and b is not None and numbers_equal(a, b):
                return 1.0
        return 0.0


def _plain_number(text: str) -> float | None:
    """A number if the text is only a number (with units or currency), else None."""
    stripped = re.sub(r"[\s$%,]|\\text\{[^}]*\}", "", text)
    if not re.fullmatch(r"[-+−]?[\d.]+(?:/\d+)?[a-zA-Z]*\.?", stripped):
        return None
    return parse_number(text)


class NumericMatch(Scorer):
    """The number the reply ends on equals the expected number (relative tolerance 1e-6)."""

    name = "numeric"
    description = (
        "last number in the reply (or in \\boxed{}, '#### x', 'answer: x') equals the expected number"
    )

    def __init__(self, rel_tol: float = 1e-6):
        self.rel_tol = rel_tol

    def score(self, answer: str, row: Mapping[str, Any]) -> float:
        expected = expected_answer(row)
        target = (
            float(expected)
            if isinstance(expected, (int, float)) and not isinstance(expected, bool)
            else last_number(str(expected))
        )
        if target is None:
            raise _error(
                f"row {row.get('id', '?')}: expected answer {expected!r} is not a number",
                "use the exact scorer for answers that are not numbers",
            )
        got = last_number(answer)
        return 1.0 if got is not None and numbers_equal(got, target, self.rel_tol) else 0.0


_LETTERS = "ABCDEFGHIJ"


class MultipleChoice(Scorer):
    """The option letter the reply picks equals the expected letter (or the expected option's text)."""

    name = "mc"
    description = "chosen option letter (A, (B), 'answer is C', \\boxed{D}, or an option's text) matches"

    def score(self, answer: str, row: Mapping[str, Any]) -> float:
        choices = _choices(row)
        letters = _LETTERS[: len(choices)] if choices else _LETTERS
        expected = _expected_letter(expected_answer(row), choices, letters)
        got = pick_letter(answer, choices, letters)
        return 1.0 if got is not None and got == expected else 0.0


def _choices(row: Mapping[str, Any]) -> list[str]:
    choices = row.get("choices") or row.get("options") or []
    if isinstance(choices, Mapping):
        return [str(choices[k]) for k in sorted(choices)]
    return [str(c) for c in choices]


def _expected_letter(expected: Any, choices: list[str], letters: str) -> str:
    if isinstance(expected, int) and not isinstance(expected, bool) and 0 <= expected < len(letters):
        return letters[expected]
    text = str(expected).strip()
    if len(text) == 1 and text.upper() in letters:
        return text.upper()
    found = pick_letter(text, choices, letters)
    if found is None:
        raise _error(
            f"expected answer {expected!r} names no option",
            f"give the letter ({', '.join(letters[:4])}, ...) or an option's exact text",
        )
    return found


def pick_letter(text: str, choices: list[str], letters: str = _LETTERS) -> str | None:
    """The option a reply picks, or None if it picks none."""
    set_ = f"[{letters}]"
    inner = boxed(text)
    if inner is not None:
        m = re.fullmatch(rf"\s*\(?({set_})\)?\s*", re.sub(r"\\text\{([^}]*)\}", r"\1", inner), re.IGNORECASE)
        if m:
            return m.group(1).upper()
    whole = re.fullmatch(rf"\s*\(?({set_})\)?\.?\s*", text, re.IGNORECASE)
    if whole:
        return whole.group(1).upper()
    # Capital letters only from here on: "the answer is a dog" picks nothing.
    patterns = [
        rf"(?i:answer|choice|option)\s*(?i:is)?\s*:?\s*\(?({set_})\)?(?!\w)",
        rf"^\s*\(?({set_})[).:](?:\s|$)",
        rf"\(({set_})\)",
    ]
    for pattern in patterns:
        matches = re.findall(pattern, text, re.MULTILINE)
        if matches:
            return matches[-1]
    if choices:
        said = normalize_text(final_answer(text))
        hits = [letters[i] for i, c in enumerate(choices) if normalize_text(c) == said]
        if len(hits) == 1:
            return hits[0]
        folded = text.casefold()
        hits = [letters[i] for i, c in enumerate(choices) if c.strip() and c.strip().casefold() in folded]
        if len(hits) == 1:
            return hits[0]
    return None


class RegexMatch(Scorer):
    """With a pattern: group 1 of its last match in the reply equals the expected answer.
    Without: the row's `pattern` (or its expected answer read as a regex) occurs in the reply."""

    name = "regex"
    description = (
        "regex:PATTERN extracts the answer (group 1); plain regex searches the row's 'pattern' in the reply"
    )

    def __init__(self, pattern: str | None = None):
        self.pattern = None
        if pattern:
            try:
                self.pattern = re.compile(pattern, re.IGNORECASE | re.MULTILINE)
            except re.error as e:
                raise _error(f"bad regular expression {pattern!r}: {e}") from None

    def score(self, answer: str, row: Mapping[str, Any]) -> float:
        if self.pattern is not None:
            matches = list(self.pattern.finditer(answer))
            if not matches:
                return 0.0
            last = matches[-1]
            got = last.group(1) if last.groups() else last.group(0)
            return 1.0 if normalize_text(got or "") == normalize_text(str(expected_answer(row))) else 0.0
        pattern = row.get("pattern") if row.get("pattern") is not None else expected_answer(row)
        try:
            return 1.0 if re.search(str(pattern), answer, re.IGNORECASE | re.MULTILINE) else 0.0
        except re.error as e:
            raise _error(f"row {row.get('id', '?')}: bad regular expression {pattern!r}: {e}") from None


class CodeExecution(Scorer):
    """The code in the reply passes the row's unit tests in the sandbox (1 when all pass)."""

    name = "code"
    description = "code extracted from the reply passes every test in the row's 'tests' (sandboxed)"
    needs_sandbox = True  # the evaluator checks for one (runtime/isolation) before the first trial

    def __init__(self, timeout: float = 10.0, memory_mb: int = 512, partial: bool = False):
        self.timeout, self.memory_mb, self.partial = timeout, memory_mb, partial

    def score(self, answer: str, row: Mapping[str, Any], unsafe_exec: bool = False) -> float:
        from ..runtime.sandbox import extract_code, run_tests

        tests = row.get("tests") or row.get("test")
        if not tests:
            raise _error(
                f"row {row.get('id', '?')} has no tests", "give each row a 'tests' list of assert statements"
            )
        if isinstance(tests, str):
            tests = [tests]
        code = extract_code(answer)
        if not code:
            return 0.0
        passed = run_tests(
            code, list(tests), timeout=self.timeout, memory_mb=self.memory_mb, unsafe_exec=unsafe_exec
        )
        if self.partial:
            return sum(passed) / len(passed) if passed else 0.0
        return 1.0 if passed and all(passed) else 0.0

    async def ascore_all(self, answers, rows, ctx):
        import functools

        import anyio

        # The sandbox runs a subprocess per answer: run them on threads, a few at a time.
        limiter = anyio.CapacityLimiter(4)
        scores = [0.0] * len(rows)

        async def one(i: int) -> None:
            if answers[i] is not None:
                score = functools.partial(self.score, answers[i], rows[i], unsafe_exec=ctx.unsafe_exec)
                scores[i] = _clamp(await anyio.to_thread.run_sync(score, limiter=limiter))

        async with anyio.create_task_group() as tg:
            for i in range(len(rows)):
                tg.start_soon(one, i)
        return scores


class PairwiseJudge(Scorer):
    """An LLM judge compares each answer with a baseline answer, in both orders (win 1, tie 0.5, loss 0).

    The judge is asked as a ranker of two candidates (the ranker's prompt: correctness first, then
    completeness, clarity, directness), so the simulator judges too. The baseline is the row's
    `baseline` field, or the answer of a baseline architecture run once over the rows. Asking
    in both orders cancels the judge's position bias, as Arena-Hard does; the mean over rows is
    the win rate against the baseline, as AlpacaEval reports it.
    """

    name = "judge"
    description = "win rate against a baseline answer, judged pairwise by an LLM in both orders"

    def __init__(self, model: str = "openai/gpt-4o", baseline: Any = None):
        self.model = model
        self.baseline = baseline  # an Architecture / .arch path, or None to use each row's `baseline`
        self._baseline_answers: dict[str, str | None] = {}

    async def _baselines(self, rows: Sequence[Mapping[str, Any]], ctx: ScoreContext) -> list[str | None]:
        if self.baseline is None:
            missing = [r.get("id", "?") for r in rows if r.get("baseline") is None]
            if missing:
                raise _error(
                    f"the judge needs a baseline answer; row {missing[0]} has no 'baseline' field",
                    "add a 'baseline' answer to each row, or give a baseline architecture (--baseline FILE.arch)",
                )
            return [str(r["baseline"]) for r in rows]
        todo = [r for r in rows if _row_key(r) not in self._baseline_answers]
        if todo:
            from ..api import resolve_architecture

            assert ctx.run is not None  # the evaluator gives every scorer its run
            results = await ctx.run(resolve_architecture(self.baseline), [dict(r) for r in todo])
            for row, result in zip(todo, results, strict=True):
                self._baseline_answers[_row_key(row)] = result.answer if result.error is None else None
        return [self._baseline_answers[_row_key(r)] for r in rows]

    async def _prefers_first(self, question: str, first: str, second: str, ctx: ScoreContext) -> bool | None:
        """Whether the judge ranks `first` above `second`; None if its reply never parsed."""
        from ..architecture import Layer, ModelSpec
        from ..components import COMPONENTS, Candidate, OutputError, State

        judge = ModelSpec(name="judge", id=self.model, temperature=0.0)
        layer = Layer(kind="ranker", models=[judge], top_k=1)
        state = State(query=question, candidates=(Candidate(first, "first"), Candidate(second, "second")))
        spec = COMPONENTS["ranker"].calls(layer, state, 0)[0]
        for attempt in range(3):
            assert ctx.complete is not None  # the evaluator gives every scorer its complete
            reply = await ctx.complete(spec, "ranker", attempt)
            if reply.error is not None:
                return None
            try:
                order = spec.parse(reply.text)
            except OutputError:
                continue
            return order[0] == 0
        return None

    async def ascore_all(self, answers, rows, ctx):
        import anyio

        if ctx.run is None or ctx.complete is None:
            raise _error("the judge scorer needs an executor to call its model")
        baselines = await self._baselines(rows, ctx)
        scores = [0.0] * len(rows)

        async def one(i: int) -> None:
            answer, base = answers[i], baselines[i]
            if answer is None:
                return
            if base is None:  # the baseline failed on this row: any answer beats it
                scores[i] = 1.0
                return
            if normalize_text(answer) == normalize_text(base):
                scores[i] = 0.5
                return
            question = question_of(rows[i])
            ours_first = await self._prefers_first(question, answer, base, ctx)
            theirs_first = await self._prefers_first(question, base, answer, ctx)
            points = [
                p for p in (ours_first, None if theirs_first is None else not theirs_first) if p is not None
            ]
            scores[i] = sum(points) / len(points) if points else 0.5

        async with anyio.create_task_group() as group:
            for i in range(len(rows)):
                group.start_soon(one, i)
        return scores


def _row_key(row: Mapping[str, Any]) -> str:
    return str(row.get("id", question_of(row)))


class FunctionScorer(Scorer):
    """A user's function `f(answer, row) -> float | bool`, named `module:function` or `path.py:function`."""

    def __init__(self, func: Callable[..., Any], name: str):
        self.func, self.name = func, name
        self.description = f"custom scorer {name}"

    def score(self, answer: str, row: Mapping[str, Any]) -> float:
        return _clamp(self.func(answer, row))


def load_function(spec: str) -> Callable[..., Any]:
    """The function named by `module:function` or `path/to/file.py:function`."""
    module_name, _, func_name = spec.rpartition(":")
    if not module_name or not func_name:
        raise _error(f"custom scorer {spec!r} is not of the form module:function")
    try:
        if module_name.endswith(".py") or "/" in module_name:
            path = Path(module_name)
            if not path.is_file():
                raise _error(f"custom scorer file {path} does not exist")
            name = f"archon_scorer_{path.stem}"
            module_spec = importlib.util.spec_from_file_location(name, path)
            if module_spec is None or module_spec.loader is None:
                raise _error(f"custom scorer file {path} is not a Python file")
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            module_spec.loader.exec_module(module)
        else:
            if "" not in sys.path and "." not in sys.path:
                sys.path.insert(0, "")  # a module next to where the user runs archonc
            module = importlib.import_module(module_name)
    except ScorerError:
        raise
    except Exception as e:  # the user's module failed to import: say which and why
        raise _error(f"cannot import custom scorer module {module_name!r}: {type(e).__name__}: {e}") from None
    func = getattr(module, func_name, None)
    if not callable(func):
        raise _error(f"module {module_name!r} has no function {func_name!r}")
    return func


BUILTIN = {
    "exact": ExactMatch,
    "numeric": NumericMatch,
    "mc": MultipleChoice,
    "regex": RegexMatch,
    "code": CodeExecution,
    "judge": PairwiseJudge,
}
ALIASES = {
    "em": "exact",
    "number": "numeric",
    "multiple_choice": "mc",
    "choice": "mc",
    "code_exec": "code",
    "llm_judge": "judge",
    "pairwise": "judge",
}


def get_scorer(name: str | Scorer | Callable[..., Any], **options: Any) -> Scorer:
    """A scorer by name (exact, numeric, mc, regex[:PATTERN], code, judge), `module:function`, or a callable."""
    if isinstance(name, Scorer):
        return name
    if callable(name):
        return FunctionScorer(name, getattr(name, "__name__", "custom"))
    key = ALIASES.get(name, name)
    if key.startswith("regex:"):
        return RegexMatch(key[len("regex:") :])
    if key in BUILTIN:
        cls = BUILTIN[key]
        accepted = {k: v for k, v in options.items() if v is not None and k in _options_of(cls)}
        return cls(**accepted)
    if ":" in name:
        return FunctionScorer(load_function(name), name)
    from ..diagnostics import did_you_mean

    guess = did_you_mean(name, list(BUILTIN) + list(ALIASES))
    raise _error(
        f"unknown scorer {name!r}",
        f"did you mean {guess!r}?"
        if guess
        else f"scorers: {', '.join(BUILTIN)}, regex:PATTERN, or module:function",
    )


def _options_of(cls: type) -> set[str]:
    import inspect

    return set(inspect.signature(cls).parameters) - {"self"}
