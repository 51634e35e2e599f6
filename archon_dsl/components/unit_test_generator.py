"""Unit-test generator: one call per model writing `count` unit tests for the query into state.tests."""

from __future__ import annotations

import functools
import re
from typing import Any

from ..architecture import Layer
from ..kinds import kind_spec
from .base import CallSpec, Degradation, OutputError, State
from .parsing import code_blocks, extract_json, get_key, numbered_items
from .prompting import call_spec, check_results, json_schema

DEFAULT_COUNT = 5
SYSTEM = (
    "You write unit tests that a correct response to a query must pass. Each test checks one "
    "specific, verifiable property; together they cover the main requirement and the tricky edge "
    "cases. Tests are independent of one another. Do not answer the query yourself."
)
PROMPT = (
    "<query>\n{query}\n</query>\n\n"
    "Write {count} unit tests for a response to this query.\n"
    "If the query asks for code, write each test as one line of Python: an assert statement that "
    "calls the requested function, e.g. assert add(2, 3) == 5.\n"
    "Otherwise write each test as one short sentence stating a property a correct response must "
    'have, e.g. "The final answer is 12."\n'
    'Reply with JSON only: {"tests": ["...", "..."]}'
)
PLACEHOLDERS = kind_spec("unit_test_generator").placeholders
RESPONSE_FORMAT = json_schema(
    "archon_unit_tests",
    {
        "type": "object",
        "properties": {"tests": {"type": "array", "items": {"type": "string"}}},
        "required": ["tests"],
        "additionalProperties": False,
    },
)

_LABEL = re.compile(r"^\s*(?:unit\s+)?test\s*#?\s*\d*\s*[:.)-]\s*", re.IGNORECASE)


def _clean(test: Any) -> str:
    if isinstance(test, dict):
        test = get_key(test, "test", "code", "assert", "description", "text") or ""
    text = str(test).strip()
    text = _LABEL.sub("", text).strip()
    if text.startswith("`") and text.endswith("`"):
        text = text.strip("`").strip()
    return text


def parse_tests(text: str, count: int) -> list[str]:
    """Between 1 and `count` distinct tests, from JSON, Python asserts in a fence, or a numbered list."""
    data = extract_json(text)
    items = get_key(data, "tests", "unit_tests", "unittests") if isinstance(data, dict) else data
    if isinstance(items, list):
        tests = [_clean(t) for t in items]
    else:
        fenced = [code for _, code in code_blocks(text)]
        lines = [_clean(line) for block in fenced or [text] for line in block.splitlines()]
        asserts = [line for line in lines if line.startswith("assert ")]
        tests = asserts or [_clean(body) for _, body in numbered_items(text)]
    tests = list(dict.fromkeys(t for t in tests if t))
    if not tests:
        raise OutputError('no unit tests found (expected JSON like {"tests": [...]} or a numbered list)')
    return tests[:count]


def tests_wanted(layer: Layer) -> int:
    return layer.count if layer.count is not None else DEFAULT_COUNT


class UnitTestGenerator:
    """Writes the query's unit tests into state.tests (replacing any before); candidates untouched."""

    kind = "unit_test_generator"

    def calls(self, layer: Layer, state: State, index: int) -> list[CallSpec]:
        count = tests_wanted(layer)
        return [
            call_spec(
                layer,
                model,
                default_system=SYSTEM,
                default_prompt=PROMPT,
                values={"query": state.query, "count": count},
                parse=functools.partial(parse_tests, count=count),
                tag=f"unit_test_generator[{m}]",
                response_format=RESPONSE_FORMAT,
                history=state.history,
            )
            for m, model in enumerate(layer.models)
        ]

    def combine(
        self, layer: Layer, state: State, index: int, results: list[Any]
    ) -> tuple[State, list[Degradation]]:
        check_results(results, len(layer.models), self.kind)
        degradations, tests = [], []
        for m, (model, result) in enumerate(zip(layer.models, results, strict=True)):
            if result is None:
                degradations.append(
                    Degradation(
                        index,
                        self.kind,
                        f"unit_test_generator[{m}]",
                        "no usable unit tests after retries",
                        f"no tests from {model.id}",
                    )
                )
            else:
                tests.extend(result)
        if not tests:
            return state, degradations  # the evaluator then records that it had nothing to run
        return state.with_(tests=tuple(dict.fromkeys(tests))), degradations
