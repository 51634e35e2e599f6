from archon_testing import codes, findings

M = 'model m = "openai/gpt-4o"\n'


def test_samples_left_at_the_end():
    found = findings(M + "layer generator { model = m; samples = 5 }", "S001")
    assert [(f["code"], f["severity"]) for f in found] == [("S001", "warning")]


def test_verifier_at_the_end_looks_through_to_the_fuser():
    text = (
        M
        + "layer generator { model = m; samples = 3 }\nlayer fuser { models = [m, m] }\nlayer verifier { model = m }"
    )
    assert codes(text, "S001") == [("S001", 4)]


def test_ranker_at_the_end_orders_the_answer():
    assert (
        codes(M + "layer generator { model = m; samples = 5 }\nlayer ranker { model = m; top_k = 3 }", "S001")
        == []
    )


def test_single_fuser_passes():
    assert codes(M + "layer generator { model = m; samples = 5 }\nlayer fuser { model = m }", "S001") == []
