"""The served API through the real `openai` SDK: models, completions, streams, conversations, params."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from support.openai_server import Reply

USER = [{"role": "user", "content": "What is the capital of France?"}]


def test_models_are_listed_with_their_plans(served):
    models = {m.id: m for m in served.client().models.list().data}
    assert sorted(models) == ["echo", "fused", "hang", "slow", "tpl"]
    fused = models["fused"].model_extra["archon"]
    assert fused["calls"] == {"min": 3, "max": 3} and fused["depth"] == 2
    assert fused["path"].endswith("fused.arch")  # named by its file stem: it declares no `archon` name
    assert models["tpl"].model_extra["archon"]["params"] == {"n_gen": {"default": 1, "domain": "1..3"}}
    assert served.client().models.retrieve("tpl").id == "tpl"


def test_a_completion_sums_usage_over_every_call(served, fake):
    fake.set("gen", Reply.ok("Paris is it"))
    fake.set("fuse", Reply.ok("Paris"))
    reply = served.client().chat.completions.create(model="fused", messages=USER)
    assert reply.choices[0].message.content == "Paris"
    assert reply.choices[0].finish_reason == "stop" and reply.object == "chat.completion"
    # two generator samples (3 words each) and a fuser (1 word): the fake counts a word a token
    assert reply.usage.completion_tokens == 3 + 3 + 1
    prompts = sum(sum(len(str(m["content"]).split()) + 4 for m in r.body["messages"]) for r in fake.requests)
    assert reply.usage.prompt_tokens == prompts
    archon = reply.model_extra["archon"]
    assert archon["calls"] == 3 == fake.total_hits + archon["cached_calls"]
    assert [(layer["kind"], layer["calls"]) for layer in archon["layers"]] == [("generator", 2), ("fuser", 1)]
    assert all(layer["latency_s"] >= 0 for layer in archon["layers"])


def test_a_stream_arrives_as_openai_chunks(served, fake):
    fake.set("gen", Reply.ok("draft"))
    fake.set("fuse", Reply.ok("Paris, on the Seine."))
    stream = served.client().chat.completions.create(
        model="fused", messages=USER, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Paris, on the Seine."
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish == ["stop"]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens >= 3
    assert chunks[-1].model_extra["archon"]["calls"] == 3


def test_a_final_lone_call_streams_its_reply_as_it_arrives(served, fake):
    fake.set("gen", Reply.ok("  one two three four  "))
    stream = served.client().chat.completions.create(model="echo", messages=USER, stream=True)
    deltas = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    assert deltas == ["one", " two", " three", " four"]  # as the provider sent it, the answer stripped
    assert fake.requests[-1].body["stream"] is True
    again = served.client().chat.completions.create(model="echo", messages=USER, stream=True)
    cached = [c.choices[0].delta.content for c in again if c.choices and c.choices[0].delta.content]
    assert cached == ["one two three four"]  # a cached reply arrives whole
    assert fake.total_hits == 1


def test_a_stream_sends_keep_alive_comments_while_layers_run(served, fake):
    fake.set("gen", Reply.ok("draft", latency=0.3))  # the app sends a comment every 0.05 s
    body = {"model": "fused", "messages": USER, "stream": True}
    headers = {"authorization": "Bearer test-bearer-key"}
    with httpx.stream("POST", f"{served.base_url}/chat/completions", json=body, headers=headers) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = list(response.iter_lines())
    assert ": keep-alive" in lines
    assert lines[-2:] == ["data: [DONE]", ""] or lines[-1] == "data: [DONE]"


def test_a_conversation_is_answered_at_its_last_user_turn(served, fake):
    fake.set("gen", Reply.echo())
    conversation = [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Name a colour."},
        {"role": "assistant", "content": "Blue."},
        {"role": "user", "content": [{"type": "text", "text": "Another one?"}]},
    ]
    reply = served.client().chat.completions.create(model="echo", messages=conversation)
    assert "Another one?" in reply.choices[0].message.content
    sent = fake.requests[-1].body["messages"]  # the generator sees the whole conversation
    assert {"role": "assistant", "content": "Blue."} in sent
    assert any(m["role"] == "user" and "Name a colour." in m["content"] for m in sent)
    assert any("You are terse." in m["content"] for m in sent)
    assert "Another one?" in sent[-1]["content"]


def test_a_developer_message_is_the_system_prompt(served, fake):
    fake.set("gen", Reply.echo())
    messages = [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": "Hi?"}]
    served.client().chat.completions.create(model="echo", messages=messages)
    assert any(
        m["role"] == "system" and "Be brief." in m["content"] for m in fake.requests[-1].body["messages"]
    )


def test_template_params_come_through_extra_body(served, fake):
    client = served.client()
    reply = client.chat.completions.create(model="tpl", messages=USER, extra_body={"params": {"n_gen": 3}})
    assert reply.model_extra["archon"]["layers"][0]["calls"] == 3
    default = client.chat.completions.create(model="tpl", messages=USER)
    assert default.model_extra["archon"]["layers"][0]["calls"] == 1
    with pytest.raises(openai.BadRequestError) as outside:
        client.chat.completions.create(model="tpl", messages=USER, extra_body={"params": {"n_gen": 9}})
    assert outside.value.body["param"] == "params.n_gen" and "outside its domain" in outside.value.message
    with pytest.raises(openai.BadRequestError) as unknown:
        client.chat.completions.create(model="tpl", messages=USER, extra_body={"params": {"depth": 2}})
    assert unknown.value.body["param"] == "params.depth"


def test_temperature_and_max_tokens_replace_the_architectures_defaults(served, fake):
    served.client().chat.completions.create(model="echo", messages=USER, temperature=0.25, max_tokens=17)
    sent = fake.requests[-1].body
    assert sent["temperature"] == 0.25 and sent["max_tokens"] == 17


def test_n_choices_are_independent_runs(served, fake):
    fake.script("gen", [Reply.ok("one"), Reply.ok("two"), Reply.ok("three")])
    client = served.client()
    reply = client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "count"}], n=3)
    assert sorted(c.message.content for c in reply.choices) == ["one", "three", "two"]
    assert [c.index for c in reply.choices] == [0, 1, 2]
    assert reply.model_extra["archon"]["calls"] == 3 and fake.total_hits == 3


def test_a_stream_of_n_choices_carries_each_by_its_index(served, fake):
    fake.script("gen", [Reply.ok("first answer"), Reply.ok("second answer")])
    stream = served.client().chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "two ways"}], n=2, stream=True
    )
    texts, finished = {0: "", 1: ""}, []
    for chunk in stream:
        for choice in chunk.choices:
            texts[choice.index] += choice.delta.content or ""
            if choice.finish_reason:
                finished.append(choice.index)
    assert sorted(texts.values()) == ["first answer", "second answer"] and sorted(finished) == [0, 1]


def test_a_second_identical_request_is_answered_from_the_shared_cache(served, fake):
    client = served.client()
    messages = [{"role": "user", "content": "cache me"}]
    first = client.chat.completions.create(model="echo", messages=messages)
    second = client.chat.completions.create(model="echo", messages=messages)
    assert first.choices[0].message.content == second.choices[0].message.content
    assert fake.total_hits == 1 and second.model_extra["archon"]["cached_calls"] == 1


def test_health_reports_the_shared_account(served):
    data = httpx.get(served.base_url.removesuffix("/v1") + "/health").json()
    assert data["status"] == "ok" and data["models"] == 5 and data["served"]["requests"] >= 0


def test_the_request_log_is_jsonl_without_keys_or_text(served, fake):
    client = served.client()
    client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "a secret question"}])
    with pytest.raises(openai.AuthenticationError):
        served.client(api_key="wrong").chat.completions.create(model="echo", messages=USER)
    lines = [json.loads(line) for line in served.log.read_text().splitlines()]
    assert {"id", "model", "status", "latency_s"} <= set(lines[-2])
    assert lines[-2]["status"] == 200 and lines[-1]["status"] == 401
    text = served.log.read_text()
    assert "test-bearer-key" not in text and "a secret question" not in text
