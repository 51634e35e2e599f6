from hypothesis import given, strategies as st

from archon_dsl.components.parsing import extract_code, extract_json, numbered_items, yes_no
from archon_dsl.components.ranker import parse_ranking


def test_json_whole_fenced_or_inside_prose():
    assert extract_json('{"a": 1}') == {"a": 1}
    assert extract_json('Sure:\n```json\n{"a": 1,}\n```\nDone.') == {"a": 1}
    assert extract_json("Result: {'a': True} as asked") == {"a": True}
    assert extract_json('Candidate [2] wins: {"ranking": [2, 1]} because [1] is off.') == {"ranking": [2, 1]}
    assert extract_json("no json here") is None
    assert extract_json('brace { in "prose" never closed') is None


def test_json_wanted_type_only():
    assert extract_json('[1, 2] then {"k": 3}', dict) == {"k": 3}


def test_numbered_items_with_continuations():
    text = "Intro\n1. first\n   more\n2) second\n[3] third\n(4) fourth"
    assert numbered_items(text) == [(1, "first\nmore"), (2, "second"), (3, "third"), (4, "fourth")]


def test_yes_no_words():
    assert yes_no("YES") is True and yes_no("Incorrect.") is False and yes_no("not correct") is False
    assert yes_no("No errors found.") is True and yes_no("maybe") is None


def test_extract_code_prefers_python_blocks_that_define_things():
    text = "Here:\n```python\ndef f(x):\n    return x\n```\nExample:\n```python\nprint(f(2))\n```"
    assert extract_code(text) == "def f(x):\n    return x\n"
    assert extract_code("```\nx = 1\n```") == "x = 1\n"
    assert extract_code("```python\ndef g():\n    return 1") == "def g():\n    return 1\n"  # cut off reply
    assert extract_code("def h():\n    return 2\n") == "def h():\n    return 2\n"
    assert extract_code("```js\nlet a\n```\n```python\nb = 2\n```") == "b = 2\n"


@given(st.permutations(list(range(1, 8))), st.sampled_from(["json", "chain", "list", "label", "bare"]))
def test_any_permutation_round_trips_in_every_style(order, style):
    text = {
        "json": f'{{"ranking": {order}}}',
        "chain": " > ".join(f"[{k}]" for k in order),
        "list": "\n".join(f"{i}. Candidate {k} because it is good" for i, k in enumerate(order, 1)),
        "label": "After thought.\nRanking: " + ", ".join(map(str, order)),
        "bare": str(order),
    }[style]
    assert parse_ranking(text, 7) == [k - 1 for k in order]
