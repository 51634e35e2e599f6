"""JSON with positions: where each key and element is written, for diagnostics."""

from __future__ import annotations

import pytest

from archon_dsl.diagnostics import ArchonError, Span
from archon_dsl.interop.jsonpos import parse_json, path_text

TEXT = '{\n  "name": "x",\n  "layers": [\n    [ {"type": "generator", "a b": [1, 2.5e3, null]} ],\n    []\n  ]\n}\n'


def test_values_are_those_json_loads_gives():
    assert parse_json(TEXT).value == {
        "name": "x",
        "layers": [[{"type": "generator", "a b": [1, 2500.0, None]}], []],
    }


def test_a_member_is_located_at_its_key_and_an_element_at_its_start():
    document = parse_json(TEXT, "c.json")
    assert document.span(("name",)) == Span(2, 3, 2, 9)
    assert document.span(("layers", 0, 0, "type")) == Span(4, 8, 4, 14)
    assert document.span(("layers", 0, 0)) == Span(4, 7, 4, 8)
    assert document.span(("layers", 0, 0, "a b", 2)).line == 4
    assert document.span(("layers", 1)) == Span(5, 5, 5, 6)
    # A path that is not written falls back to its nearest written parent.
    assert document.span(("layers", 0, 0, "missing")) == document.span(("layers", 0, 0))


def test_keys_given_twice_are_recorded():
    assert parse_json('{"a": {"k": 1, "k": 2}}').duplicates == [("a", "k")]


def test_escaped_keys_and_strings_with_brackets_do_not_confuse_the_walk():
    document = parse_json('{"q\\"}": "]}", "next": [{"x": "{"}]}')
    assert document.value == {'q"}': "]}", "next": [{"x": "{"}]}
    assert document.span(("next", 0, "x")) == Span(1, 26, 1, 29)


def test_broken_json_is_one_diagnostic_with_line_and_column():
    with pytest.raises(ArchonError) as info:
        parse_json('{\n  "a": 1,\n}\n', "bad.json")
    [diag] = info.value.diagnostics
    assert (diag.code, diag.path, diag.span.line, diag.span.column) == ("J001", "bad.json", 3, 1)
    assert "trailing comma" in diag.hint


@pytest.mark.parametrize(
    "path, text",
    [
        ((), "$"),
        (("layers", 0, 2, "top_k"), "$.layers[0][2].top_k"),
        (("layers", 1, "models", 0), "$.layers[1].models[0]"),
        (("odd key",), '$["odd key"]'),
    ],
)
def test_path_text(path, text):
    assert path_text(path) == text


def test_keys_given_twice_are_found_in_nested_and_overwritten_objects_in_document_order():
    document = parse_json('{"a": {"k": 1, "k": 2}, "a": {"x": [1, {"y": 1, "y": 2}]}}')
    assert document.duplicates == [("a", "k"), ("a",), ("a", "x", 1, "y")]
    # A path through a key given twice follows the value json keeps: the last.
    assert document.span(("a", "x", 1, "y")) == Span(1, 49, 1, 52)


def test_json_nested_beyond_what_python_reads_is_one_diagnostic():
    with pytest.raises(ArchonError) as info:
        parse_json("[" * 100_000 + "]" * 100_000, "deep.json")
    [diag] = info.value.diagnostics
    assert diag.code == "J001" and "nested too deeply" in diag.message


def test_many_paths_are_located_each_at_its_own_line():
    text = '{"layers": [\n' + ",\n".join('[{"type": "fuser", "top_k": 1}]' for _ in range(2000)) + "\n]}"
    document = parse_json(text)
    assert [document.span(("layers", i, 0, "top_k")).line for i in range(2000)] == list(range(2, 2002))
