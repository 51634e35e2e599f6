import json

import pytest

from archon_dsl.datasets import BUILTIN, DatasetError, _generate, dataset_path, load_dataset
from archon_dsl.runtime.sandbox import run_tests


def test_builtin_sizes_and_fields():
    sizes = {name: len(load_dataset(name)) for name in BUILTIN}
    assert sizes == {"arithmetic": 60, "multiple_choice": 40, "python_functions": 25}
    for name in BUILTIN:
        rows = load_dataset(name)
        assert len({r["id"] for r in rows}) == len(rows)
        assert len({r["question"] for r in rows}) == len(rows)


def test_shipped_files_are_what_the_generator_writes(tmp_path):
    _generate.main(tmp_path)
    for name in BUILTIN:
        assert (tmp_path / f"{name}.jsonl").read_bytes() == dataset_path(name).read_bytes(), name


def test_arithmetic_answers_are_integers_with_distinct_plausible_mistakes():
    for row in load_dataset("arithmetic"):
        assert isinstance(row["answer"], int) and row["answer"] >= 0
        assert (
            row["answer"] not in row["distractors"]
            and len(set(row["distractors"])) == len(row["distractors"]) >= 2
        )


def test_multiple_choice_answer_is_one_of_four_lettered_options():
    rows = load_dataset("multiple_choice")
    for row in rows:
        assert row["answer"] in "ABCD" and len(row["answer"]) == 1
        assert f"\n{row['answer']}) {row['options'][row['answer']]}" in row["question"]
    assert len({r["answer"] for r in rows}) == 4  # answers spread over the letters


def test_reference_solutions_pass_their_tests_in_the_sandbox():
    for row in load_dataset("python_functions"):
        assert f"def {row['entry_point']}(" in row["answer"]
        assert run_tests(row["answer"], row["tests"]) == [True] * len(row["tests"]), row["id"]


def test_broken_variants_fail_exactly_the_tests_recorded():
    for row in load_dataset("python_functions")[:5]:
        for variant, fails in zip(row["buggy"], row["buggy_fails"], strict=True):
            results = run_tests(variant, row["tests"])
            assert [i for i, ok in enumerate(results) if not ok] == fails, row["id"]


def test_user_jsonl_path(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text(
        '{"id": 1, "question": "2+2?", "answer": 4}\n\n{"id": "b", "question": "Q", "answer": "x"}\n'
    )
    assert [r["id"] for r in load_dataset(str(path))] == [1, "b"]


@pytest.mark.parametrize(
    "text, line, message",
    [
        ('{"id": 1, "question": "q", "answer": 1}\n{"id": 2, "question": "q"\n', 2, "not valid JSON"),
        ('{"id": 1, "question": "q"}\n', 1, "missing 'answer'"),
        ("[1, 2]\n", 1, "expected a JSON object"),
        ('{"id": 1, "question": "", "answer": 1}\n', 1, "'question' must be a non-empty string"),
        (
            '{"id": 1, "question": "q", "answer": 1}\n{"id": 1, "question": "r", "answer": 2}\n',
            2,
            "already used on line 1",
        ),
        ('{"id": 1, "question": "q", "answer": "a", "tests": "assert x"}\n', 1, "'tests' must be a list"),
        ('{"id": true, "question": "q", "answer": "a"}\n', 1, "'id' must be"),
    ],
)
def test_bad_rows_name_their_line(tmp_path, text, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(text)
    with pytest.raises(DatasetError) as caught:
        load_dataset(path)
    [diagnostic] = caught.value.diagnostics
    assert message in diagnostic.message and diagnostic.message.startswith(f"line {line}")
    assert diagnostic.span.line == line and diagnostic.path == str(path) and diagnostic.code == "D001"


def test_unknown_names_and_missing_files(tmp_path):
    with pytest.raises(DatasetError) as caught:
        load_dataset("arithmetc")
    assert "did you mean 'arithmetic'" in caught.value.diagnostics[0].hint
    with pytest.raises(DatasetError, match="no dataset file"):
        load_dataset(str(tmp_path / "absent.jsonl"))
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    with pytest.raises(DatasetError, match="has no rows"):
        load_dataset(empty)


def test_rows_are_plain_json_objects():
    row = load_dataset("python_functions")[0]
    assert json.loads(json.dumps(row)) == row
