from archon_testing import codes

M = 'model m = "openai/gpt-4o"\nlayer generator { model = m; samples = 5 }\n'


def test_evaluator_without_generator():
    assert codes(M + "layer unit_test_evaluator { model = m; top_k = 1 }", "A006") == [("A006", 3)]


def test_generator_without_evaluator():
    assert codes(M + "layer unit_test_generator { model = m }\nlayer fuser { model = m }", "A006") == [
        ("A006", 3)
    ]


def test_consecutive_pair_passes():
    text = M + "layer unit_test_generator { model = m }\nlayer unit_test_evaluator { model = m; top_k = 1 }"
    assert codes(text, "A006") == []
