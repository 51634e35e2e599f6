"""JSON text to values plus the source position of every key and element, for diagnostics."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..diagnostics import ArchonError, Diagnostic, Severity, Source, Span

JsonPath = tuple[str | int, ...]

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null|NaN|-?Infinity")
_SPACE = re.compile(r"[ \t\n\r]*")


def path_text(path: JsonPath) -> str:
    """`$.layers[0][2].temperature` for ("layers", 0, 2, "temperature")."""
    out = ["$"]
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
            out.append(f".{part}")
        else:
            out.append(f"[{json.dumps(part)}]")
    return "".join(out)


@dataclass
class JsonDocument:
    """A parsed JSON file: its value, where each part of it starts, and keys given twice."""

    value: Any
    source: Source
    offsets: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)  # path -> (offset, length)
    duplicates: list[JsonPath] = field(default_factory=list)

    def span(self, path: JsonPath) -> Span | None:
        """Where `path` is written (its key, for an object member), or its nearest written parent."""
        while True:
            if path in self.offsets:
                offset, length = self.offsets[path]
                return self.source.span_at_offset(offset, length)
            if not path:
                return None
            path = path[:-1]


def parse_json(text: str, path: str = "<string>") -> JsonDocument:
    """Parse JSON text; broken JSON raises ArchonError (J001) with the line and column."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        source = Source(text, path)
        raise ArchonError([Diagnostic(
            "J001", "invalid-json", Severity.ERROR, f"not valid JSON: {e.msg}",
            source.span_at_offset(e.pos), path, "fix the JSON syntax (a trailing comma or a missing quote is common)",
        )]) from None
    document = JsonDocument(value, Source(text, path))
    _Locator(text, document).value(_skip(text, 0), ())
    return document


def _skip(text: str, i: int) -> int:
    return _SPACE.match(text, i).end()


class _Locator:
    """Walks text that json.loads accepted, recording where each key and element starts."""

    def __init__(self, text: str, document: JsonDocument):
        self.text, self.document = text, document

    def value(self, i: int, path: JsonPath) -> int:
        self.document.offsets.setdefault(path, (i, 1))
        ch = self.text[i]
        if ch == "{":
            return self._object(i, path)
        if ch == "[":
            return self._array(i, path)
        match = (_STRING if ch == '"' else _SCALAR).match(self.text, i)
        return match.end()

    def _object(self, i: int, path: JsonPath) -> int:
        i = _skip(self.text, i + 1)
        seen: set[str] = set()
        if self.text[i] == "}":
            return i + 1
        while True:
            match = _STRING.match(self.text, i)
            key = json.loads(match.group())
            if key in seen:
                self.document.duplicates.append(path + (key,))
            seen.add(key)
            # A member's position is its key: that is what a reader looks for.
            self.document.offsets[path + (key,)] = (i, match.end() - i)
            i = _skip(self.text, match.end())
            i = _skip(self.text, i + 1)  # the colon
            i = _skip(self.text, self.value(i, path + (key,)))
            if self.text[i] == "}":
                return i + 1
            i = _skip(self.text, i + 1)  # the comma

    def _array(self, i: int, path: JsonPath) -> int:
        i = _skip(self.text, i + 1)
        if self.text[i] == "]":
            return i + 1
        index = 0
        while True:
            self.document.offsets[path + (index,)] = (i, 1)
            i = _skip(self.text, self.value(i, path + (index,)))
            if self.text[i] == "]":
                return i + 1
            i = _skip(self.text, i + 1)
            index += 1
