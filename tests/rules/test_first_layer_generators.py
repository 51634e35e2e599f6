from archon_testing import codes

M = 'model m = "openai/gpt-4o"\n'


def test_unit_test_generator_first():
    text = M + "layer unit_test_generator { model = m }\nlayer generator { model = m }"
    assert codes(text, "A002") == [("A002", 2)]


def test_fuser_first():
    assert codes(M + "layer fuser { model = m }", "A002") == [("A002", 2)]


def test_generator_first_passes():
    assert codes(M + "layer generator { model = m }\nlayer fuser { model = m }", "A002") == []
