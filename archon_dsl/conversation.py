"""Chat conversations as queries: checking OpenAI-style messages and MT-Bench-style user turns.

A query is either a plain question (one user turn) or a conversation: a list of messages
`{"role": "system" | "user" | "assistant", "content": "..."}` whose last message is the user's,
which is the turn the architecture answers. Checked messages are plain `{"role", "content"}`
dicts with string content; imports nothing beyond the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

ROLES = ("system", "user", "assistant")
# Accepted for the role it stands for: OpenAI's newer name for the system message.
ROLE_ALIASES = {"developer": "system"}

Message = dict[str, str]


class MessagesError(ValueError):
    """Messages (or turns) that cannot be a query; `field` says where, e.g. "messages[2].role"."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def check_text(value: str, field: str) -> str:
    """`value` if it is text a model can be sent: a lone surrogate (JSON's "\\ud800") is not."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise MessagesError(
            field, f"holds {value[e.start]!r} at character {e.start + 1}, half of a UTF-16 pair, not text"
        ) from None
    return value


def _content(value: Any, field: str) -> str:
    """A message's content as text: a string, or a list of text parts (joined by newlines)."""
    if isinstance(value, str):
        return check_text(value, field)
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        texts = []
        for k, part in enumerate(value):
            where = f"{field}[{k}]"
            if not isinstance(part, Mapping):
                raise MessagesError(where, f"a content part must be an object, not {_type(part)}")
            if part.get("type", "text") != "text":
                raise MessagesError(
                    f"{where}.type", f"only text content is supported, not {str(part.get('type'))!r}"
                )
            if not isinstance(part.get("text"), str):
                raise MessagesError(f"{where}.text", "a text part needs its text as a string")
            texts.append(check_text(part["text"], f"{where}.text"))
        return "\n".join(texts)
    if value is None:
        raise MessagesError(field, "missing; every message needs its content as a string")
    raise MessagesError(field, f"must be a string, not {_type(value)}")


def _type(value: Any) -> str:
    return {dict: "an object", list: "a list", bool: "a boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def check_messages(value: Any, field: str = "messages") -> tuple[Message, ...]:
    """Checked messages: a non-empty list of {"role", "content"} ending with the user's turn.

    Roles are system, user and assistant ("developer" counts as system); content is a string or a
    list of text parts. Other keys (name, ...) are dropped. Raises MessagesError naming the field.
    """
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise MessagesError(
            field, f'must be a list of messages like {{"role": "user", "content": "..."}}, not {_type(value)}'
        )
    if not value:
        raise MessagesError(field, "is empty; give at least the user's message")
    checked: list[Message] = []
    for k, message in enumerate(value):
        where = f"{field}[{k}]"
        if not isinstance(message, Mapping):
            raise MessagesError(
                where, f'must be an object like {{"role": "user", "content": "..."}}, not {_type(message)}'
            )
        role = message.get("role")
        if role is None:
            raise MessagesError(f"{where}.role", f"missing; use one of {', '.join(ROLES)}")
        role = ROLE_ALIASES.get(role, role) if isinstance(role, str) else role
        if role not in ROLES:
            hint = " (tool calls are not supported)" if role in ("tool", "function") else ""
            raise MessagesError(f"{where}.role", f"{role!r} is not one of {', '.join(ROLES)}{hint}")
        checked.append({"role": role, "content": _content(message.get("content"), f"{where}.content")})
    if checked[-1]["role"] != "user":
        raise MessagesError(
            f"{field}[{len(checked) - 1}].role",
            f"the last message is the {checked[-1]['role']}'s; a conversation to answer ends with the user's message",
        )
    return tuple(checked)


def check_turns(value: Any, field: str = "turns") -> tuple[str, ...]:
    """Checked MT-Bench-style turns: a non-empty list of the user's messages (strings), asked in order."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise MessagesError(field, f"must be a list of the user's messages (strings), not {_type(value)}")
    if not value:
        raise MessagesError(field, "is empty; give at least one user turn")
    for k, turn in enumerate(value):
        if not isinstance(turn, str):
            raise MessagesError(f"{field}[{k}]", f"must be a string, not {_type(turn)}")
        check_text(turn, f"{field}[{k}]")
    return tuple(value)


def split_last(messages: Sequence[Message]) -> tuple[tuple[Message, ...], str]:
    """(the messages before the user's last turn, that turn's text) of checked messages."""
    return tuple(messages[:-1]), messages[-1]["content"]
