"""Unit-test evaluator: scores each candidate on state.tests (judged by a model, or executed); keeps the top_k.

Two modes, chosen by the layer's `mode` option:

* ``judge`` (the default): `calls()` returns one call per candidate per model, candidate-major
  (candidate 0 with each model, then candidate 1, ...); each parses to a tuple of bools, one per test.
* ``execute``: no model calls. The executor runs the candidates' code in the sandbox instead:

      from archon_dsl.components.unit_test_evaluator import execution_jobs, needs_execution
      from archon_dsl.runtime.sandbox import run_tests

      if needs_execution(layer):                     # calls(layer, state, index) == [] here
          jobs = execution_jobs(state)               # [(code, tests)], one per candidate, in order
          results = [tuple(run_tests(code, tests)) for code, tests in jobs]
          state, degradations = component.combine(layer, state, index, results)

  `results` holds one entry per candidate, in candidate order: a tuple of bools (one per test, in
  the order of state.tests), or None if that candidate could not be run at all. When state.tests is
  empty, `execution_jobs` returns [] and `combine` takes `results=[]`. The sandbox is bubblewrap
  (runtime/isolation/); where it is missing, `run_tests` (and the executor, before any call)
  raises IsolationUnavailable unless given unsafe_exec=True. docs/components.md says what it holds.

In both modes candidates are ordered by tests passed, most first, ties keeping their input order;
candidates without results (failed calls) go last; the first top_k (default: all) are kept. With
`first_k`, when at least first_k candidates pass every test, the first first_k of them in input
order are kept instead (the original Archon's first_k, and first_pass as first_k = 1).
"""

from __future__ import annotations

import re
from typing import Any

from ..architecture import Layer
from ..kinds import kind_spec
from .base import CallSpec, Degradation, OutputError, State
from .parsing import as_bool, extract_code, extract_json, get_key, numbered_items, yes_no
from .prompting import candidate_block, json_schema, judge_calls, tests_block
from .ranker import keep_top

MODES = ("judge", "execute")
SYSTEM = (
    "You judge a candidate response against a list of unit tests. For each test, decide whether the "
    "candidate passes it: for a Python assert, work out what the candidate's code would actually "
    "return; for a written check, compare it with what the response says. Judge each test on its "
    "own, strictly: a test the response does not clearly satisfy fails."
)
PROMPT = (
    "<query>\n{query}\n</query>\n\n"
    "{candidate}\n\n"
    "Unit tests ({n_tests}):\n{tests}\n\n"
    "For each of the {n_tests} tests, in order, decide whether the candidate passes it.\n"
    'Reply with JSON only: {"results": [{"test": 1, "passed": true}, {"test": 2, "passed": false}, ...]}'
)
PLACEHOLDERS = kind_spec("unit_test_evaluator").placeholders
RESPONSE_FORMAT = json_schema(
    "archon_test_results",
    {
        "type": "object",
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"test": {"type": "integer"}, "passed": {"type": "boolean"}},
                    "required": ["test", "passed"],
                    "additionalProperties": False,
                },
            }
        },
        "required": ["results"],
        "additionalProperties": False,
    },
)

_RESULT_LINE = re.compile(
    r"^\s*[-*]?\s*(?:\*\*)?\s*test\s*#?\s*(\d+)\s*(?:\*\*)?\s*[:.)\-–]\s*(.+)$", re.I | re.M
)


def mode_of(layer: Layer) -> str:
    return layer.mode or "judge"


def needs_execution(layer: Layer) -> bool:
    """True when the executor must run the candidates in the sandbox instead of making calls."""
    return mode_of(layer) == "execute"


def execution_jobs(state: State) -> list[tuple[str, tuple[str, ...]]]:
    """(code, tests) to run for each candidate, in candidate order; [] when there are no tests."""
    if not state.tests:
        return []
    return [(extract_code(c.text), state.tests) for c in state.candidates]


def _numbered_results(pairs: list[tuple[int, bool | None]], n_tests: int) -> tuple[bool, ...]:
    numbers = [k for k, _ in pairs]
    if sorted(numbers) != list(range(1, n_tests + 1)):
        raise OutputError(f"results for tests {sorted(numbers)}, expected tests 1..{n_tests} once each")
    if any(v is None for _, v in pairs):
        raise OutputError("a test result is neither pass nor fail")
    return tuple(v for _, v in sorted(pairs) if v is not None)  # none is None (above)


def parse_test_results(text: str, n_tests: int) -> tuple[bool, ...]:
    """One pass/fail per test, in test order: JSON, "Test 2: FAIL" lines or a numbered PASS/FAIL list."""
    json_error = None
    data = extract_json(text)
    items = get_key(data, "results", "tests", "test_results") if isinstance(data, dict) else data
    if (
        isinstance(data, dict)
        and items is None
        and data
        and all(re.fullmatch(r"\D*\d+", str(k)) for k in data)
    ):
        items = [{"test": int(re.sub(r"\D", "", str(k))), "passed": v} for k, v in data.items()]
    if isinstance(items, list) and items:
        try:
            return _results_from_json(items, n_tests)
        except OutputError as e:
            json_error = e  # maybe bracketed bits of prose, not JSON: read the text instead
    try:
        return _results_from_text(text, n_tests)
    except OutputError as e:
        raise (json_error or e) from None


def _results_from_json(items: list, n_tests: int) -> tuple[bool, ...]:
    if all(isinstance(i, dict) for i in items):
        numbers = [get_key(i, "test", "id", "index") for i in items]
        values = [as_bool(get_key(i, "passed", "pass", "result", "status", "passes")) for i in items]
        if all(isinstance(k, int) and not isinstance(k, bool) for k in numbers):
            return _numbered_results(list(zip(numbers, values, strict=True)), n_tests)
    else:
        values = [as_bool(i) for i in items]
    if len(values) != n_tests:
        raise OutputError(f"{len(values)} test results for {n_tests} tests")
    if any(v is None for v in values):
        raise OutputError("a test result is neither pass nor fail")
    return tuple(v for v in values if v is not None)  # none is None (above)


def _results_from_text(text: str, n_tests: int) -> tuple[bool, ...]:
    lines = [(int(k), yes_no(v)) for k, v in _RESULT_LINE.findall(text)]
    if not lines:
        lines = [(k, yes_no(v)) for k, v in numbered_items(text)]
    if lines:
        return _numbered_results(lines, n_tests)
    raise OutputError(
        "no test results found (expected JSON like {\"results\": [...]} or 'Test 1: PASS' lines)"
    )


class UnitTestEvaluator:
    """Orders candidates by unit tests passed (stable ties) and keeps the top_k."""

    kind = "unit_test_evaluator"

    def calls(self, layer: Layer, state: State, index: int) -> list[CallSpec]:
        if needs_execution(layer) or not state.tests:
            return []
        n_tests = len(state.tests)
        groups = [
            {
                "query": state.query,
                "candidate": candidate_block(candidate),
                "tests": tests_block(state.tests),
                "n_tests": n_tests,
            }
            for candidate in state.candidates
        ]
        return judge_calls(
            layer,
            self.kind,
            groups,
            system=SYSTEM,
            prompt=PROMPT,
            parse=lambda text: parse_test_results(text, n_tests),
            response_format=RESPONSE_FORMAT,
            history=state.history,
        )

    def combine(
        self, layer: Layer, state: State, index: int, results: list[Any]
    ) -> tuple[State, list[Degradation]]:
        n = len(state.candidates)
        keep = keep_top(layer, n)
        if not state.tests:
            degradations = (
                [
                    Degradation(
                        index,
                        self.kind,
                        "unit_test_evaluator",
                        "no unit tests to evaluate",
                        f"kept the input order of the {n} candidates (first {keep} kept)",
                    )
                ]
                if n
                else []
            )
            return state.with_(candidates=state.candidates[:keep]), degradations
        execute = needs_execution(layer)
        per_candidate = 1 if execute else len(layer.models)
        if len(results) != n * per_candidate:
            raise ValueError(
                f"unit_test_evaluator.combine got {len(results)} results for {n} candidates "
                f"({'one per candidate' if execute else f'{per_candidate} per candidate'} expected)"
            )
        n_tests = len(state.tests)
        degradations, scored = [], []
        for j, candidate in enumerate(state.candidates):
            got = results[j * per_candidate : (j + 1) * per_candidate]
            usable = []
            for m, result in enumerate(got):
                call = "sandbox" if execute else f"unit_test_evaluator[{j * per_candidate + m}]"
                if result is None or len(result) != n_tests:
                    degradations.append(
                        Degradation(
                            index,
                            self.kind,
                            call,
                            "candidate could not be run"
                            if execute
                            else "no usable test results after retries",
                            f"candidate {j + 1} has no results from this {'run' if execute else 'judge'}",
                        )
                    )
                else:
                    usable.append(tuple(bool(v) for v in result))
            if usable:
                # Several judges: a test passes when most of them say so (a tie fails it).
                passed = tuple(sum(r[t] for r in usable) * 2 > len(usable) for t in range(n_tests))
                scored.append(candidate.with_(tests_passed=passed))
            else:
                scored.append(candidate.with_(tests_passed=None))
        if layer.first_k is not None:
            passing = [c for c in scored if c.tests_passed is not None and all(c.tests_passed)]
            if len(passing) >= layer.first_k:
                return state.with_(candidates=tuple(passing[: layer.first_k])), degradations
        order = sorted(
            range(n),
            key=lambda j: (
                -(sum(scored[j].tests_passed or ()) if scored[j].tests_passed is not None else -1),
                j,
            ),
        )
        return state.with_(candidates=tuple(scored[j] for j in order[:keep])), degradations
