from archon_testing import findings

M = 'model m = "openai/gpt-4o"\n'


def test_samples_below_one():
    [f] = findings(M + "layer generator { model = m; samples = 0 }", "S012")
    assert f["message"] == "`samples` must be at least 1, got 0"


def test_temperature_out_of_range_and_wrong_types():
    assert findings(M + "layer generator { model = m; temperature = 3 }", "S012")[0]["line"] == 2
    assert (
        "needs an int" in findings(M + 'layer generator { model = m; samples = "3" }', "S012")[0]["message"]
    )


def test_arithmetic_on_a_model():
    [f] = findings(M + "layer generator { model = m + 1 }", "S012")
    assert "needs a number" in f["message"]


def test_division_by_zero_in_some_points():
    text = (
        M
        + "param n: int = 1 in 0..2\nlayer generator { model = m; samples = 4 // n }\nlayer fuser { model = m }"
    )
    [f] = findings(text, "S012")
    assert f["when"] == "n = 0"


def test_valid_values_pass():
    assert (
        findings(
            M + "layer generator { model = m; samples = 2; temperature = 0.2 }\nlayer fuser { model = m }",
            "S012",
        )
        == []
    )
