"""Source text, 1-based spans and the Diagnostic every phase reports."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True)
class Span:
    """A 1-based, end-inclusive-line, end-exclusive-column region of a source."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def point(cls, line: int, column: int) -> Span:
        return cls(line, column, line, column + 1)

    def to(self, other: Span) -> Span:
        return Span(self.line, self.column, other.end_line, other.end_column)


@dataclass(slots=True)
class Source:
    """A file's text and name, with line lookup for code frames."""

    text: str
    path: str = "<string>"
    _lines: list[str] | None = field(default=None, repr=False)

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.splitlines() or [""]
        return self._lines

    def line(self, number: int) -> str:
        lines = self.lines
        return lines[number - 1] if 0 < number <= len(lines) else ""

    def span_at_offset(self, offset: int, length: int = 1) -> Span:
        line = self.text.count("\n", 0, offset) + 1
        column = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return Span(line, column, line, column + max(length, 1))


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(slots=True)
class Diagnostic:
    """One finding: a stable code, where it is, what is wrong and what to do."""

    code: str
    name: str
    severity: Severity
    message: str
    span: Span | None = None
    path: str | None = None
    hint: str | None = None
    # Template checks: the parameter values under which this diagnostic fires.
    when: str | None = None
    related: list[tuple[Span, str]] = field(default_factory=list)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple:
        span = self.span or Span(0, 0, 0, 0)
        return (self.path or "", span.line, span.column, self.code)

    def to_dict(self) -> dict:
        out: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "path": self.path,
            "span": None,
            "hint": self.hint,
            "when": self.when,
        }
        if self.span:
            out["span"] = {
                "line": self.span.line,
                "column": self.span.column,
                "end_line": self.span.end_line,
                "end_column": self.span.end_column,
            }
        return out


class ArchonError(Exception):
    """A failure that carries diagnostics for the user (never a bare traceback)."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        first = diagnostics[0] if diagnostics else None
        super().__init__(first.message if first else "archon error")


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while building many small objects.

    Parsing a large file allocates hundreds of thousands of tree nodes; with
    the collector on, each generation-2 pass rescans them all and parsing
    turns quadratic. Nothing here makes reference cycles worth collecting early.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def gc_frozen():
    """Hide every object alive now from the cyclic collector while a pass runs over them.

    A check walks a large, long-lived template; each collection would rescan
    all of it, and the checker's small, short-lived objects trigger many.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def read_source(path, *, what: str = "", span: Span | None = None, within: str | None = None) -> str:
    """The UTF-8 text of a file, or an ArchonError (E000, a usage problem) saying why it cannot be read."""
    try:
        text = _read_regular_file(path, what, span, within).decode("utf-8")
        # Universal newlines, as text-mode reading gives.
        return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
    except UnicodeDecodeError as e:
        # Located at the first bad byte (its column counted in bytes), so an editor can jump there.
        data = e.object
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise ArchonError(
            [
                Diagnostic(
                    "E000",
                    "unreadable-file",
                    Severity.ERROR,
                    f"cannot read {what or path}: not UTF-8 text (byte 0x{data[e.start]:02x} at line {line}, column {column})",
                    span or Span(line, column, line, column + 1),
                    within or str(path),
                    "save the file as UTF-8",
                )
            ]
        ) from None
    except OSError as e:
        reason = e.strerror or str(e)
        raise ArchonError(
            [
                Diagnostic(
                    "E000",
                    "unreadable-file",
                    Severity.ERROR,
                    f"cannot read {what or path}: {reason}",
                    span,
                    within or str(path),
                )
            ]
        ) from None


def _read_regular_file(path, what: str, span: Span | None, within: str | None) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES; an ArchonError for anything else.

    A FIFO, a device (/dev/zero) or a directory would block or never end, and
    a huge file would be read whole before any check: each is refused from
    its metadata, before a byte is read. Opened non-blocking, so even a FIFO
    with no writer answers at once.
    """
    import os
    import stat

    from .limits import MAX_FILE_BYTES, size_text

    def refuse(reason: str, hint: str) -> ArchonError:
        return ArchonError(
            [
                Diagnostic(
                    "E000",
                    "unreadable-file",
                    Severity.ERROR,
                    f"cannot read {what or path}: {reason}",
                    span,
                    within or str(path),
                    hint,
                )
            ]
        )

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = (
                "a directory"
                if stat.S_ISDIR(info.st_mode)
                else "a FIFO (named pipe)"
                if stat.S_ISFIFO(info.st_mode)
                else "a device"
                if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode)
                else "a socket"
                if stat.S_ISSOCK(info.st_mode)
                else "not a regular file"
            )
            raise refuse(f"it is {kind}, not a regular file", "give the path of an .arch file")
        if info.st_size > MAX_FILE_BYTES:
            raise refuse(
                f"{info.st_size:,} bytes, over the limit of {size_text(MAX_FILE_BYTES)}",
                "an architecture file is small: split it, or move long prompts out of it",
            )
        chunks, total = [], 0
        while total <= MAX_FILE_BYTES:  # the file may grow while it is read
            chunk = os.read(fd, min(1 << 20, MAX_FILE_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > MAX_FILE_BYTES:
            raise refuse(
                f"over the limit of {size_text(MAX_FILE_BYTES)}",
                "an architecture file is small: split it, or move long prompts out of it",
            )
        return b"".join(chunks)
    finally:
        os.close(fd)


def did_you_mean(word: str, choices) -> str | None:
    """The closest of `choices` to a misspelt `word`, if one is close enough."""
    import difflib

    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return match[0] if match else None
