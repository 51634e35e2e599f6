from archon_testing import findings

M = 'model m = "openai/gpt-4o"\npool p = [m, m, m]\nparam n: int = 1 in 1..3\n'


def test_a_condition_false_for_every_value_is_reported():
    text = M + "param f: int = 1 in 1..3 when n > 3\nlayer generator { models = p[:n] }\n"
    [found] = findings(text, "S017")
    assert (found["line"], found["severity"]) == (4, "warning")
    assert found["message"] == "'f' never exists: its condition is false for every value of 'n'"


def test_under_a_parameter_that_never_exists_nothing_exists():
    text = (
        M
        + "param f: int = 1 in 1..3 when n > 3\nparam g: int = 1 in 1..3 when f >= 1\n"
        + "layer generator { models = p[:n] }\n"
    )
    assert [f["line"] for f in findings(text, "S017")] == [4, 5]


def test_a_condition_that_holds_somewhere_passes():
    text = M + "param f: int = 1 in 1..3 when n == 3\nlayer generator { models = p[:n] }\n"
    assert findings(text, "S017") == []
