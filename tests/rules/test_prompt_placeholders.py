from archon_testing import findings

M = 'model m = "openai/gpt-4o"\nlayer generator { model = m; samples = 3 }\n'


def test_unknown_placeholder_with_a_suggestion():
    from archon_dsl.checker import check_text

    result = check_text(
        M + 'layer fuser { model = m; prompt = "Merge for {qeury}: {candidates}" }', select=["S013"]
    )
    [d] = result.diagnostics
    assert "{qeury}" in d.message and d.hint == "did you mean {query}?"


def test_prompt_that_never_shows_the_candidates():
    [f] = findings(M + 'layer fuser { model = m; prompt = "Answer {query} well." }', "S013")
    assert "never shows the model {candidates}" in f["message"]


def test_literal_braces_and_known_placeholders_pass():
    text = (
        M
        + 'layer fuser { model = m; prompt = "Reply as {{\\"answer\\": ...}} to {query}: {candidates}"; system = "Be brief." }'
    )
    assert findings(text, "S013") == []
