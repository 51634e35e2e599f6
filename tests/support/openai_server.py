"""A scriptable OpenAI-compatible chat-completions server on 127.0.0.1 for tests and benchmarks.

In-process: `with OpenAIServer(latency=0.05) as server: ... server.base_url ...` runs an
asyncio HTTP/1.1 server (keep-alive) on a thread of its own. As a subprocess:
`python -m tests.support.openai_server --latency 0.05` prints its base URL on the first line
of stdout; `GET /_stats` returns the hit counts and `POST /_script` sets behaviours (JSON).

Behaviour is chosen per request: a queue of scripted replies for the model name is consumed
first, then the model's default reply, then the server default (echo the last user message).
The model name is what the client sends (litellm strips the `openai/` prefix).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from email.utils import formatdate
from typing import Any

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Reply:
    """What the server does with one request."""

    status: int = 200
    text: str | None = None  # None: echo the last user message
    latency: float | None = None  # None: the server's default latency
    retry_after: str | None = None  # Retry-After header value (seconds or an HTTP date)
    hang: bool = False  # never answer; the client must time out
    body: str | None = None  # raw response body, sent as is (for malformed responses)

    @classmethod
    def ok(cls, text: str, latency: float | None = None) -> Reply:
        return cls(text=text, latency=latency)

    @classmethod
    def echo(cls, latency: float | None = None) -> Reply:
        return cls(latency=latency)

    @classmethod
    def slow(cls, seconds: float, text: str | None = None) -> Reply:
        return cls(text=text, latency=seconds)

    @classmethod
    def rate_limited(cls, retry_after: float | str | None = 1, latency: float | None = None) -> Reply:
        value = None if retry_after is None else str(retry_after)
        return cls(status=429, retry_after=value, latency=latency)

    @classmethod
    def rate_limited_until(cls, seconds_from_now: float) -> Reply:
        """A 429 whose Retry-After is an HTTP date (whole seconds, as the format allows)."""
        return cls(status=429, retry_after=formatdate(time.time() + seconds_from_now, usegmt=True))

    @classmethod
    def error(cls, status: int = 500, latency: float | None = None) -> Reply:
        return cls(status=status, latency=latency)

    @classmethod
    def hanging(cls) -> Reply:
        return cls(hang=True)

    @classmethod
    def malformed(cls, body: str = '{"choices": [') -> Reply:
        return cls(body=body)

    @classmethod
    def from_dict(cls, data: dict) -> Reply:
        return cls(**data)


Behaviour = Reply | Callable[[dict], Reply]


@dataclass
class Request:
    """One request the server received (headers lower-cased)."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))


class OpenAIServer:
    """An OpenAI-compatible server with scriptable replies, hit counts and peak concurrency."""

    def __init__(self, latency: float = 0.0, host: str = "127.0.0.1", port: int = 0, record: bool = True):
        self.latency = latency
        self.host, self.port = host, port
        self.record = record  # keep every request (turn off for long benchmarks)
        self.requests: list[Request] = []
        self.hits: Counter[str] = Counter()  # per model name
        self.in_flight = 0
        self.max_in_flight = 0
        self._defaults: dict[str, Behaviour] = {}
        self._scripts: dict[str, deque[Behaviour]] = {}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._connections: set[asyncio.Task] = set()

    # -- scripting -----------------------------------------------------------

    def set(self, model: str, behaviour: Behaviour) -> None:
        """The reply for every request to `model` once its script (if any) is used up."""
        with self._lock:
            self._defaults[model] = behaviour

    def script(self, model: str, replies: list[Behaviour]) -> None:
        """Replies for the next requests to `model`, in order (appended to any pending ones)."""
        with self._lock:
            self._scripts.setdefault(model, deque()).extend(replies)

    def reset(self) -> None:
        with self._lock:
            self._defaults.clear()
            self._scripts.clear()
            self.requests.clear()
            self.hits.clear()
            self.max_in_flight = self.in_flight

    @property
    def total_hits(self) -> int:
        return sum(self.hits.values())

    def _behaviour(self, model: str) -> Behaviour:
        with self._lock:
            queue = self._scripts.get(model)
            if queue:
                return queue.popleft()
            return self._defaults.get(model) or self._defaults.get("*") or Reply.echo()

    # -- lifecycle -----------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> OpenAIServer:
        self._thread = threading.Thread(target=self._run, name="openai-server", daemon=True)
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("loopback OpenAI server did not start")
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._shutdown)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = None

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._stop = loop.create_future()
        loop.run_until_complete(self._serve())
        loop.close()

    async def _serve(self) -> None:
        self._server = await asyncio.start_server(self._connection, self.host, self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        self._started.set()
        await self._stop
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()

    def _shutdown(self) -> None:
        if not self._stop.done():
            self._stop.set_result(None)

    async def serve_forever(self) -> None:
        """Run on the current event loop until cancelled (the subprocess mode)."""
        self._loop = asyncio.get_running_loop()
        self._stop = self._loop.create_future()
        await self._serve()

    # -- HTTP ----------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._connections.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0") or 0)
                raw = await reader.readexactly(length) if length else b""
                keep_alive = headers.get("connection", "").lower() != "close"
                status, extra, payload = await self._handle(
                    method, path.split("?", 1)[0], headers, raw, reader
                )
                if status == 0:  # hung until the client gave up
                    break
                self._write(writer, status, extra, payload, keep_alive)
                await writer.drain()
                if not keep_alive:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    @staticmethod
    def _write(
        writer: asyncio.StreamWriter, status: int, extra: dict[str, str], payload: bytes, keep_alive: bool
    ) -> None:
        head = [
            f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}",
            "content-type: application/json",
            f"content-length: {len(payload)}",
            f"connection: {'keep-alive' if keep_alive else 'close'}",
        ]
        head += [f"{k}: {v}" for k, v in extra.items()]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload)

    async def _handle(
        self, method: str, path: str, headers: dict, raw: bytes, reader
    ) -> tuple[int, dict, bytes]:
        if method == "GET" and path == "/_stats":
            return (
                200,
                {},
                json.dumps(
                    {"hits": dict(self.hits), "total": self.total_hits, "max_in_flight": self.max_in_flight}
                ).encode(),
            )
        if method == "POST" and path == "/_script":
            return self._script_from_json(raw)
        if method == "POST" and path == "/_reset":
            self.reset()
            return 200, {}, b"{}"
        if method != "POST" or path not in ("/v1/chat/completions", "/chat/completions"):
            return (
                404,
                {},
                json.dumps({"error": {"message": f"no route {method} {path}", "type": "not_found"}}).encode(),
            )
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return 400, {}, b'{"error": {"message": "body is not JSON", "type": "invalid_request_error"}}'
        request = Request(path, headers, body)
        model = request.model
        with self._lock:
            self.hits[model] += 1
            if self.record:
                self.requests.append(request)
        behaviour = self._behaviour(model)
        reply = behaviour(body) if callable(behaviour) else behaviour
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if reply.hang:
                await reader.read(1)  # returns when the client hangs up
                return 0, {}, b""
            latency = self.latency if reply.latency is None else reply.latency
            if latency > 0:
                await asyncio.sleep(latency)
        finally:
            self.in_flight -= 1
        return self._response(reply, body)

    def _response(self, reply: Reply, body: dict) -> tuple[int, dict, bytes]:
        extra = {"retry-after": reply.retry_after} if reply.retry_after is not None else {}
        if reply.body is not None:
            return reply.status, extra, reply.body.encode()
        if reply.status != 200:
            kind = (
                "rate_limit_error"
                if reply.status == 429
                else "server_error"
                if reply.status >= 500
                else "invalid_request_error"
            )
            message = {"error": {"message": f"scripted {reply.status}", "type": kind, "code": reply.status}}
            return reply.status, extra, json.dumps(message).encode()
        messages = body.get("messages") or []
        text = reply.text
        if text is None:
            users = [m.get("content", "") for m in messages if m.get("role") == "user"]
            text = str(users[-1]) if users else ""
        prompt_tokens = sum(len(str(m.get("content", "")).split()) + 4 for m in messages)
        completion_tokens = max(1, len(text.split()))
        if body.get("stream"):
            return 200, extra, self._events(body, text, prompt_tokens)  # SSE, though labelled JSON
        out = {
            "id": f"chatcmpl-{self.total_hits}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", ""),
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        return 200, extra, json.dumps(out).encode()

    def _events(self, body: dict, text: str, prompt_tokens: int) -> bytes:
        """`stream: true`: the reply as Server-Sent Events, a chunk per word (spaces kept), then usage."""
        head = {
            "id": f"chatcmpl-{self.total_hits}",
            "object": "chat.completion.chunk",
            "model": body.get("model", ""),
        }
        words = text.split(" ")
        pieces = [w + (" " if k < len(words) - 1 else "") for k, w in enumerate(words)]
        chunks = [{**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}]
        chunks += [
            {**head, "choices": [{"index": 0, "delta": {"content": piece}}]} for piece in pieces if piece
        ]
        chunks.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            completion_tokens = max(1, len(text.split()))
            usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}
            chunks.append(
                {**head, "choices": [], "usage": {**usage, "total_tokens": prompt_tokens + completion_tokens}}
            )
        return b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in chunks) + b"data: [DONE]\n\n"

    def _script_from_json(self, raw: bytes) -> tuple[int, dict, bytes]:
        """`{"model": name, "default": {...reply}, "script": [{...reply}, ...]}`; model "*" is every model."""
        try:
            data = json.loads(raw)
            model = data["model"]
            if "default" in data:
                self.set(model, Reply.from_dict(data["default"]))
            if "script" in data:
                self.script(model, [Reply.from_dict(r) for r in data["script"]])
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            return 400, {}, json.dumps({"error": {"message": f"bad script: {e}"}}).encode()
        return 200, {}, b"{}"


def reply_json(reply: Reply) -> dict:
    """A Reply as the JSON `POST /_script` accepts."""
    return {k: v for k, v in asdict(reply).items() if v not in (None, False) or k == "status"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each reply")
    args = parser.parse_args(argv)
    server = OpenAIServer(latency=args.latency, port=args.port, record=False)

    async def run() -> None:
        task = asyncio.ensure_future(server.serve_forever())
        while not server._started.is_set():
            await asyncio.sleep(0.001)
        sys.stdout.write(server.base_url + "\n")
        sys.stdout.flush()
        await task

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
