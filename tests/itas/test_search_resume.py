"""An interrupted search resumes from its output directory without redoing finished trials."""

from __future__ import annotations

import json

import pytest

from archon_dsl.diagnostics import ArchonError
from archon_dsl.itas import ExecutorEvaluator, search


class Counting:
    """An evaluator that counts trial evaluations (on the 8 development rows, not the 2 held out)
    and can stop the run after a number of them."""

    def __init__(self, inner, stop_after: int | None = None):
        self.inner, self.stop_after, self.count = inner, stop_after, 0
        self.scorer = inner.scorer

    def evaluate(self, arch, rows):
        if len(rows) == 8:
            if self.stop_after is not None and self.count >= self.stop_after:
                raise KeyboardInterrupt  # as if the user pressed Ctrl-C during the next evaluation
            self.count += 1
        return self.inner.evaluate(arch, rows)

    def close(self):
        self.inner.close()


def _search(known_path, rows, cache_dir, evaluator, **options):
    return search(known_path, rows, "numeric", sim=True, cache=cache_dir, evaluator=evaluator, **options)


@pytest.mark.parametrize("strategy", ["random", "greedy", "bo"])
def test_interrupted_search_resumes_without_redoing_trials(strategy, known_path, rows, cache_dir, tmp_path):
    inner = ExecutorEvaluator("numeric", sim=True, cache=cache_dir)
    out = tmp_path / "run"
    first = Counting(inner, stop_after=3)
    with pytest.raises(KeyboardInterrupt):
        _search(known_path, rows, cache_dir, first, strategy=strategy, trials=7, seed=5, out=out)
    done = [json.loads(line) for line in (out / "trials.jsonl").read_text().splitlines()]
    assert len(done) == 3
    assert json.loads((out / "state.json").read_text())["status"] == "running"

    second = Counting(inner)
    resumed = _search(
        known_path, rows, cache_dir, second, strategy=strategy, trials=7, seed=5, out=out, resume=True
    )
    assert second.count == 4  # only the trials still to do
    assert resumed.evaluations == 7
    assert [t.params for t in resumed.trials[:3]] == [d["params"] for d in done]
    points = [tuple(sorted(t.params.items())) for t in resumed.trials]
    assert len(points) == len(set(points))
    assert json.loads((out / "state.json").read_text())["status"] == "done"

    if strategy != "bo":  # seeded and deterministic: the same trials as a run never interrupted
        whole = _search(known_path, rows, cache_dir, Counting(inner), strategy=strategy, trials=7, seed=5)
        assert [t.params for t in resumed.trials] == [t.params for t in whole.trials]
    inner.close()


def test_resume_with_a_larger_budget_continues(known_path, rows, cache_dir, tmp_path):
    out = tmp_path / "grow"
    counter = Counting(ExecutorEvaluator("numeric", sim=True, cache=cache_dir))
    _search(known_path, rows, cache_dir, counter, strategy="random", trials=3, out=out)
    grown = _search(known_path, rows, cache_dir, counter, strategy="random", trials=5, out=out, resume=True)
    assert counter.count == 5 and grown.evaluations == 5


def test_an_output_directory_is_not_overwritten_without_resume(known_path, rows, cache_dir, tmp_path):
    out = tmp_path / "taken"
    _search(known_path, rows, cache_dir, None, strategy="random", trials=2, out=out)
    with pytest.raises(ArchonError, match="already holds a search"):
        _search(known_path, rows, cache_dir, None, strategy="random", trials=2, out=out)


def test_resume_refuses_a_different_search(known_path, rows, cache_dir, tmp_path):
    out = tmp_path / "other"
    _search(known_path, rows, cache_dir, None, strategy="random", trials=2, out=out, seed=1)
    with pytest.raises(ArchonError, match="seed"):
        _search(known_path, rows, cache_dir, None, strategy="random", trials=3, out=out, seed=2, resume=True)
    with pytest.raises(ArchonError, match="strategy"):
        _search(known_path, rows, cache_dir, None, strategy="grid", trials=3, out=out, seed=1, resume=True)
