"""The executor through the real Provider and litellm, against the loopback OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import json

import anyio
import pytest

from archon_dsl.components import COMPONENTS
from archon_dsl.components.base import OutputError
from archon_dsl.loader import load_text
from archon_dsl.runtime.cache import Cache
from archon_dsl.runtime.executor import OUTPUT_RETRIES, Executor, Query
from archon_dsl.runtime.provider import Provider
from tests.support.openai_server import OpenAIServer, Reply


@pytest.fixture(autouse=True)
def fresh(server):
    server.reset()


def architecture(server: OpenAIServer, body: str, defaults: str = "retries = 2; timeout = 5"):
    """An architecture whose models g1, g2, judge, fuse all live on the loopback server."""
    models = "\n".join(
        f'model {name} = "openai/{name}" {{ api_base = "{server.base_url}" }}'
        for name in ("g1", "g2", "judge", "fuse")
    )
    return load_text(f"defaults {{ {defaults} }}\n{models}\n{body}").instantiate()


def executor(arch, cache=None, **options) -> Executor:
    provider = Provider.for_architecture(arch, cache=cache, env_file=None, backoff_base=0.01)
    return Executor(arch, provider, **options)


def run(ex: Executor, question: str = "What is 2 + 2?"):
    return anyio.run(ex.run_query, Query(question, "q1"))


def critiques(n: int) -> str:
    return json.dumps(
        {"critiques": [{"candidate": k + 1, "strengths": "clear", "weaknesses": "none"} for k in range(n)]}
    )


GEN_FUSE = """
layer generator { models = [g1, g2]; samples = 2 }
layer fuser { model = fuse }
"""


def test_success_runs_every_layer_and_answers_with_the_first_candidate(server):
    server.set("g1", Reply.ok("four, says g1"))
    server.set("g2", Reply.ok("four, says g2"))
    server.set("fuse", Reply.ok("The answer is 4."))
    result = run(executor(architecture(server, GEN_FUSE)))
    assert result.error is None
    assert result.answer == "The answer is 4."
    assert (result.calls, server.hits["g1"], server.hits["g2"], server.hits["fuse"]) == (5, 2, 2, 1)
    assert [(layer.kind, layer.calls, layer.candidates) for layer in result.layers] == [
        ("generator", 4, 4),
        ("fuser", 1, 1),
    ]
    assert result.input_tokens > 0 and result.output_tokens > 0
    # openai/g1 has no known price: the cost is unknown, never $0.
    assert result.cost_usd is None
    assert {(r.layer, r.kind, r.model, r.sample) for r in result.records} == {
        (0, "generator", "openai/g1", 0),
        (0, "generator", "openai/g1", 1),
        (0, "generator", "openai/g2", 0),
        (0, "generator", "openai/g2", 1),
        (1, "fuser", "openai/fuse", 0),
    }


def test_prices_from_the_model_give_dollars_per_call_layer_and_query(server):
    arch = load_text(f"""
model g = "openai/g1" {{ api_base = "{server.base_url}"; cost_in = 1.0; cost_out = 2.0 }}
layer generator {{ model = g; samples = 2 }}
""").instantiate()
    server.set("g1", Reply.ok("one two three"))
    result = run(executor(arch))
    per_call = [r.input_tokens * 1e-6 + r.output_tokens * 2e-6 for r in result.records]
    assert result.cost_usd == pytest.approx(sum(per_call))
    assert result.layers[0].cost_usd == pytest.approx(sum(per_call))
    assert all(r.cost_usd == pytest.approx(c) for r, c in zip(result.records, per_call, strict=True))


def test_the_calls_of_a_layer_overlap_at_the_server(server):
    server.set("*", Reply.slow(0.2, "a candidate"))
    result = run(executor(architecture(server, "layer generator { models = [g1, g2]; samples = 3 }")))
    assert result.error is None
    assert server.max_in_flight == 6


def test_the_global_concurrency_bound_holds_at_the_server(server):
    server.set("*", Reply.slow(0.05, "a candidate"))
    arch = architecture(server, "layer generator { models = [g1, g2]; samples = 3 }")
    ex = executor(arch, concurrency=2)

    async def many():
        return await ex.run_many([Query("q", str(i), i) for i in range(3)])

    results = anyio.run(many)
    assert all(r.error is None for r in results)
    assert server.total_hits == 18 and server.max_in_flight <= 2


def test_defaults_apply_and_layer_options_win(server):
    arch = architecture(
        server,
        """
layer generator { model = g1; temperature = 0.2 }
layer fuser { model = fuse }
""",
        defaults="temperature = 0.9; max_tokens = 77",
    )
    run(executor(arch))
    bodies = {r.model: r.body for r in server.requests}
    assert (bodies["g1"]["temperature"], bodies["g1"]["max_tokens"]) == (0.2, 77)
    assert (bodies["fuse"]["temperature"], bodies["fuse"]["max_tokens"]) == (0.9, 77)


def test_a_429_with_retry_after_is_waited_out_then_succeeds(server):
    server.script("g1", [Reply.rate_limited(retry_after=0.05), Reply.ok("after the wait")])
    result = run(executor(architecture(server, "layer generator { model = g1 }")))
    assert result.answer == "after the wait"
    assert server.hits["g1"] == 2
    assert result.records[0].attempts == 2 and result.records[0].error is None


def test_server_errors_are_retried_then_succeed(server):
    server.script("g1", [Reply.error(500), Reply.error(503), Reply.ok("third time")])
    result = run(executor(architecture(server, "layer generator { model = g1 }")))
    assert result.answer == "third time"
    assert result.records[0].attempts == 3


def test_a_query_whose_layer_fails_entirely_records_the_error_and_the_others_go_on(server):
    def by_question(body):
        asked = body["messages"][-1]["content"]
        return Reply.error(500) if "broken" in asked else Reply.ok(f"answer to {asked}")

    server.set("g1", by_question)
    ex = executor(architecture(server, "layer generator { model = g1 }", defaults="retries = 1"))

    async def many():
        return await ex.run_many([Query("fine 1", "a"), Query("broken", "b"), Query("fine 2", "c")])

    a, b, c = anyio.run(many)
    assert (a.answer, c.answer) == ("answer to fine 1", "answer to fine 2")
    assert b.answer is None
    assert "layer 0 (generator)" in b.error and "500" in b.error
    assert b.records[0].attempts == 2  # 1 + retries


def test_a_timed_out_call_is_left_out_and_the_query_still_answers(server):
    server.set("g1", Reply.ok("from g1"))
    server.set("g2", Reply.hanging())
    arch = architecture(
        server, "layer generator { models = [g2, g1] }", defaults="timeout = 0.3; retries = 0"
    )
    result = run(executor(arch))
    assert result.error is None and result.answer == "from g1"
    failed = [r for r in result.records if r.error]
    assert len(failed) == 1 and failed[0].model == "openai/g2"
    assert "imeout" in failed[0].error or "timed out" in failed[0].error
    assert result.layers[0].failed_calls == 1
    assert [d["call"] for d in result.degradations] == ["generator[0]"]


def test_slow_responses_within_the_timeout_are_waited_for(server):
    server.set("g1", Reply.slow(0.3, "slow but sure"))
    result = run(executor(architecture(server, "layer generator { model = g1 }", defaults="timeout = 5")))
    assert result.answer == "slow but sure"
    assert result.records[0].latency_s >= 0.25


RANKED = """
layer generator { models = [g1, g2] }
layer ranker { model = judge; top_k = 1 }
"""


def test_unparseable_output_is_reasked_a_bounded_number_of_times_then_degrades(server):
    server.set("g1", Reply.ok("candidate one"))
    server.set("g2", Reply.ok("candidate two"))
    server.set("judge", Reply.ok("I like them both."))
    result = run(executor(architecture(server, RANKED)))
    assert server.hits["judge"] == 1 + OUTPUT_RETRIES
    ranker = [r for r in result.records if r.kind == "ranker"][0]
    assert ranker.reasks == OUTPUT_RETRIES and ranker.parse_error
    assert [(d["layer"], d["kind"]) for d in result.degradations] == [(1, "ranker")]
    assert result.error is None and result.answer == "candidate one"  # input order kept


def test_a_reask_reaches_the_model_again_and_the_good_reply_is_what_the_cache_keeps(server, tmp_path):
    server.set("g1", Reply.ok("candidate one"))
    server.set("g2", Reply.ok("candidate two"))
    server.script("judge", [Reply.ok("no idea"), Reply.ok('{"ranking": [2, 1]}')])
    cache = Cache(tmp_path / "cache.sqlite")
    arch = architecture(server, RANKED)
    first = run(executor(arch, cache=cache))
    assert first.answer == "candidate two" and not first.degradations
    assert server.hits["judge"] == 2
    again = run(executor(arch, cache=cache))
    assert again.answer == "candidate two"
    assert server.hits["judge"] == 2 and again.cached_calls == again.calls == 3
    assert again.cost_usd in (0.0, None) and all(r.cached for r in again.records)


def test_critiques_flow_to_the_fuser(server):
    server.set("g1", Reply.ok("candidate one"))
    server.set("g2", Reply.ok("candidate two"))
    server.set("judge", Reply.ok(critiques(2)))
    server.set("fuse", Reply.echo())
    arch = architecture(
        server,
        """
layer generator { models = [g1, g2] }
layer critic { model = judge }
layer fuser { model = fuse }
""",
    )
    result = run(executor(arch))
    assert result.error is None and not result.degradations
    assert "clear" in result.answer and "candidate two" in result.answer


def test_a_bug_in_parsing_fails_that_query_only(server):
    class Exploding:
        """A generator whose parse raises something that is not an OutputError (a bug, not bad output)."""

        def calls(self, layer, state, index):
            specs = COMPONENTS["generator"].calls(layer, state, index)
            return [s.__class__(**{**s.__dict__, "parse": self.parse}) for s in specs]

        @staticmethod
        def parse(text):
            if "boom" in text:
                raise KeyError("boom")
            if "bad" in text:
                raise OutputError("bad")
            return text

        def combine(self, layer, state, index, results):
            return COMPONENTS["generator"].combine(layer, state, index, results)

    server.set("g1", Reply.echo())
    arch = architecture(server, "layer generator { model = g1 }")
    ex = executor(arch, components={"generator": Exploding()})

    async def many():
        return await ex.run_many([Query("boom", "a"), Query("fine", "b")])

    boom, fine = anyio.run(many)
    assert boom.error == "KeyError: 'boom'" and boom.answer is None
    assert fine.error is None and fine.answer == "fine"


def test_cancelling_a_run_leaves_no_task_and_no_request_behind(server):
    server.set("*", Reply.hanging())
    ex = executor(architecture(server, "layer generator { models = [g1, g2]; samples = 2 }"), concurrency=0)
    finished = []

    async def cancelled():
        with anyio.move_on_after(0.5) as scope:
            await ex.run_many([Query(f"q{i}", str(i), i) for i in range(5)], finished.append)
        assert scope.cancelled_caught
        current = asyncio.current_task()
        return [t for t in asyncio.all_tasks() if t is not current and not t.done()]

    leftover = anyio.run(cancelled)
    assert finished == []
    assert leftover == []
    assert server.total_hits == 20
    for _ in range(100):  # the client hung up on every request
        if server.in_flight == 0:
            break
        anyio.run(anyio.sleep, 0.02)
    assert server.in_flight == 0


def test_the_python_api_runs_a_template_offline_with_params(tmp_path):
    from archon_dsl.api import run

    text = """
param n: int = 1 in 1..3
layer generator { model = "openai/gpt-4o"; samples = n }
layer fuser { model = "openai/gpt-4o" }
"""
    result = run(
        text,
        "What is 17 * 23?",
        params={"n": 3},
        sim=True,
        cache=tmp_path / "cache",
        trace=tmp_path / "trace.jsonl",
    )
    assert result.error is None and result.answer
    assert result.calls == 4 and [layer.calls for layer in result.layers] == [3, 1]
    assert (tmp_path / "cache" / "cache.sqlite").exists()
    assert len((tmp_path / "trace.jsonl").read_text(encoding="utf-8").splitlines()) == 5


def test_execute_mode_runs_the_candidates_code_in_the_sandbox_without_llm_calls(tmp_path):
    from archon_dsl.api import arun_dataset
    from archon_dsl.datasets import load_dataset

    row = load_dataset("python_functions")[0]
    text = """
layer generator { model = "openai/gpt-4o-mini"; samples = 3 }
layer unit_test_generator { model = "openai/gpt-4o"; count = 4 }
layer unit_test_evaluator { model = "openai/gpt-4o"; top_k = 1; mode = "execute" }
"""
    [result] = anyio.run(lambda: arun_dataset(text, [row], sim=True, cache=False))
    assert result.error is None, result.error
    assert [(layer.kind, layer.calls) for layer in result.layers] == [
        ("generator", 3),
        ("unit_test_generator", 1),
        ("unit_test_evaluator", 0),
    ]
    assert result.layers[-1].candidates == 1 and "def " in result.answer
    assert all(r.kind != "unit_test_evaluator" for r in result.records)
    assert not result.degradations  # every candidate ran in the sandbox


def test_a_failed_call_costs_nothing_and_the_query_still_has_a_price(server):
    arch = load_text(f"""
defaults {{ retries = 0; timeout = 5 }}
model a = "openai/g1" {{ api_base = "{server.base_url}"; cost_in = 1.0; cost_out = 2.0 }}
model b = "openai/g2" {{ api_base = "{server.base_url}"; cost_in = 1.0; cost_out = 2.0 }}
layer generator {{ models = [a, b] }}
""").instantiate()
    server.set("g1", Reply.ok("one two three"))
    server.set("g2", Reply.error(401))
    result = run(executor(arch))
    ok, failed = sorted(result.records, key=lambda r: r.error is not None)
    assert failed.error is not None and failed.cost_usd == 0.0
    assert ok.cost_usd == pytest.approx(ok.input_tokens * 1e-6 + ok.output_tokens * 2e-6) and ok.cost_usd > 0
    assert result.cost_usd == pytest.approx(ok.cost_usd) and result.layers[0].cost_usd == pytest.approx(
        ok.cost_usd
    )
    # A query whose every call failed paid nothing: $0, not unknown.
    server.set("g1", Reply.error(401))
    assert run(executor(arch)).cost_usd == 0.0


def test_cost_is_unknown_only_when_a_model_without_a_price_answered(server):
    server.set("g1", Reply.error(401))
    assert run(executor(architecture(server, "layer generator { models = [g1, g2] }"))).cost_usd is None
    server.set("g2", Reply.error(401))
    assert run(executor(architecture(server, "layer generator { models = [g1, g2] }"))).cost_usd == 0.0


def test_loading_a_transport_is_no_calls_or_querys_latency(server, monkeypatch):
    """A 401 right after a slow SDK import: the import (7.4 s on this clock) is in neither latency."""
    import time

    clock = [1000.0]
    monkeypatch.setattr(time, "perf_counter", lambda: clock[0])
    original = Provider.transport

    def slow_first_load(self, name):
        if name not in self._transports:
            clock[0] += 7.4  # what importing litellm cost a cold process
        return original(self, name)

    monkeypatch.setattr(Provider, "transport", slow_first_load)
    server.set("g1", Reply.error(401))
    result = run(executor(architecture(server, "layer generator { model = g1 }", defaults="retries = 0")))
    [record] = result.records
    assert record.error is not None and server.hits["g1"] == 1
    assert (record.latency_s, result.latency_s) == (0.0, 0.0)


def test_a_transport_that_cannot_load_fails_the_query_not_the_run(server, monkeypatch):
    def missing(self, name):
        raise ImportError(f"No module named '{name}'")

    monkeypatch.setattr(Provider, "transport", missing)
    result = run(executor(architecture(server, "layer generator { model = g1 }")))
    assert "No module named" in result.error and server.total_hits == 0
