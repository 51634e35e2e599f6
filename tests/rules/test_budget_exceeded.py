from archon_testing import codes, findings

M = 'model m = "openai/gpt-4o"\nlayer generator { model = m; samples = 25 }\nlayer fuser { model = m }\n'


def test_calls_over_budget():
    [f] = findings(M + "budget calls <= 20", "S010")
    assert (f["line"], f["message"]) == (4, "calls per query is 26, over the budget calls <= 20")


def test_cost_budget_with_unknown_price_cannot_be_checked():
    text = 'model m = "openai/unpriced-model-x"\nlayer generator { model = m }\nbudget cost <= 0.01'
    [f] = findings(text, "S010")
    assert f["severity"] == "warning" and "cannot be checked" in f["message"]


def test_within_budget_passes():
    assert codes(M + "budget calls <= 30\nbudget depth <= 2", "S010") == []


def test_budget_restricts_a_template_instead_of_failing_it():
    from archon_dsl.checker import check_text

    text = 'model m = "openai/gpt-4o"\nparam n: int = 1 in 1..10\nlayer generator { model = m; samples = n }\nlayer fuser { model = m }\nbudget calls <= 6'
    result = check_text(text)
    assert (result.raw, result.valid, result.errors) == (10, 5, [])
