""".env files: dotenv's syntax parsed, and their variables set where the environment has none."""

from __future__ import annotations

import os
import re
from collections.abc import MutableMapping
from pathlib import Path

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*(.*?)\s*$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


def parse_env(text: str) -> dict[str, str]:
    """KEY=VALUE pairs of .env text: `export`, quotes, comments and blank lines as dotenv has them.

    Unquoted values end at ` #`; single quotes are literal; double quotes take
    backslash escapes and may span lines. Lines that are not assignments are skipped.
    """
    values: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _LINE.match(lines[i])
        i += 1
        if not match:  # blank, comment or not an assignment
            continue
        name, raw = match.group(1), match.group(2)
        if raw[:1] in ("'", '"'):
            quote = raw[0]
            body = raw[1:]
            while _closing_quote(body, quote) < 0 and i < len(lines):  # a value spanning lines
                body += "\n" + lines[i]
                i += 1
            end = _closing_quote(body, quote)
            body = body[:end] if end >= 0 else body
            values[name] = _unescape(body) if quote == '"' else body
        else:
            values[name] = re.split(r"\s+#", raw, maxsplit=1)[0].strip()
    return values


def _closing_quote(body: str, quote: str) -> int:
    escaped = False
    for index, char in enumerate(body):
        if escaped:
            escaped = False
        elif char == "\\" and quote == '"':
            escaped = True
        elif char == quote:
            return index
    return -1


def _unescape(body: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), "\\" + m.group(1)), body)


def load_env_file(
    path: str | Path | None = ".env", environ: MutableMapping[str, str] | None = None
) -> list[str]:
    """Set the variables of a .env file that the environment does not set already; their names.

    A missing file is no error (most runs have none); the real environment always wins.
    """
    if path is None:
        return []
    environ = os.environ if environ is None else environ
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return []
    loaded = []
    for name, value in parse_env(text).items():
        if name not in environ:
            environ[name] = value
            loaded.append(name)
    return loaded
