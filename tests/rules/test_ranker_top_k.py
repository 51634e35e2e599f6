from archon_testing import findings

M = 'model m = "openai/gpt-4o"\n'


def test_top_k_keeps_everything():
    found = findings(
        M + "layer generator { model = m; samples = 3 }\nlayer ranker { model = m; top_k = 5 }", "S003"
    )
    assert [(f["line"], f["severity"]) for f in found] == [(3, "info")]


def test_ranker_of_one_candidate():
    found = findings(M + "layer generator { model = m }\nlayer ranker { model = m; top_k = 1 }", "S003")
    assert "single candidate" in found[0]["message"]


def test_filtering_ranker_passes():
    assert (
        findings(
            M + "layer generator { model = m; samples = 8 }\nlayer ranker { model = m; top_k = 3 }", "S003"
        )
        == []
    )
