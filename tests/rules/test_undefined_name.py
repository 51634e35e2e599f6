from archon_testing import findings

M = 'model m = "openai/gpt-4o"\npool p = [m]\n'


def test_typo_in_a_branch_the_default_never_takes():
    text = M + "param v: bool = false\nlayer generator { model = m }\nif v { layer fuser { models = pp } }"
    found = findings(text, "S005")
    assert [(f["line"], f["message"]) for f in found] == [(5, "'pp' is not defined")]


def test_loop_variable_is_defined_inside_only():
    text = (
        M
        + "param d: int = 2 in 1..3\nlayer generator { model = m }\nrepeat i in 0..d { layer fuser { models = p[:i + 1] } }\nlayer fuser { models = p[:i] }"
    )
    assert [f["line"] for f in findings(text, "S005")] == [6]


def test_declared_names_pass():
    assert findings(M + "layer generator { models = p }", "S005") == []
