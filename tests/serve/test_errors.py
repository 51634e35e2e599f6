"""Every error status, as the `openai` SDK sees it: OpenAI's JSON shape, the field named, never a traceback."""

from __future__ import annotations

import json
import threading
import time

import httpx
import openai
import pytest
from support.openai_server import Reply

from .conftest import serve

USER = [{"role": "user", "content": "What is 2 + 2?"}]


def error_of(raised: pytest.ExceptionInfo) -> dict:
    body = raised.value.body
    assert set(body) == {"message", "type", "param", "code"}  # the SDK unwraps {"error": {...}}
    assert "Traceback" not in body["message"]
    return body


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "echo", "messages": []}, "messages"),
        ({"model": "echo", "messages": [{"role": "robot", "content": "hi"}]}, "messages[0].role"),
        ({"model": "echo", "messages": [{"role": "user", "content": 3}]}, "messages[0].content"),
        ({"model": "echo", "messages": USER + [{"role": "assistant", "content": "4"}]}, "messages[1].role"),
        ({"model": "echo", "messages": USER, "temperature": 7}, "temperature"),
        ({"model": "echo", "messages": USER, "n": 0}, "n"),
        ({"model": "echo", "messages": USER, "max_tokens": -1}, "max_tokens"),
    ],
)
def test_400_names_the_bad_field(served, body, param):
    model, messages = body.pop("model"), body.pop("messages")
    with pytest.raises(openai.BadRequestError) as raised:
        served.client().chat.completions.create(model=model, messages=messages, extra_body=body)
    assert raised.value.status_code == 400
    assert error_of(raised)["param"] == param


def test_400_for_a_body_that_is_not_json(served):
    reply = httpx.post(
        f"{served.base_url}/chat/completions",
        content=b"{not json",
        headers={"authorization": "Bearer test-bearer-key"},
    )
    assert reply.status_code == 400 and reply.json()["error"]["type"] == "invalid_request_error"


def test_401_for_a_wrong_or_missing_bearer(served):
    with pytest.raises(openai.AuthenticationError) as raised:
        served.client(api_key="not-the-key").chat.completions.create(model="echo", messages=USER)
    assert error_of(raised)["code"] == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError):
        served.client(api_key="not-the-key").models.list()
    assert httpx.get(f"{served.base_url}/models").status_code == 401


def test_404_for_an_unknown_model(served):
    with pytest.raises(openai.NotFoundError) as raised:
        served.client().chat.completions.create(model="gpt-5", messages=USER)
    body = error_of(raised)
    assert body["param"] == "model" and body["code"] == "model_not_found" and "echo" in body["message"]


def test_413_over_the_size_limit(served):
    huge = [{"role": "user", "content": "x" * (1 << 20)}]
    with pytest.raises(openai.APIStatusError) as raised:
        served.client().chat.completions.create(model="echo", messages=huge)
    assert raised.value.status_code == 413
    assert error_of(raised)["code"] == "request_too_large"


def test_502_when_the_provider_fails(served, fake):
    fake.set("gen", Reply.error(500))
    with pytest.raises(openai.APIStatusError) as raised:
        served.client().chat.completions.create(model="echo", messages=USER)
    assert raised.value.status_code == 502
    assert "scripted 500" in error_of(raised)["message"]


def test_504_when_the_provider_times_out(served, fake):
    fake.set("slow", Reply.hanging())
    with pytest.raises(openai.APIStatusError) as raised:
        served.client().chat.completions.create(model="slow", messages=USER)
    assert raised.value.status_code == 504
    assert error_of(raised)["type"] == "timeout_error"


def test_a_provider_failure_in_a_stream_is_an_error_event(served, fake):
    fake.set("gen", Reply.error(500))
    stream = served.client().chat.completions.create(model="echo", messages=USER, stream=True)
    with pytest.raises(openai.APIError, match="scripted 500"):
        list(stream)


def test_429_with_retry_after_when_the_server_is_saturated(arch_dir, fake, tmp_path):
    fake.set("gen", Reply.ok("slowly", latency=1.0))
    with serve(arch_dir, tmp_path, max_requests=1) as running:
        client = running.client()
        first = threading.Thread(target=lambda: client.chat.completions.create(model="echo", messages=USER))
        first.start()
        deadline = time.monotonic() + 5
        while fake.in_flight == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        with pytest.raises(openai.RateLimitError) as raised:
            client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "me too"}])
        first.join()
    assert raised.value.response.headers["retry-after"] == "1"
    assert error_of(raised)["code"] == "server_busy"


def test_a_client_that_disconnects_cancels_its_calls(arch_dir, fake, tmp_path):
    fake.set("slow", Reply.hanging())  # the "hang" model waits 60 s for it
    with serve(arch_dir, tmp_path, log_requests=tmp_path / "log.jsonl") as running:
        with pytest.raises(openai.APITimeoutError):
            running.client(timeout=1.0).chat.completions.create(model="hang", messages=USER)
        assert fake.total_hits == 1  # the call was made, and was hanging when the client gave up
        deadline = time.monotonic() + 10
        while fake.in_flight and time.monotonic() < deadline:
            time.sleep(0.02)
        assert fake.in_flight == 0  # the provider call was cancelled, not left for its 60 s timeout
        while '"status": 499' not in (tmp_path / "log.jsonl").read_text() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert running.engine_in_flight() == 0
    record = json.loads((tmp_path / "log.jsonl").read_text().splitlines()[-1])
    assert record["status"] == 499 and record["model"] == "hang"


def test_a_stream_whose_client_disconnects_cancels_its_calls(served, fake):
    fake.set("slow", Reply.hanging())  # the "hang" model would wait 60 s for it
    body = {
        "model": "hang",
        "messages": [{"role": "user", "content": "a stream left behind"}],
        "stream": True,
    }
    headers = {"authorization": "Bearer test-bearer-key"}
    with httpx.stream("POST", f"{served.base_url}/chat/completions", json=body, headers=headers) as response:
        lines = response.iter_lines()  # kept: a dropped iterator closes the response (a disconnect)
        assert next(lines).startswith("data: ")  # the role chunk: the run has started
        deadline = time.monotonic() + 10
        while fake.in_flight == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake.in_flight == 1
    deadline = time.monotonic() + 10  # the client hung up: the call must not wait out its 60 s
    while (fake.in_flight or served.engine_in_flight()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake.in_flight == 0 and served.engine_in_flight() == 0


def test_unknown_routes_answer_in_the_same_shape(served):
    reply = httpx.get(served.base_url.removesuffix("/v1") + "/nowhere")
    assert reply.status_code == 404 and set(reply.json()["error"]) == {"message", "type", "param", "code"}
