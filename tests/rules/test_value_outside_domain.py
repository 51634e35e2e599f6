from archon_testing import codes

M = 'model m = "openai/gpt-4o"\n'


def test_default_outside_range():
    text = M + "param n: int = 12 in 1..10\nlayer generator { model = m; samples = n }"
    assert ("S007", 2) in codes(text, "S007")


def test_default_inside_passes():
    assert codes(M + "param n: int = 10 in 1..10\nlayer generator { model = m; samples = n }", "S007") == []


def test_value_given_on_the_command_line():
    import pytest

    from archon_dsl.loader import load_text
    from archon_dsl.template import InstantiateError

    template = load_text(M + "param n: int = 1 in 1..10\nlayer generator { model = m; samples = n }")
    with pytest.raises(InstantiateError) as error:
        template.instantiate({"n": 11})
    assert error.value.diagnostics[0].code == "S007"
