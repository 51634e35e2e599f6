from archon_testing import codes

M = 'model a = "openai/gpt-4o"\nmodel b = "openai/gpt-4o-mini"\nlayer generator { models = [a, b]; samples = 3 }\n'


def test_ranker_with_two_models():
    assert codes(M + "layer ranker { models = [a, b]; top_k = 1 }", "A005") == [("A005", 4)]


def test_fuser_may_hold_several():
    assert codes(M + "layer fuser { models = [a, b] }\nlayer fuser { model = a }", "A005") == []
