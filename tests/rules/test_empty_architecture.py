from archon_testing import findings


def test_repeat_zero_leaves_nothing():
    text = 'model m = "openai/gpt-4o"\nparam d: int = 1 in 0..2\nrepeat d { layer generator { model = m } }'
    found = [f for f in findings(text, "S011")]
    assert [(f["code"], f["when"]) for f in found] == [("S011", "d = 0")]


def test_layers_present_pass():
    assert findings('model m = "openai/gpt-4o"\nlayer generator { model = m }', "S011") == []


def test_declaration_library_is_exempt():
    assert findings('model m = "openai/gpt-4o"\npool p = [m]\n') == []
