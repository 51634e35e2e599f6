"""`--draws architecture`: each architecture a search evaluates draws its own samples (its own sim seed, its
own cache entries), so no two share a reply; one architecture's own evaluations stay consistent."""

from __future__ import annotations

import pytest

from archon_dsl import api
from archon_dsl.datasets import load_dataset
from archon_dsl.diagnostics import ArchonError
from archon_dsl.itas.evaluate import ExecutorEvaluator
from archon_dsl.loader import load_text
from archon_dsl.runtime import sim
from archon_dsl.runtime.cache import Cache, CachedReply, SaltedCache, cache_key

SPACE = """\
archon "draws"
model a = "sim/a" { skill = 0.5 }
model b = "sim/b" { skill = 0.4 }
param k: int = 1 in 1..3
layer generator { models = [a, b]; samples = 2 }
layer fuser { models = [a, b, a][:k] }
"""
ROWS = load_dataset("arithmetic")[:24]


def _answers(evaluator, arch) -> list[float]:
    return evaluator.evaluate(arch, ROWS).scores


def test_each_architecture_runs_at_its_own_seed_and_one_architecture_at_the_same():
    template = load_text(SPACE)
    one, two = template.instantiate({"k": 1}), template.instantiate({"k": 2})
    seed_one, seed_two = sim.architecture_seed(7, one), sim.architecture_seed(7, two)
    assert seed_one != seed_two != 7
    assert sim.architecture_seed(7, template.instantiate({"k": 1})) == seed_one
    assert sim.architecture_seed(8, one) != seed_one
    # Own draws are the draws of its own seed, through the fast path and through the executor alike.
    own = sim.SimEvaluator("numeric", seed=7, draws="architecture")
    assert _answers(own, one) == _answers(sim.SimEvaluator("numeric", seed=seed_one), one)
    assert _answers(own, one) == _answers(own, one)
    with ExecutorEvaluator("numeric", sim_seed=7, draws="architecture", cache=None) as executor:
        assert executor.evaluate(one, ROWS).scores == _answers(own, one)
    with pytest.raises(ValueError, match="draws must be one of"):
        sim.SimEvaluator("numeric", draws="fresh")


def test_a_salted_cache_keeps_each_architectures_replies_apart(tmp_path):
    cache = Cache(tmp_path / "cache.sqlite")
    reply = CachedReply("text", "m", 1, 1, 0.0)
    key = cache_key("m", [{"role": "user", "content": "hi"}])
    SaltedCache(cache, "one").put(key, reply)
    assert SaltedCache(cache, "one").get(key) == reply
    assert SaltedCache(cache, "two").get(key) is None
    assert cache.get(key) is None
    cache.close()


def test_shared_draws_share_replies_and_own_draws_do_not(tmp_path):
    template = load_text(SPACE)
    one, two = template.instantiate({"k": 1}), template.instantiate({"k": 2})
    entries = {}
    for draws in ("shared", "architecture"):
        cache = Cache(tmp_path / f"{draws}.sqlite")
        with ExecutorEvaluator("numeric", sim_seed=3, draws=draws, cache=cache) as evaluator:
            calls = evaluator.evaluate(one, ROWS).calls + evaluator.evaluate(two, ROWS).calls
        entries[draws] = cache.entries()
        cache.close()
    # Both run the same generator layer (4 calls a row) and the same first fuser, shown the same
    # candidates: shared draws store those calls once, and only the second fuser (b) anew.
    assert calls == (5 + 6) * len(ROWS)
    assert entries["architecture"] == calls
    assert entries["shared"] == (5 + 1) * len(ROWS)


def test_search_records_its_draws_and_refuses_what_cannot_honour_them(known_path, rows_file, tmp_path):
    out = tmp_path / "run"
    options = {"strategy": "random", "trials": 3, "sim": True, "cache": tmp_path / "cache"}
    result = api.search(known_path, rows_file, "numeric", draws="architecture", out=out, **options)
    assert result.evaluations == 3
    assert '"draws": "architecture"' in (out / "state.json").read_text()
    with pytest.raises(ArchonError, match="draws = 'architecture'"):
        api.search(known_path, rows_file, "numeric", draws="shared", out=out, resume=True, **options)
    with pytest.raises(ArchonError, match="unknown draws"):
        api.search(known_path, rows_file, "numeric", draws="fresh", **options)
    with pytest.raises(ArchonError, match="not to one passed as evaluator"):
        api.search(
            known_path, rows_file, "numeric", draws="architecture", evaluator=sim.SimEvaluator(), **options
        )
    with pytest.raises(ArchonError, match="does not run on Ray"):
        api.search(known_path, rows_file, "numeric", draws="architecture", ray=True, **options)
