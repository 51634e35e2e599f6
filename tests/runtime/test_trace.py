"""Accounting (tokens, dollars, latency), JSONL traces without credentials, and run summaries."""

from __future__ import annotations

import json

import anyio
import pytest
from rich.console import Console

from archon_dsl.loader import load_text
from archon_dsl.runtime.cache import Cache
from archon_dsl.runtime.executor import Executor, Query
from archon_dsl.runtime.provider import Provider
from archon_dsl.runtime.trace import (
    CallRecord,
    LayerStats,
    QueryResult,
    RunSummary,
    TraceWriter,
    add_costs,
    format_cost,
    read_trace,
)
from tests.support.openai_server import Reply

SECRET = "sk-test-SECRET-0123456789abcdef"
PARAM_SECRET = "param-secret-value-987654321"


def record(layer: int = 0, cost: float | None = 0.5, **changes) -> CallRecord:
    base = dict(
        query_id="q",
        layer=layer,
        kind="generator",
        tag="generator[0]",
        model="openai/m",
        sample=0,
        input_tokens=10,
        output_tokens=5,
        cost_usd=cost,
        latency_s=0.1,
    )
    base.update(changes)
    return CallRecord(**base)


def test_an_unknown_cost_makes_every_total_above_it_unknown():
    assert add_costs([0.25, 0.5]) == 0.75
    assert add_costs([]) == 0.0
    assert add_costs([0.25, None, 0.5]) is None
    layer = LayerStats.of(0, "generator", [record(cost=0.5), record(cost=None)], 0.2, 2)
    assert (layer.calls, layer.input_tokens, layer.output_tokens, layer.cost_usd) == (2, 20, 10, None)
    result = QueryResult(id="q", question="?")
    result.add_layer(LayerStats.of(0, "generator", [record(cost=0.5)], 0.1, 1))
    assert result.cost_usd == 0.5
    result.add_layer(layer)
    assert result.cost_usd is None and result.calls == 3 and result.tokens == 45
    assert format_cost(None) == "unknown" and format_cost(0.0) == "$0" and format_cost(0.5) == "$0.5000"


def test_a_result_round_trips_through_its_output_row():
    result = QueryResult(id="7", question="q?", answer="a", reference="a", degradations=[{"layer": 1}])
    result.add_layer(LayerStats.of(0, "generator", [record(cached=True)], 0.1, 1))
    row = json.loads(json.dumps(result.to_dict()))
    back = QueryResult.from_dict(row)
    assert back.to_dict() == result.to_dict()
    assert "records" not in row and row["reference"] == "a"


def test_the_summary_adds_up_layers_and_queries_and_renders_a_table():
    results = []
    for i, cost in enumerate((0.5, 0.25)):
        result = QueryResult(id=str(i), question="?", answer="x", error=None if i == 0 else "failed")
        result.add_layer(
            LayerStats.of(0, "generator", [record(cost=cost), record(cost=cost, cached=True)], 0.2, 2)
        )
        result.add_layer(LayerStats.of(1, "fuser", [record(1, cost=cost, kind="fuser")], 0.1, 1))
        results.append(result)
    summary = RunSummary.of(results, wall_s=1.5)
    assert (summary.queries, summary.failed, summary.calls, summary.cached_calls) == (2, 1, 6, 2)
    assert summary.cost_usd == pytest.approx(2.25)
    assert [(layer.kind, layer.calls) for layer in summary.layers] == [("generator", 4), ("fuser", 2)]
    console = Console(width=100, record=True)
    console.print(summary.table(title="demo"))
    text = console.export_text()
    assert "generator" in text and "fuser" in text and "$2.2500" in text and "2 queries, 1 failed" in text


def test_the_trace_has_a_line_per_call_and_per_query_and_messages_only_on_request(tmp_path):
    result = QueryResult(
        id="q",
        question="?",
        answer="x",
        records=[
            record(messages=[{"role": "user", "content": "hi"}], response="hello"),
            record(layer=1),
        ],
    )
    with TraceWriter(tmp_path / "plain.jsonl") as plain:
        plain.write_query(result)
    events = read_trace(tmp_path / "plain.jsonl")
    assert [e["event"] for e in events] == ["call", "call", "query"]
    assert events[0]["messages"] == [
        {"role": "user", "content": "hi"}
    ]  # the executor leaves them None unless asked
    assert "messages" not in events[1] and "records" not in events[2]
    for field in (
        "query_id",
        "layer",
        "kind",
        "model",
        "sample",
        "cached",
        "attempts",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "latency_s",
        "error",
    ):
        assert field in events[1]


def run_keyed(server, tmp_path, question: str, include_messages: bool, monkeypatch):
    """One query through a model whose key is in the environment and another's in its options.

    `bad` names no api_base: OPENAI_BASE_URL (the user's own setting) sends openai/ calls to the
    server, so the environment's key goes there as it would to OpenAI.
    """
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    server.reset()
    server.set("gen", lambda body: Reply.ok(f"I saw: {body['messages'][-1]['content']}"))
    server.script("bad", [Reply.error(401)])
    arch = load_text(f"""
model gen = "openai/gen" {{ api_base = "{server.base_url}"; api_key = "{PARAM_SECRET}" }}
model bad = "openai/bad"
defaults {{ retries = 0 }}
layer generator {{ models = [gen, bad] }}
""").instantiate()
    cache = Cache(tmp_path / "cache.sqlite")
    trace = TraceWriter(tmp_path / "trace.jsonl", include_messages=include_messages)
    ex = Executor(
        arch,
        Provider.for_architecture(arch, cache=cache, env_file=None),
        trace=trace,
        include_messages=include_messages,
    )
    result = anyio.run(ex.run_query, Query(question, "q1"))
    trace.close()
    cache.close()
    return result, read_trace(tmp_path / "trace.jsonl")


@pytest.mark.parametrize("include_messages", [False, True])
def test_no_api_key_reaches_a_trace_or_the_cache(server, tmp_path, monkeypatch, include_messages):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    result, events = run_keyed(server, tmp_path, "What is 2 + 2?", include_messages, monkeypatch)
    assert result.answer == "I saw: What is 2 + 2?"
    sent = {r.model: r.headers["authorization"] for r in server.requests}
    assert sent == {"gen": f"Bearer {PARAM_SECRET}", "bad": f"Bearer {SECRET}"}  # the keys were used
    calls = [e for e in events if e["event"] == "call"]
    assert {c["model"] for c in calls} == {"openai/gen", "openai/bad"}
    assert sorted(c["error"] is not None for c in calls) == [False, True]
    assert all(("messages" in c) is include_messages for c in calls)
    for path in tmp_path.iterdir():
        data = path.read_bytes()
        assert SECRET.encode() not in data, path
        assert PARAM_SECRET.encode() not in data, path


def test_a_key_typed_into_a_question_is_redacted_from_traced_messages(server, tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    result, events = run_keyed(server, tmp_path, f"my key is {SECRET}", True, monkeypatch)
    assert result.answer == f"I saw: my key is {SECRET}"  # the model's reply is the caller's business
    traced = (tmp_path / "trace.jsonl").read_text(encoding="utf-8")
    assert SECRET not in traced and "my key is" in traced
