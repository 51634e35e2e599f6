from archon_testing import findings


def test_reports_e001_with_location():
    [f] = findings("layer generator { model: gpt4o }")
    assert (f["code"], f["line"], f["message"]) == ("E001", 1, "expected '=' but found ':'")


def test_clean_file_has_no_syntax_error():
    assert findings('model m = "openai/gpt-4o"\nlayer generator { model = m }') == []
