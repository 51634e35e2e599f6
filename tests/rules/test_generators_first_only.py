from archon_testing import codes

M = 'model m = "openai/gpt-4o"\n'


def test_generator_in_a_later_layer():
    text = M + "layer generator { model = m }\nlayer fuser { model = m }\nlayer generator { model = m }"
    assert codes(text, "A003") == [("A003", 4)]


def test_single_generator_layer_passes():
    assert codes(M + "layer generator { model = m; samples = 3 }\nlayer fuser { model = m }", "A003") == []
