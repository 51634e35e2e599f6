from archon_testing import codes


def test_unused_model_and_param():
    text = 'model m = "openai/gpt-4o"\nmodel spare = "openai/gpt-4o-mini"\nparam n: int = 1 in 1..3\nlayer generator { model = m }'
    assert codes(text, "S006") == [("S006", 2), ("S006", 3)]


def test_used_through_a_pool_passes():
    text = 'model m = "openai/gpt-4o"\npool p = [m]\nlayer generator { models = p }'
    assert codes(text, "S006") == []
