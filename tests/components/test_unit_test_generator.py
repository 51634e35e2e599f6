import pytest

from archon_dsl.components import COMPONENTS, OutputError
from archon_dsl.components.unit_test_generator import parse_tests

from .helpers import layer, state, user_prompt

UTG = COMPONENTS["unit_test_generator"]


def test_one_call_asking_for_count_tests_default_five():
    [spec] = UTG.calls(layer("unit_test_generator"), state("x"), 1)
    assert "Write 5 unit tests" in user_prompt(spec)
    [spec] = UTG.calls(layer("unit_test_generator", count=3), state("x"), 1)
    assert "Write 3 unit tests" in user_prompt(spec)
    assert spec.response_format["json_schema"]["name"] == "archon_unit_tests"


@pytest.mark.parametrize(
    "reply",
    [
        '{"tests": ["assert f(1) == 2", "assert f(0) == 1"]}',
        "Tests:\n```python\nassert f(1) == 2\nassert f(0) == 1\n```",
        "1. assert f(1) == 2\n2. assert f(0) == 1",
        "Test 1: `assert f(1) == 2`\nTest 2: `assert f(0) == 1`",
        '["assert f(1) == 2", "assert f(0) == 1", "assert f(1) == 2"]',
    ],
)
def test_tolerant_test_lists(reply):
    assert parse_tests(reply, 5) == ["assert f(1) == 2", "assert f(0) == 1"]


def test_extra_tests_are_cut_to_count_and_none_is_an_error():
    assert parse_tests('{"tests": ["a", "b", "c"]}', 2) == ["a", "b"]
    with pytest.raises(OutputError):
        parse_tests("I would rather not.", 5)
    with pytest.raises(OutputError):
        parse_tests('{"tests": []}', 5)


def test_tests_go_into_state_and_candidates_are_untouched():
    st = state("x", "y")
    new, degradations = UTG.combine(layer("unit_test_generator"), st, 1, [["t1", "t2"]])
    assert new.tests == ("t1", "t2") and new.candidates == st.candidates and degradations == []


def test_failed_call_adds_no_tests():
    new, [d] = UTG.combine(layer("unit_test_generator"), state("x"), 1, [None])
    assert new.tests == () and d.call == "unit_test_generator[0]"
