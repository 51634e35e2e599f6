"""The OpenAI-compatible ASGI app (FastAPI): routes, authentication, limits, streaming, request log."""

from __future__ import annotations

import hmac
import json
import math
import threading
import time
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..runtime.trace import QueryResult
from .engine import Engine, ServerBusy, check
from .protocol import (
    KEEP_ALIVE,
    ApiError,
    ChatRequest,
    archon_extension,
    chunk,
    completion,
    completion_id,
    failure,
    parse_request,
    sse,
    usage,
)

MAX_BODY_BYTES = 1 << 20  # 1 MiB of JSON: a long conversation fits; a runaway client does not
KEEP_ALIVE_S = 10.0  # an SSE comment this often while earlier layers run (proxies cut idle streams)
RETRY_AFTER_S = 1


class RequestLog:
    """Appends one JSON line per request (no headers, so no keys; no message text)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("a", encoding="utf-8")
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        from ..runtime.keys import redact_data

        line = json.dumps(redact_data(record), ensure_ascii=False)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        self._file.close()


def create_app(
    engine: Engine,
    *,
    api_key: str | None = None,
    log_requests: str | Path | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    keep_alive_s: float = KEEP_ALIVE_S,
) -> FastAPI:
    """The ASGI app serving `engine`'s models. With `api_key`, /v1/ routes need `Authorization: Bearer KEY`."""
    log = RequestLog(log_requests) if log_requests is not None else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        try:
            yield
        finally:  # uvicorn lets in-flight requests finish first; then the cache commits
            engine.close()
            if log is not None:
                log.close()

    app = FastAPI(title="archon-dsl", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.engine = engine
    created = int(engine.started)

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, error: ApiError) -> Response:
        return _error_response(error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, error: StarletteHTTPException) -> Response:
        return _error_response(ApiError(error.status_code, str(error.detail)))

    @app.exception_handler(Exception)
    async def internal_error(_request: Request, error: Exception) -> Response:
        return _error_response(ApiError(500, "internal server error", code="internal_error"))

    def authorize(request: Request) -> None:
        if api_key is None:
            return
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), api_key.encode()):
            raise ApiError(401, "invalid API key: send Authorization: Bearer <key>", code="invalid_api_key")

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return engine.health()

    @app.get("/v1/models")
    async def list_models(request: Request) -> dict[str, Any]:
        authorize(request)
        return {"object": "list", "data": [m.card(created) for m in engine.models.values()]}

    @app.get("/v1/models/{model_id:path}")
    async def get_model(model_id: str, request: Request) -> dict[str, Any]:
        authorize(request)
        return _model(engine, model_id).card(created)

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> Response:
        started = time.perf_counter()
        rid = completion_id()
        record: dict[str, Any] = {"time": round(time.time(), 3), "id": rid}
        admitted = False
        try:
            authorize(request)
            chat = parse_request(await _body(request, max_body_bytes))
            record.update(model=chat.model, stream=chat.stream, n=chat.n, params=chat.params or None)
            model = _model(engine, chat.model)
            check(model, chat)  # before the request takes a slot
            try:
                engine.admit()
            except ServerBusy as e:
                raise ApiError(
                    429, str(e), code="server_busy", headers={"retry-after": str(RETRY_AFTER_S)}
                ) from None
            admitted = True
        except ApiError as e:
            _log(log, record, e.status, started, error=e.message)
            return _error_response(e)

        def finish(results: list[QueryResult], status: int, error: str | None = None) -> None:
            engine.account.add(results, status != 200)
            _log(log, record, status, started, results=results, error=error)

        if chat.stream:
            produce = _streamer(engine, model, chat, rid, finish)
            return EventStream(produce, keep_alive_s, on_close=engine.release)
        try:
            outcome, gone = await _unless_disconnected(
                request.receive,
                lambda: engine.answer(
                    model, chat.messages, params=chat.params, sampling=chat.sampling, n=chat.n, request_id=rid
                ),
            )
        except TimeoutError:
            error = ApiError(504, f"the request took longer than {engine.options.timeout:g}s", code="timeout")
            finish([], 504, error.message)
            return _error_response(error)
        finally:
            if admitted:
                engine.release()
        if gone or outcome is None:  # the client went away: its calls were cancelled
            finish([], 499, "client disconnected")
            return Response(status_code=499)
        failed = failure(outcome)
        if failed is not None:
            finish(outcome, failed.status, failed.message)
            return _error_response(failed)
        finish(outcome, 200)
        return JSONResponse(completion(rid, model.id, outcome))

    return app


def _model(engine: Engine, name: str):
    model = engine.models.get(name)
    if model is None:
        known = ", ".join(engine.models) or "none"
        raise ApiError(
            404, f"no model named '{name}'; served: {known}", param="model", code="model_not_found"
        )
    return model


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 past `limit` bytes (by Content-Length or as it arrives)."""
    declared = request.headers.get("content-length")
    too_big = ApiError(
        413, f"the request body is over the server's limit of {limit:,} bytes", code="request_too_large"
    )
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_big
    chunks, size = [], 0
    async for part in request.stream():
        size += len(part)
        if size > limit:
            raise too_big
        chunks.append(part)
    return b"".join(chunks)


def _error_response(error: ApiError) -> Response:
    return JSONResponse(error.body(), status_code=error.status, headers=error.headers)


def _log(
    log: RequestLog | None,
    record: dict[str, Any],
    status: int,
    started: float,
    *,
    results: list[QueryResult] | None = None,
    error: str | None = None,
) -> None:
    if log is None:
        return
    record = {**record, "status": status, "latency_s": round(time.perf_counter() - started, 4)}
    if results:
        record.update(usage(results))
        extension = archon_extension(results)
        record.update(
            calls=extension["calls"], cached_calls=extension["cached_calls"], cost_usd=extension["cost_usd"]
        )
    if error is not None:
        record["error"] = error
    log.write({k: v for k, v in record.items() if v is not None})


async def _unless_disconnected(receive, work: Callable[[], Awaitable[Any]]) -> tuple[Any, bool]:
    """`await work()`, cancelled if the client disconnects first: (its outcome, whether the client left)."""
    outcome: Any = None
    gone = False
    async with anyio.create_task_group() as group:

        async def watch() -> None:
            nonlocal gone
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    gone = True
                    group.cancel_scope.cancel()
                    return

        async def run() -> None:
            nonlocal outcome
            outcome = await work()
            group.cancel_scope.cancel()

        group.start_soon(watch)
        group.start_soon(run)
    return outcome, gone


def _streamer(engine: Engine, model, chat: ChatRequest, rid: str, finish):
    """The stream of one request: a role chunk per choice; the answer as its final call streams (when
    that call's reply is the answer), else whole once its run is done; a finish chunk with its `archon`
    figures; the usage chunk if asked; [DONE]."""
    from ..runtime.keys import redact

    async def produce(emit: Callable[[bytes], None]) -> None:
        created = int(time.time())
        streams = [_AnswerStream() for _ in range(chat.n)]

        def delta(i: int, text: str) -> None:
            if text:
                emit(sse(chunk(rid, model.id, created, i, {"content": redact(text)})))

        def streaming(i: int, text: str) -> None:
            delta(i, streams[i].advance(text))

        def done(i: int, result: QueryResult) -> None:
            if result.error is not None:
                return
            rest = streams[i].rest(result.answer or "")
            if rest is None:
                error = ApiError(
                    502, "the answer changed after it began streaming (a retry)", code="stream_restarted"
                )
                emit(sse(error.body()))
                return
            delta(i, rest)
            emit(sse(chunk(rid, model.id, created, i, {}, "stop", archon=archon_extension([result]))))

        for i in range(chat.n):
            emit(sse(chunk(rid, model.id, created, i, {"role": "assistant", "content": ""})))
        results: list[QueryResult] = []
        try:
            results = await engine.answer(
                model,
                chat.messages,
                params=chat.params,
                sampling=chat.sampling,
                n=chat.n,
                request_id=rid,
                on_result=done,
                on_text=streaming,
            )
        except TimeoutError:
            error = ApiError(504, f"the request took longer than {engine.options.timeout:g}s", code="timeout")
            emit(sse(error.body()))
            finish([], 504, error.message)
            return
        except BaseException:
            finish(results, 499, "client disconnected")
            raise
        failed = failure(results)
        if failed is not None:  # the stream has begun (200): the error arrives as an event
            emit(sse(failed.body()))
            finish(results, failed.status, failed.message)
            return
        if chat.include_usage:
            emit(
                sse(
                    chunk(
                        rid, model.id, created, None, usage=usage(results), archon=archon_extension(results)
                    )
                )
            )
        emit(sse("[DONE]"))
        finish(results, 200)

    return produce


class _AnswerStream:
    """One choice's answer as its final call streams: the reply's text so far in, what to send out.

    The answer is the reply stripped, so leading blanks are never sent and trailing ones wait for
    more text. Each step costs the new text only. A shorter text than before is a retry starting
    over: nothing more streams, and `rest` tells whether the answer still follows what was sent."""

    def __init__(self) -> None:
        self.seen = 0  # characters of the reply read so far
        self.held = ""  # trailing blanks not sent yet
        self.sent: list[str] = []
        self.tail = ""  # the end of the text read so far, to tell a retry's text from more of it
        self.broken = False

    def advance(self, text: str) -> str:
        # A new attempt's text is shorter, or differs where the last one ended (its last 32 characters).
        if self.broken or len(text) < self.seen or text[self.seen - len(self.tail) : self.seen] != self.tail:
            self.broken = True
            return ""
        new, self.seen, self.tail = text[self.seen :], len(text), text[-32:]
        if not self.sent and not self.held:
            new = new.lstrip()
        pending = self.held + new
        body = pending.rstrip()
        self.held = pending[len(body) :]
        if body:
            self.sent.append(body)
        return body

    def rest(self, answer: str) -> str | None:
        """What of `answer` is left to send; None if it does not begin with what was sent."""
        sent = "".join(self.sent)
        return answer[len(sent) :] if answer.startswith(sent) else None


class EventStream(Response):
    """A Server-Sent Events response fed by `produce(emit)`: a keep-alive comment whenever nothing was
    sent for `keep_alive_s`, and the producer cancelled (its calls with it) when the client disconnects."""

    media_type = "text/event-stream"

    def __init__(
        self,
        produce: Callable[[Callable[[bytes], None]], Awaitable[None]],
        keep_alive_s: float,
        on_close: Callable[[], None],
    ):
        super().__init__(
            status_code=200,
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
            media_type=self.media_type,
        )
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]  # it streams
        self.produce, self.keep_alive_s, self.on_close = produce, keep_alive_s, on_close

    async def __call__(self, scope, receive, send) -> None:
        try:
            await self._stream(receive, send)
        finally:
            self.on_close()

    async def _stream(self, receive, send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        sender, events = anyio.create_memory_object_stream[bytes](math.inf)
        async with anyio.create_task_group() as group:

            async def watch() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                group.cancel_scope.cancel()

            async def pump() -> None:
                with sender:
                    try:
                        await self.produce(sender.send_nowait)
                    except Exception:  # a fault of ours: said in the stream, never as a traceback
                        error = ApiError(500, "internal server error", code="internal_error")
                        sender.send_nowait(sse(error.body()))

            group.start_soon(watch)
            group.start_soon(pump)
            try:
                async with events:
                    while True:
                        data = None
                        with anyio.move_on_after(self.keep_alive_s):
                            try:
                                data = await events.receive()
                            except anyio.EndOfStream:
                                break
                        if data is not None:  # what else is queued goes out in the same write
                            parts = [data]
                            while True:
                                try:
                                    parts.append(events.receive_nowait())
                                except (anyio.WouldBlock, anyio.EndOfStream):
                                    break
                            data = b"".join(parts)
                        await send(
                            {"type": "http.response.body", "body": data or KEEP_ALIVE, "more_body": True}
                        )
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            except OSError:  # the client is gone: nothing more to send
                pass
            group.cancel_scope.cancel()
