from archon_testing import findings

M = 'model m = "openai/gpt-4o"\npool p = [m, m]\n'
BODY = "layer generator { models = p[:n] }\n"


def test_a_condition_reads_only_parameters_declared_above_it():
    text = M + "param f: int = 1 in 1..2 when n >= 2\nparam n: int = 1 in 1..2\n" + BODY
    found = findings(text, "S016")
    assert [(f["line"], f["message"]) for f in found] == [
        (3, "the condition of 'f' reads 'n', which is declared after it")
    ]


def test_itself_and_pools_are_refused_too():
    text = M + "param n: int = 1 in 1..2\nparam f: int = 1 in 1..2 when f > 1 or len(p) > n\n" + BODY
    messages = [f["message"] for f in findings(text, "S016")]
    assert messages == ["the condition of 'f' reads 'f' itself", "the condition of 'f' reads the pool 'p'"]


def test_an_undefined_name_in_a_condition_is_undefined_name():
    text = M + "param n: int = 1 in 1..2\nparam f: int = 1 in 1..2 when nn >= 2\n" + BODY
    assert [(f["code"], f["line"]) for f in findings(text) if f["code"] in ("S005", "S016")] == [("S005", 4)]


def test_conditions_on_earlier_parameters_and_models_pass():
    text = (
        M
        + "param n: int = 1 in 1..2\nparam c: choice = m in {m}\n"
        + "param f: int = 1 in 1..2 when n >= 2 and c == m\n"
        + "layer generator { models = p[:n] }\nif n >= 2 { layer fuser { models = p[:f] } }\n"
    )
    assert findings(text, "S016") == []
    assert [f for f in findings(text) if f["severity"] == "error"] == []
