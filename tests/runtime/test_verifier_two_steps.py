"""The verifier's two steps through the executor, as the original Archon makes them: reasoning, then verdict."""

from __future__ import annotations

import anyio
import pytest

from archon_dsl.loader import load_text
from archon_dsl.planner import plan
from archon_dsl.runtime.executor import Executor, Query
from archon_dsl.runtime.provider import Provider
from tests.support.openai_server import Reply


@pytest.fixture(autouse=True)
def fresh(server):
    server.reset()


def run(server, verifier_options: str = "", samples: int = 1):
    arch = load_text(
        "defaults { retries = 0; timeout = 5 }\n"
        + "\n".join(
            f'model {m} = "openai/{m}" {{ api_base = "{server.base_url}" }}' for m in ("gen", "judge")
        )
        + f"\nlayer generator {{ model = gen; samples = {samples} }}\nlayer verifier {{ model = judge{verifier_options} }}\n"
    ).instantiate()
    provider = Provider.for_architecture(arch, cache=None, env_file=None, backoff_base=0.01)
    return arch, anyio.run(Executor(arch, provider, concurrency=1).run_query, Query("What is 6 * 7?", "q1"))


def judge_requests(server):
    return [r for r in server.requests if r.model == "judge"]


def test_a_candidate_gets_a_reasoning_call_then_a_verdict_call_that_reads_it(server):
    server.script("gen", [Reply.ok("42")])
    server.script("judge", [Reply.ok("6 * 7 is 42."), Reply.ok('{"reasoning": "right", "correct": true}')])
    arch, result = run(server)
    assert result.error is None and result.answer == "42"
    reasoning, verdict = judge_requests(server)
    assert "<candidate>\n42\n</candidate>" in reasoning.body["messages"][-1]["content"]
    assert "<reasoning>\n6 * 7 is 42.\n</reasoning>" in verdict.body["messages"][-1]["content"]
    # Both calls are in the trace, and the plan counted them.
    assert [r.tag for r in result.records] == ["generator[0]", "verifier[0].reasoning", "verifier[0]"]
    assert len(result.records) == plan(arch).calls_max == 3


def test_every_candidate_is_verified_in_two_steps(server):
    server.set("gen", Reply.ok("42"))
    server.set("judge", Reply.ok('The reasoning holds. {"reasoning": "right", "correct": true}'))
    arch, result = run(server, samples=3)
    assert result.error is None and len(judge_requests(server)) == 6 == plan(arch).calls_max - 3


def test_a_failed_reasoning_call_makes_no_verdict_call_and_leaves_the_candidate_unverified(server):
    server.set("gen", Reply.ok("42"))
    server.script("judge", [Reply.error(400)])
    server.set("judge", Reply.ok('The reasoning holds. {"reasoning": "right", "correct": true}'))
    _, result = run(server, samples=2)
    assert len(judge_requests(server)) == 3  # one candidate: a failed reasoning call; the other: two calls
    assert result.error is None and result.answer == "42"
    assert sorted(r.tag for r in result.records if r.error is not None) in (
        ["verifier[0].reasoning"],
        ["verifier[1].reasoning"],
    )


def test_one_step_makes_one_structured_call_per_candidate(server):
    server.script("gen", [Reply.ok("42")])
    server.script("judge", [Reply.ok('{"reasoning": "yes", "correct": true}')])
    arch, result = run(server, "; steps = 1")
    assert result.answer == "42" and len(judge_requests(server)) == 1 == plan(arch).calls_max - 1
