from archon_testing import findings


def test_unknown_provider_is_an_error_with_a_suggestion():
    from archon_dsl.checker import check_text

    result = check_text('model m = "opnai/gpt-4o"\nlayer generator { model = m }', select=["S004"])
    [d] = result.diagnostics
    assert (d.code, d.severity.value) == ("S004", "error")
    assert d.hint == "did you mean 'openai/gpt-4o'?"


def test_unlisted_model_is_a_warning():
    [f] = findings('model m = "openai/gpt-17-ultra"\nlayer generator { model = m }', "S004")
    assert f["severity"] == "info"


def test_missing_prefix():
    [f] = findings('model m = "gpt-4o"\nlayer generator { model = m }', "S004")
    assert "no provider prefix" in f["message"]


def test_priced_local_and_sim_models_pass():
    text = (
        'model a = "openai/gpt-4o"\nmodel b = "openai/local" { api_base = "http://127.0.0.1:9/v1" }\n'
        'model c = "sim/alpha"\nmodel d = "together_ai/x/y" { cost_in = 1.0; cost_out = 1.0 }\n'
        "layer generator { models = [a, b, c, d] }\nlayer fuser { model = a }"
    )
    assert findings(text, "S004") == []
