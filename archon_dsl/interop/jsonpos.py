"""JSON text to values plus the source position of every key and element, for diagnostics."""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from typing import Any

from ..diagnostics import ArchonError, Diagnostic, Severity, Source, Span

JsonPath = tuple[str | int, ...]

_SPACE = re.compile(r"[ \t\n\r]*")
_KEY = re.compile(r'("(?:[^"\\]|\\.)*")[ \t\n\r]*:[ \t\n\r]*', re.DOTALL)
_AFTER = re.compile(r"[ \t\n\r]*([,\]}])[ \t\n\r]*")
_NEWLINE = re.compile(r"\n")
_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Skips one value at C speed (the text was accepted by json.loads already): the decoder's
# scanner itself, without raw_decode's wrapper around it.
_SCAN_VALUE = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # set by __init__, not in typeshed
_SPACE_CHARS = " \t\n\r"

# (member key or element index, where the key or element is written, its length, where its value starts)
_Member = tuple[str | int, int, int, int]


def path_text(path: JsonPath) -> str:
    """`$.layers[0][2].temperature` for ("layers", 0, 2, "temperature")."""
    out = ["$"]
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _PLAIN_NAME.fullmatch(part):
            out.append(f".{part}")
        else:
            out.append(f"[{json.dumps(part)}]")
    return "".join(out)


class JsonDocument:
    """A parsed JSON file: its value, where each part of it is written, and keys given twice.

    Positions are found on demand: a container's members are indexed the first
    time a path goes through it, so locating any number of paths costs one pass
    over the containers they touch, never a pass per path.
    """

    def __init__(self, value: Any, text: str, path: str = "<string>", has_duplicates: bool = False):
        self.value, self.text, self.path = value, text, path
        self._members: dict[JsonPath, dict[str | int, _Member]] = {}
        self._line_starts: list[int] | None = None
        self.duplicates: list[JsonPath] = self._find_duplicates() if has_duplicates else []

    def span(self, path: JsonPath) -> Span | None:
        """Where `path` is written (its key, for an object member), or its nearest written parent."""
        text = self.text
        offset = _skip(text, 0)
        where, length = offset, 1
        walked: JsonPath = ()
        for part in path:
            if offset >= len(text) or text[offset] not in "{[":
                break
            member = self._index(walked, offset).get(part)
            if member is None or isinstance(part, bool):
                break
            _, where, length, offset = member
            walked += (part,)
        return self._span(where, length)

    def _span(self, offset: int, length: int) -> Span:
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in _NEWLINE.finditer(self.text)]
        line = bisect_right(self._line_starts, offset)
        column = offset - self._line_starts[line - 1] + 1
        return Span(line, column, line, column + max(length, 1))

    def _index(self, path: JsonPath, offset: int) -> dict[str | int, _Member]:
        """The members of the container at `offset` by key (the last of a key given twice, as json keeps)."""
        members = self._members.get(path)
        if members is None:
            members = self._members[path] = {m[0]: m for m in _scan(self.text, offset)}
        return members

    def _find_duplicates(self) -> list[JsonPath]:
        """Every key given twice in one object, walking each container once."""
        found: list[tuple[int, JsonPath]] = []
        text = self.text
        stack: list[tuple[JsonPath, int]] = [((), _skip(text, 0))]
        while stack:
            path, offset = stack.pop()
            members = _scan(text, offset)
            seen: set[str | int] = set()
            for key, where, _, value_at in members:
                if key in seen:
                    found.append((where, path + (key,)))
                seen.add(key)
                if text[value_at] in "{[":
                    stack.append((path + (key,), value_at))
            self._members.setdefault(path, {m[0]: m for m in members})
        return [path for _, path in sorted(found)]


def _scan(text: str, i: int) -> list[_Member]:
    """The members of the object or array starting at `i`, in the order written."""
    out: list[_Member] = []
    opening = text[i]
    if opening not in "{[":
        return out
    closing = "}" if opening == "{" else "]"
    i = _skip(text, i + 1)
    if text[i] == closing:
        return out
    index = 0
    while True:
        if opening == "{":
            member = _KEY.match(text, i)  # the key, its colon and the space up to the value, at once
            assert member is not None  # json.loads accepted the text
            raw = member.group(1)
            key: str | int = raw[1:-1] if "\\" not in raw else json.loads(raw)
            where, length, value_at = i, len(raw), member.end()
        else:
            key, value_at, where, length = index, i, i, 1
            index += 1
        _, end = _SCAN_VALUE(text, value_at)
        out.append((key, where, length, value_at))
        after = _AFTER.match(text, end)  # the comma or the closing bracket, and the space after it
        assert after is not None  # json.loads accepted the text
        if after.group(1) == closing:
            return out
        i = after.end()


def parse_json(text: str, path: str = "<string>") -> JsonDocument:
    """Parse JSON text; broken JSON raises ArchonError (J001) with the line and column."""
    duplicates = False

    def pairs(items: list[tuple[str, Any]]) -> dict:
        nonlocal duplicates
        value = dict(items)
        if len(value) != len(items):
            duplicates = True
        return value

    try:
        value = json.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as e:
        raise ArchonError(
            [
                _invalid(
                    text,
                    path,
                    f"not valid JSON: {e.msg}",
                    e.pos,
                    "fix the JSON syntax (a trailing comma or a missing quote is common)",
                )
            ]
        ) from None
    except RecursionError:
        raise ArchonError(
            [
                _invalid(
                    text,
                    path,
                    "not a config: lists or objects nested too deeply to read",
                    0,
                    "an Archon config nests four levels deep",
                )
            ]
        ) from None
    return JsonDocument(value, text, path, duplicates)


def _invalid(text: str, path: str, message: str, offset: int, hint: str) -> Diagnostic:
    return Diagnostic(
        "J001", "invalid-json", Severity.ERROR, message, Source(text, path).span_at_offset(offset), path, hint
    )


def _skip(text: str, i: int) -> int:
    """The first offset at or after `i` that is not whitespace."""
    if i < len(text) and text[i] not in _SPACE_CHARS:
        return i  # most tokens follow one another directly, or after one space
    return _SPACE.match(text, i).end()  # type: ignore[union-attr]  # `\s*` matches anywhere
