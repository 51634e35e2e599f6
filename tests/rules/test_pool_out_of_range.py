from archon_testing import findings

M = 'model a = "openai/gpt-4o"\nmodel b = "openai/gpt-4o-mini"\npool p = [a, b, a, b]\n'


def test_slice_overruns_for_large_values():
    text = M + "param n: int = 2 in 1..6\nlayer generator { models = p[:n] }\nlayer fuser { model = a }"
    [f] = findings(text, "S008")
    assert (f["line"], f["when"]) == (5, "n >= 5")


def test_index_out_of_range():
    [f] = findings(M + "layer generator { model = p[7] }", "S008")
    assert "out of range" in f["message"]


def test_slices_within_the_pool_pass():
    text = M + "param n: int = 2 in 1..4\nlayer generator { models = p[:n] }\nlayer fuser { model = p[0] }"
    assert findings(text, "S008") == []
