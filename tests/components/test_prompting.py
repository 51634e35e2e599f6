from hypothesis import given, strategies as st

from archon_dsl.components import COMPONENTS
from archon_dsl.components.prompting import placeholders, render

from .helpers import layer, state, user_prompt


def test_render_fills_known_names_and_keeps_the_rest():
    template = 'Q: {query} n={n} {unknown} {"ranking": [1]} {{literal}}'
    assert render(template, {"query": "why?", "n": 3}) == 'Q: why? n=3 {unknown} {"ranking": [1]} {literal}'
    assert placeholders(template) == ["query", "n", "unknown"]


@given(st.text().filter(lambda s: "{" not in s and "}" not in s))
def test_text_without_braces_is_unchanged(text):
    assert render(text, {"query": "x"}) == text


def test_values_are_not_rendered_twice():
    assert render("{query}", {"query": "{n}", "n": 5}) == "{n}"


def test_every_kind_takes_a_prompt_and_system_override():
    st_ = state("cand one", "cand two", tests=("assert True",))
    for kind, component in COMPONENTS.items():
        lay = layer(kind, prompt="Q={query}", system="SYS")
        specs = component.calls(lay, st_, 1)
        assert specs, kind
        assert specs[0].messages == (
            {"role": "system", "content": "SYS"},
            {"role": "user", "content": "Q=What is 6 * 7?"},
        ), kind


def test_kind_specific_placeholders():
    st_ = state("cand one", "cand two", critiques=("c1", "c2"), tests=("assert f(1)", "assert f(2)"))
    cases = {
        "critic": ("{n}|{candidates}", '2|<candidate id="1">'),
        "ranker": ("{top_k}|{critiques}", "1|Critiques of the candidates"),
        "fuser": ("{critiques}", '<critique id="2">\nc2'),
        "verifier": ("{candidate}", "<candidate>\ncand one\n</candidate>"),
        "unit_test_generator": ("{count}", "4"),
        "unit_test_evaluator": ("{n_tests}|{tests}", '2|<test id="1">assert f(1)</test>'),
    }
    for kind, (template, expected) in cases.items():
        lay = layer(
            kind,
            prompt=template,
            top_k=1 if kind == "ranker" else None,
            count=4 if kind == "unit_test_generator" else None,
        )
        [first, *_] = COMPONENTS[kind].calls(lay, st_, 1)
        assert expected in user_prompt(first), (kind, user_prompt(first))


def test_registry_has_the_seven_kinds():
    from archon_dsl.architecture import KINDS

    assert set(COMPONENTS) == set(KINDS)
    for kind, component in COMPONENTS.items():
        assert component.kind == kind
