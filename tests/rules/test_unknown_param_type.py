from archon_testing import codes


def test_unknown_type():
    text = (
        'model m = "openai/gpt-4o"\nparam n: integer = 1 in 1..3\nlayer generator { model = m; samples = n }'
    )
    assert ("E004", 2) in codes(text, "E004")


def test_known_types_pass():
    text = (
        'model m = "openai/gpt-4o"\nparam n: int = 1 in 1..3\nparam t: float = 0.5 in 0.0..1.0\n'
        "param v: bool = false\nparam c: choice = m in {m}\n"
        "layer generator { model = c; samples = n; temperature = t }\n"
        "if v { layer fuser { model = m } }"
    )
    assert codes(text, "E004") == []
