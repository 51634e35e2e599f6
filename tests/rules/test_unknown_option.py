from archon_testing import codes, findings

GOOD = 'model m = "openai/gpt-4o"\nlayer generator { models = [m, m] }\n'


def test_option_of_another_kind():
    assert codes(GOOD + "layer ranker { model = m; samples = 3 }", "E003") == [("E003", 3)]


def test_misspelt_option_gets_a_suggestion():
    from archon_dsl.checker import check_text

    result = check_text(GOOD + "layer ranker { model = m; topk = 1 }", select=["E003"])
    assert result.diagnostics[0].hint == "did you mean `top_k`?"


def test_model_and_models_together():
    found = findings(GOOD + "layer fuser { model = m; models = [m] }", "E003")
    assert [f["message"] for f in found] == ["a layer takes `model` or `models`, not both"]


def test_defaults_and_provider_options():
    text = 'defaults { temprature = 0.5 }\nprovider "openai" { rpm = 10; qps = 3 }\n' + GOOD
    assert codes(text, "E003") == [("E003", 1), ("E003", 2)]


def test_valid_options_pass():
    assert codes(GOOD + "layer ranker { model = m; top_k = 1; temperature = 0.1 }", "E003") == []
