"""What a search writes to --out: the best .arch, trials as JSONL and CSV, result, state and plots."""

from __future__ import annotations

import csv
import json

from archon_dsl.checker import check_architecture
from archon_dsl.language.parser import parse
from archon_dsl.language.printer import print_module
from archon_dsl.loader import load, load_text

PNG = b"\x89PNG\r\n\x1a\n"


def test_best_arch_is_the_best_configuration_in_canonical_form(bo_run, known_path):
    text = (bo_run.out / "best.arch").read_text()
    assert print_module(parse(text)) == text  # what the formatter writes
    best = load_text(text).instantiate({})
    expected = load(known_path).instantiate({**bo_run.best.params})
    assert best.same_as(expected)
    assert not [d for d in check_architecture(best) if d.is_error]
    assert bo_run.notes == []  # it read back to the same architecture


def test_trials_are_recorded_as_jsonl_and_csv(bo_run):
    lines = (bo_run.out / "trials.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["index"] for r in records] == list(range(len(bo_run.trials)))
    for record in records:
        assert {"params", "score", "cost", "calls", "duration", "overhead", "source"} <= set(record)
        assert record["calls"] > 0 and record["duration"] >= 0
    with open(bo_run.out / "trials.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == len(records)
    assert {"level", "n", "judge", "critique", "score", "cost", "calls", "duration"} <= set(table[0])
    assert all(abs(float(row["score"]) - r["score"]) < 1e-5 for row, r in zip(table, records, strict=True))


def test_result_state_and_plots(bo_run):
    result = json.loads((bo_run.out / "result.json").read_text())
    assert result["best"]["params"] == bo_run.best.params
    assert result["best_score"] == bo_run.best.held_out  # the held-out score is the one reported
    assert result["rows_dev"] == 8 and result["rows_held_out"] == 2
    state = json.loads((bo_run.out / "state.json").read_text())
    assert state["status"] == "done" and state["evaluations"] == 10 and state["strategy"] == "bo"
    for name in ("best_so_far.png", "pareto.png"):
        assert (bo_run.out / name).read_bytes()[:8] == PNG


def test_python_api_result_object(bo_run):
    assert (
        bo_run.best_arch is not None and bo_run.best_arch.assignment["level"] == bo_run.best.params["level"]
    )
    assert bo_run.best_score == bo_run.best.held_out
    assert bo_run.front == []  # a single objective: no front in the result
    assert bo_run.to_dict()["evaluations"] == 10
