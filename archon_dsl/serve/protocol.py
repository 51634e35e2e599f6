"""The OpenAI chat-completions wire format: requests checked field by field, responses, stream chunks, errors."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from ..runtime.trace import QueryResult, add_costs

ROLES = ("system", "developer", "user", "assistant")
MAX_N = 16  # choices per request: each is a whole run of the architecture


class ApiError(Exception):
    """An error answered in OpenAI's JSON shape with an HTTP status; `param` names the field."""

    TYPES = {
        400: "invalid_request_error",
        401: "authentication_error",
        404: "invalid_request_error",
        413: "invalid_request_error",
        429: "rate_limit_error",
        500: "server_error",
        502: "upstream_error",
        504: "timeout_error",
    }

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.TYPES.get(self.status, "server_error"),
                "param": self.param,
                "code": self.code,
            }
        }


@dataclass
class ChatRequest:
    """A checked POST /v1/chat/completions body.

    `sampling` holds temperature and max_tokens as the architecture's `defaults` take them;
    `params` the template parameters (extra_body={"params": {...}}).
    """

    model: str
    messages: list[dict[str, Any]]
    n: int = 1
    stream: bool = False
    include_usage: bool = False
    sampling: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)


def parse_request(raw: bytes) -> ChatRequest:
    """A ChatRequest from a request body; ApiError(400) naming the first bad field."""
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ApiError(400, f"the body is not JSON: {e}") from None
    return parse_body(body)


def parse_body(body: Any) -> ChatRequest:
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise ApiError(400, "`model` is required: the name of a served architecture", param="model")
    request = ChatRequest(model=model, messages=parse_messages(body.get("messages")))
    n = body.get("n")
    if n is not None:
        if not _is_int(n) or not 1 <= n <= MAX_N:
            raise ApiError(400, f"`n` must be an integer from 1 to {MAX_N}, got {n!r}", param="n")
        request.n = n
    stream = body.get("stream")
    if stream is not None:
        if not isinstance(stream, bool):
            raise ApiError(400, f"`stream` must be true or false, got {stream!r}", param="stream")
        request.stream = stream
    options = body.get("stream_options")
    if options is not None:
        if not isinstance(options, dict):
            raise ApiError(400, "`stream_options` must be an object", param="stream_options")
        request.include_usage = bool(options.get("include_usage"))
    temperature = body.get("temperature")
    if temperature is not None:
        if not _is_number(temperature) or not 0 <= temperature <= 2:
            raise ApiError(
                400, f"`temperature` must be a number from 0 to 2, got {temperature!r}", param="temperature"
            )
        request.sampling["temperature"] = float(temperature)
    for name in ("max_tokens", "max_completion_tokens"):
        value = body.get(name)
        if value is not None:
            if not _is_int(value) or value < 1:
                raise ApiError(400, f"`{name}` must be a positive integer, got {value!r}", param=name)
            request.sampling["max_tokens"] = value
    params = body.get("params")
    if params is not None:
        if not isinstance(params, dict):
            raise ApiError(
                400, '`params` must be an object, e.g. extra_body={"params": {"n_gen": 3}}', param="params"
            )
        request.params = params
    return request


def parse_messages(messages: Any) -> list[dict[str, Any]]:
    """OpenAI-style messages as {"role", "content": str}; text parts of a list content are joined."""
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "`messages` must be a non-empty list of {role, content}", param="messages")
    checked: list[dict[str, Any]] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(message, dict):
            raise ApiError(400, f"{where} must be an object with role and content", param=where)
        role = message.get("role")
        if role not in ROLES:
            raise ApiError(
                400, f"{where}.role must be one of {', '.join(ROLES)}, got {role!r}", param=f"{where}.role"
            )
        checked.append({"role": role, "content": _text(message.get("content"), f"{where}.content")})
    if not any(m["role"] == "user" for m in checked):
        raise ApiError(400, "`messages` has no user message to answer", param="messages")
    if checked[-1]["role"] != "user":
        raise ApiError(
            400,
            f"the last message must be the user's turn to answer, got a {checked[-1]['role']} message",
            param=f"messages[{len(checked) - 1}].role",
        )
    return checked


def _text(content: Any, where: str) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for j, part in enumerate(content):
            if (
                not isinstance(part, dict)
                or part.get("type") != "text"
                or not isinstance(part.get("text"), str)
            ):
                raise ApiError(
                    400, f"{where}[{j}] must be a text part: only text is served", param=f"{where}[{j}]"
                )
            parts.append(part["text"])
        return "".join(parts)
    raise ApiError(400, f"{where} must be a string or a list of text parts", param=where)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# -- responses ----------------------------------------------------------------------


def completion_id() -> str:
    return f"chatcmpl-{secrets.token_hex(12)}"


def usage(results: list[QueryResult]) -> dict[str, int]:
    """Tokens summed over every call of every run."""
    prompt = sum(r.input_tokens for r in results)
    completion = sum(r.output_tokens for r in results)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def archon_extension(results: list[QueryResult]) -> dict[str, Any]:
    """The `archon` field: calls, cached calls, dollars, wall time, and per layer (summed over choices)."""
    layers: dict[int, dict[str, Any]] = {}
    for result in results:
        for stats in result.layers:
            entry = layers.setdefault(
                stats.index,
                {"layer": stats.index, "kind": stats.kind, "calls": 0, "cached_calls": 0, "latency_s": 0.0},
            )
            entry["calls"] += stats.calls
            entry["cached_calls"] += stats.cached_calls
            entry["latency_s"] = round(max(entry["latency_s"], stats.latency_s), 4)
    return {
        "calls": sum(r.calls for r in results),
        "cached_calls": sum(r.cached_calls for r in results),
        "cost_usd": add_costs(r.cost_usd for r in results),
        "latency_s": round(max((r.latency_s for r in results), default=0.0), 4),
        "layers": [layers[i] for i in sorted(layers)],
        "degradations": [d for r in results for d in r.degradations],
    }


def completion(
    rid: str, model: str, results: list[QueryResult], created: int | None = None
) -> dict[str, Any]:
    """A chat.completion object: one choice per run."""
    from ..runtime.keys import redact

    return {
        "id": rid,
        "object": "chat.completion",
        "created": created if created is not None else int(time.time()),
        "model": model,
        "choices": [
            {
                "index": i,
                "message": {"role": "assistant", "content": redact(r.answer or "")},
                "finish_reason": "stop",
            }
            for i, r in enumerate(results)
        ],
        "usage": usage(results),
        "archon": archon_extension(results),
    }


def chunk(
    rid: str,
    model: str,
    created: int,
    index: int | None,
    delta: dict[str, Any] | None = None,
    finish: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A chat.completion.chunk: a delta of choice `index` (None: no choice, as the usage chunk)."""
    choices = [] if index is None else [{"index": index, "delta": delta or {}, "finish_reason": finish}]
    return {
        "id": rid,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": choices,
        **extra,
    }


def sse(data: dict[str, Any] | str) -> bytes:
    """One Server-Sent Event carrying `data` (a JSON object, or the literal [DONE])."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"data: {text}\n\n".encode()


KEEP_ALIVE = b": keep-alive\n\n"  # an SSE comment: clients ignore it, proxies see traffic


def failure(results: list[QueryResult]) -> ApiError | None:
    """The error to answer for runs that failed: 504 when a provider timed out, 502 when providers
    failed or their replies left no answer, 500 for a fault of the server's own; None when all answered."""
    failed = next((r for r in results if r.error is not None), None)
    if failed is None:
        return None
    provider_errors = [rec.error for rec in failed.records if rec.error]
    if provider_errors and all(_timed_out(e) for e in provider_errors):
        return ApiError(504, f"the providers timed out: {failed.error}", code="provider_timeout")
    if provider_errors or "no candidate" in (failed.error or ""):
        return ApiError(502, f"the providers failed: {failed.error}", code="provider_error")
    return ApiError(500, f"the architecture failed: {failed.error}", code="internal_error")


def _timed_out(error: str) -> bool:
    lowered = error.lower()
    return "timeout" in lowered or "timed out" in lowered
