from archon_testing import codes, findings

M = 'model m = "openai/gpt-4o"\n'


def test_more_than_24_candidates():
    found = findings(M + "layer generator { model = m; samples = 25 }\nlayer fuser { model = m }", "S002")
    assert [(f["line"], f["message"].startswith("25 candidates")) for f in found] == [(3, True)]


def test_fan_in_limit_is_configurable():
    text = (
        "defaults { fan_in = 4 }\n"
        + M
        + "layer generator { model = m; samples = 5 }\nlayer fuser { model = m }"
    )
    assert codes(text, "S002") == [("S002", 4)]


def test_context_window_of_the_fuser():
    text = (
        'model small = "openai/tiny" { context_window = 4000; cost_in = 1.0; cost_out = 1.0 }\n'
        + M
        + "layer generator { model = m; samples = 4; max_tokens = 1000 }\nlayer fuser { model = small }"
    )
    [f] = findings(text, "S002")
    assert "context holds 4,000" in f["message"]


def test_template_names_the_values():
    text = (
        M + "param n: int = 2 in 1..30\nlayer generator { model = m; samples = n }\nlayer fuser { model = m }"
    )
    [f] = findings(text, "S002")
    assert f["when"] == "n >= 25"


def test_within_limits_passes():
    assert (
        codes(
            M + "layer generator { model = m; samples = 24; max_tokens = 512 }\nlayer fuser { model = m }",
            "S002",
        )
        == []
    )
