"""Dataset runs on a local Ray cluster against the loopback provider: same answers, one line per row, one rate limit."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from support.openai_server import OpenAIServer, Reply  # noqa: E402

from archon_dsl.runtime.limits import Limit, Limits  # noqa: E402
from archon_dsl.scale import run_rows_on_ray  # noqa: E402
from archon_dsl.scale.limiter import ClusterLimits, LimiterService, share_of  # noqa: E402

pytestmark = pytest.mark.slow  # a Ray cluster starts once (~6 s), then each test takes a few seconds

CALLS = 4  # generator x3, fuser


def arch_text(base_url: str, provider: str = "") -> str:
    return "\n".join(
        [
            'archon "ray-small"',
            "defaults { max_tokens = 64; retries = 0 }",
            provider,
            f'model gen = "openai/gen" {{ api_base = "{base_url}" }}',
            f'model fuse = "openai/fuse" {{ api_base = "{base_url}" }}',
            "layer generator { model = gen; samples = 3 }",
            "layer fuser { model = fuse }",
        ]
    )


@pytest.fixture(scope="session")
def cluster():
    """One local Ray instance of 2 CPUs for every test here; workers run in it, so it is the only one started."""
    started = not ray.is_initialized()
    if started:
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    if started:
        ray.shutdown()


@pytest.fixture
def server():
    with OpenAIServer(latency=0.005) as server:
        server.set("gen", Reply.ok("Working: 6 * 7 = 42.\nAnswer: 42"))
        server.set("fuse", Reply.ok("Taking the best: 6 * 7 = 42.\nAnswer: 42"))
        yield server


def rows(n: int) -> list[dict]:
    return [{"id": f"q{i}", "question": f"What is {i} * 7?"} for i in range(n)]


def test_rows_on_ray_answer_as_a_local_run_write_each_row_once_and_pay_each_call_once(
    cluster, server, tmp_path
):
    from archon_dsl import run_dataset

    arch = tmp_path / "small.arch"
    arch.write_text(arch_text(server.base_url), encoding="utf-8")
    local = run_dataset(arch, rows(24), cache=tmp_path / "local-cache")
    server.reset()
    server.set("gen", Reply.ok("Working: 6 * 7 = 42.\nAnswer: 42"))
    server.set("fuse", Reply.ok("Taking the best: 6 * 7 = 42.\nAnswer: 42"))

    out = tmp_path / "out.jsonl"
    stats: dict = {}
    on_ray = run_rows_on_ray(arch, rows(24), out, cache=tmp_path / "cache", stats=stats)
    assert [(r.id, r.answer, r.error) for r in on_ray] == [(r.id, r.answer, r.error) for r in local]
    assert server.total_hits == 24 * CALLS  # every call once, none twice
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["id"] for line in lines) == sorted(f"q{i}" for i in range(24))
    assert stats["shards"] > 1 and stats["lost_rows"] == 0 and stats["cache_puts"] == 24 * CALLS

    # A rerun on the same --out runs nothing; a new --out with the same cache pays nothing.
    assert [r.answer for r in run_rows_on_ray(arch, rows(24), out, cache=tmp_path / "cache")] == [
        r.answer for r in local
    ]
    again = run_rows_on_ray(arch, rows(24), tmp_path / "other.jsonl", cache=tmp_path / "cache")
    assert server.total_hits == 24 * CALLS
    assert all(r.cached_calls == CALLS for r in again)


def test_concurrency_limit_holds_for_the_whole_cluster(cluster, server, tmp_path):
    arch = tmp_path / "limited.arch"
    arch.write_text(arch_text(server.base_url, 'provider "openai" { concurrency = 2 }'), encoding="utf-8")
    stats: dict = {}
    results = run_rows_on_ray(arch, rows(16), None, cache=False, stats=stats)
    assert all(r.error is None for r in results)
    assert server.total_hits == 16 * CALLS
    assert server.max_in_flight <= 2  # two workers, each would send 3 generator calls at once alone
    assert stats["limiter"]["granted"] == 16 * CALLS and stats["limiter"]["leases"] == 0


def test_limiter_books_the_cluster_rate_in_order(cluster):
    limits = Limits(providers={"openai": Limit(rpm=60)})
    limiter = ray.remote(LimiterService).remote(limits, functools.partial(float, 0))  # time stands still
    booked = [ray.get(limiter.acquire.remote("openai/gen", None, 10)) for _ in range(3)]
    waits = [wait for _, wait in booked]
    # One request a second, a bucket of one second: the first now, then one a second.
    assert (
        waits[0] == 0 and waits[1] == pytest.approx(1.0, abs=0.1) and waits[2] == pytest.approx(2.0, abs=0.1)
    )
    ray.get(limiter.release.remote(booked[2][0], None, True))  # its worker missed the time: void
    assert ray.get(limiter.acquire.remote("openai/gen", None, 10))[1] == pytest.approx(2.0, abs=0.1)
    ray.get(limiter.defer.remote("openai/gen", 30))  # Retry-After: 30 s for every worker
    assert ray.get(limiter.acquire.remote("openai/other", None, 10))[1] == 30.0
    ray.kill(limiter)


def test_a_lost_limiter_leaves_each_worker_its_share(cluster):
    import anyio

    limits = Limits(providers={"openai": Limit(rpm=600, concurrency=4)})
    share = share_of(limits, 2, [])
    assert share.providers["openai"] == Limit(rpm=300, concurrency=2)
    limiter = ray.remote(LimiterService).remote(limits)
    ray.kill(limiter)
    cluster_limits = ClusterLimits(limiter, share, limits)

    async def call() -> None:
        async with cluster_limits.slot("openai/gen", 10) as slot:
            slot.report(12)

    anyio.run(call)
    assert cluster_limits.fallbacks == 1 and cluster_limits.using_share


def test_a_search_trial_on_ray_scores_as_the_local_evaluator(cluster, server, tmp_path):
    from archon_dsl import load
    from archon_dsl.api import resolve_architecture
    from archon_dsl.itas.evaluate import ExecutorEvaluator
    from archon_dsl.scale.search import RayEvaluator

    arch_file = tmp_path / "small.arch"
    arch_file.write_text(arch_text(server.base_url), encoding="utf-8")
    arch = resolve_architecture(load(arch_file))
    data = [
        {"id": f"q{i}", "question": f"Question {i}: 6 * 7?", "answer": str(42 + i % 2)} for i in range(10)
    ]
    with ExecutorEvaluator("numeric", cache=tmp_path / "local") as local:
        expected = local.evaluate(arch, data)
    hits = server.total_hits
    with RayEvaluator("numeric", cache=tmp_path / "ray") as on_ray:
        got = on_ray.evaluate(arch, data)
        assert on_ray.evaluate(arch, data).calls == got.calls  # the second time from the shared cache
    assert server.total_hits - hits == 10 * CALLS
    assert (got.score, got.calls, got.errors, got.rows) == (expected.score, expected.calls, 0, 10)
    assert got.scores == expected.scores and got.score == 0.5


def test_an_address_that_does_not_answer_is_e041_at_once(tmp_path):
    import socket
    import subprocess
    import sys

    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    data = tmp_path / "in.jsonl"
    data.write_text('{"id": "a", "question": "2 + 2?"}\n', encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "archon_dsl.cli", "run", "examples/best_of_n.arch", "--sim", "--no-progress"]
        + ["--data", str(data), "--out", str(tmp_path / "out.jsonl"), "--ray", f"127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 2
    assert f"E041 [ray-unreachable] cannot join the Ray cluster at 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_search_with_ray_evaluates_what_a_local_search_does(cluster):
    from archon_dsl import search

    options = dict(strategy="random", trials=3, sim=True, cache=None, seed=3, split=0)
    local = search("examples/itas.arch", "arithmetic", "numeric", **options)
    on_ray = search("examples/itas.arch", "arithmetic", "numeric", workers=2, ray=True, **options)

    def trials(result) -> list:  # in the order they finished, which two at a time may change
        return sorted((json.dumps(t.params, sort_keys=True), t.score) for t in result.trials)

    assert trials(on_ray) == trials(local) and on_ray.best_score == local.best_score


def test_a_search_trial_on_ray_runs_at_the_searchs_sim_seed(cluster, tmp_path, monkeypatch):
    """The seed reaches the workers in the prepared architecture: no environment of theirs is read."""
    from archon_dsl import load
    from archon_dsl.api import resolve_architecture
    from archon_dsl.datasets import load_dataset
    from archon_dsl.itas.evaluate import ExecutorEvaluator
    from archon_dsl.scale.search import RayEvaluator

    monkeypatch.delenv("ARCHON_SIM_SEED", raising=False)
    arch = resolve_architecture(
        load(
            'archon "seeded"\nmodel m2 = "sim/m2" { skill = 0.35 }\nmodel m3 = "sim/m3" { skill = 0.65 }\n'
            "layer generator { models = [m2, m3] }\nlayer ranker { model = m3; top_k = 1 }\n"
        )
    )
    data = load_dataset("arithmetic")[:10]
    with ExecutorEvaluator("numeric", sim=True, sim_seed=3, cache=False) as local:
        expected = local.evaluate(arch, data)
    with ExecutorEvaluator("numeric", sim=True, cache=False) as unseeded:
        assert unseeded.evaluate(arch, data).scores != expected.scores  # the seed shows in the scores
    with RayEvaluator("numeric", sim=True, sim_seed=3, cache=tmp_path / "ray") as on_ray:
        got = on_ray.evaluate(arch, data)
    assert got.scores == expected.scores and got.calls == expected.calls
