import pytest

from archon_dsl.components import COMPONENTS, OutputError
from archon_dsl.components.unit_test_evaluator import execution_jobs, needs_execution, parse_test_results

from .helpers import layer, state, user_prompt

UTE = COMPONENTS["unit_test_evaluator"]
TESTS = ("assert f(1) == 2", "assert f(2) == 3", "assert f(0) == 1")


@pytest.mark.parametrize(
    "reply",
    [
        '{"results": [{"test": 1, "passed": true}, {"test": 2, "passed": false}, {"test": 3, "passed": true}]}',
        '{"results": [{"test": 3, "passed": true}, {"test": 1, "passed": true}, {"test": 2, "passed": false}]}',
        "[true, false, true]",
        '{"results": ["pass", "fail", "pass"]}',
        "Test 1: PASS\nTest 2: FAIL - returns 4\nTest 3: PASS",
        "- **Test 1**: passes\n- **Test 2**: fails\n- **Test 3**: passes",
        "1. ✅\n2. ❌\n3. ✅",
        '{"test_1": true, "test_2": false, "test_3": true}',
    ],
)
def test_tolerant_test_results(reply):
    assert parse_test_results(reply, 3) == (True, False, True)


@pytest.mark.parametrize(
    "reply",
    [
        "[true, false]",
        "Test 1: PASS\nTest 2: PASS",
        "Test 1: PASS\nTest 1: FAIL\nTest 2: PASS",
        "Test 1: PASS\nTest 2: unclear\nTest 3: PASS",
        "Looks fine overall.",
    ],
)
def test_bad_results_are_output_errors(reply):
    with pytest.raises(OutputError):
        parse_test_results(reply, 3)


def test_judge_mode_one_call_per_candidate_showing_the_tests():
    lay = layer("unit_test_evaluator")
    specs = UTE.calls(lay, state("a", "b", tests=TESTS), 2)
    assert len(specs) == 2 and not needs_execution(lay)
    assert '<test id="3">assert f(0) == 1</test>' in user_prompt(specs[0])


def test_ranks_by_tests_passed_with_stable_ties_and_keeps_top_k():
    st = state("a", "b", "c", "d", tests=TESTS)
    results = [(True, False, False), (True, True, False), (False, True, False), (True, True, True)]
    new, degradations = UTE.combine(layer("unit_test_evaluator", top_k=3), st, 2, results)
    assert [c.text for c in new.candidates] == ["d", "b", "a"]  # a and c tie on 1: input order
    assert new.candidates[1].tests_passed == (True, True, False)
    assert degradations == []


def test_failed_judge_call_ranks_last_and_is_recorded():
    st = state("a", "b", tests=TESTS)
    new, [d] = UTE.combine(layer("unit_test_evaluator"), st, 2, [None, (False, False, False)])
    assert [(c.text, c.tests_passed) for c in new.candidates] == [("b", (False, False, False)), ("a", None)]
    assert d.call == "unit_test_evaluator[0]"


def test_execute_mode_makes_no_calls_and_takes_one_result_per_candidate():
    lay = layer("unit_test_evaluator", mode="execute", top_k=1)
    st = state("```python\ndef f(x):\n    return x + 1\n```", "def f(x):\n    return x\n", tests=TESTS)
    assert needs_execution(lay) and UTE.calls(lay, st, 2) == []
    jobs = execution_jobs(st)
    assert jobs == [("def f(x):\n    return x + 1\n", TESTS), ("def f(x):\n    return x\n", TESTS)]
    new, degradations = UTE.combine(lay, st, 2, [(False, False, False), (True, True, True)])
    assert [c.text for c in new.candidates] == [st.candidates[1].text] and degradations == []
    new, [d] = UTE.combine(lay, st, 2, [None, (False, True, False)])
    assert d.call == "sandbox" and new.candidates[0].tests_passed == (False, True, False)


def test_no_tests_no_calls_input_order_and_a_record():
    st = state("a", "b", "c")
    assert UTE.calls(layer("unit_test_evaluator"), st, 2) == []
    assert execution_jobs(st) == []
    new, [d] = UTE.combine(layer("unit_test_evaluator", top_k=2), st, 2, [])
    assert [c.text for c in new.candidates] == ["a", "b"] and d.reason == "no unit tests to evaluate"


def test_several_judges_majority_per_test():
    lay = layer("unit_test_evaluator", "x", "y", "z")
    st = state("a", tests=TESTS[:2])
    new, _ = UTE.combine(lay, st, 2, [(True, False), (True, True), (False, False)])
    assert new.candidates[0].tests_passed == (True, False)


def test_result_count_mismatch_is_a_caller_bug():
    with pytest.raises(ValueError, match="one per candidate"):
        UTE.combine(
            layer("unit_test_evaluator", mode="execute"), state("a", "b", tests=TESTS), 2, [(True,) * 3]
        )
