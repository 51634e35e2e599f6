from archon_testing import findings

GOOD = 'model m = "openai/gpt-4o"\n'


def test_misspelt_kind_suggests_the_right_one():
    found = findings(GOOD + "layer generator { model = m }\nlayer fusor { model = m }", "E002")
    assert [(f["code"], f["line"]) for f in found] == [("E002", 3)]
    assert "fusor" in found[0]["message"]


def test_hint_names_the_closest_kind():
    from archon_dsl.checker import check_text

    result = check_text(GOOD + "layer generator { model = m }\nlayer fusor { model = m }", select=["E002"])
    assert result.diagnostics[0].hint == "did you mean 'fuser'?"


def test_known_kinds_pass():
    assert findings(GOOD + "layer generator { model = m }\nlayer fuser { model = m }", "E002") == []
