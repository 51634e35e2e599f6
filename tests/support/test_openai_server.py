"""The loopback server itself: routes, scripting, counts, 64 connections at once, the subprocess mode."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.openai_server import OpenAIServer, Reply, reply_json

ROOT = Path(__file__).resolve().parents[2]


def post(url: str, body: dict, timeout: float = 10) -> tuple[int, dict, dict]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


def chat(model: str, text: str = "hello") -> dict:
    return {"model": model, "messages": [{"role": "user", "content": text}]}


def test_both_routes_echo_and_count():
    with OpenAIServer() as server:
        root = server.base_url.removesuffix("/v1")
        status, _, body = post(server.base_url + "/chat/completions", chat("a", "say this"))
        assert status == 200 and body["choices"][0]["message"]["content"] == "say this"
        assert body["usage"]["completion_tokens"] == 2
        assert post(root + "/chat/completions", chat("a"))[0] == 200
        assert post(root + "/v1/embeddings", chat("a"))[0] == 404
        assert server.hits == {"a": 2} and server.requests[0].body["model"] == "a"


def test_scripts_come_before_the_default_and_wildcards():
    with OpenAIServer() as server:
        server.set("*", Reply.ok("anyone"))
        server.set("a", Reply.ok("a's default"))
        server.script("a", [Reply.rate_limited(retry_after=7), Reply.error(503)])
        url = server.base_url + "/chat/completions"
        status, headers, _ = post(url, chat("a"))
        assert status == 429 and headers["retry-after"] == "7"
        assert post(url, chat("a"))[0] == 503
        assert post(url, chat("a"))[2]["choices"][0]["message"]["content"] == "a's default"
        assert post(url, chat("b"))[2]["choices"][0]["message"]["content"] == "anyone"
        server.set("c", lambda body: Reply.ok(body["messages"][0]["content"].upper()))
        assert post(url, chat("c", "loud"))[2]["choices"][0]["message"]["content"] == "LOUD"


def test_64_connections_at_once_are_served_concurrently():
    with OpenAIServer(latency=1.0) as server:  # long enough for all 64 threads to connect
        url = server.base_url + "/chat/completions"
        statuses = []
        threads = [
            threading.Thread(target=lambda: statuses.append(post(url, chat("m"))[0])) for _ in range(64)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [200] * 64 and server.max_in_flight == 64


def test_stop_ends_hanging_requests():
    server = OpenAIServer().start()
    server.set("m", Reply.hanging())
    errors = []

    def ask():
        try:
            post(server.base_url + "/chat/completions", chat("m"), timeout=10)
        except Exception as e:  # the connection closes under it
            errors.append(e)

    thread = threading.Thread(target=ask)
    thread.start()
    while not server.total_hits:
        time.sleep(0.01)
    server.stop()
    thread.join(10)
    assert not thread.is_alive() and errors


@pytest.fixture
def subprocess_server():
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.openai_server"], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        process.wait(10)


def test_the_subprocess_mode_is_scripted_over_http(subprocess_server):
    base = subprocess_server
    root = base.removesuffix("/v1")
    assert (
        post(
            root + "/_script",
            {"model": "m", "script": [reply_json(Reply.error(500))], "default": reply_json(Reply.ok("fine"))},
        )[0]
        == 200
    )
    assert post(base + "/chat/completions", chat("m"))[0] == 500
    assert post(base + "/chat/completions", chat("m"))[2]["choices"][0]["message"]["content"] == "fine"
    with urllib.request.urlopen(root + "/_stats", timeout=10) as response:
        assert json.loads(response.read())["hits"] == {"m": 2}
    assert post(root + "/_script", {"script": []})[0] == 400
