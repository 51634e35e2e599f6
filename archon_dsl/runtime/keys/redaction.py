"""Keeping secrets out of everything we write: outputs, cache, traces, errors and the terminal."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any, overload

from .preflight import models_of

if TYPE_CHECKING:
    from ...architecture import Architecture

REDACTED = "***"
# Names of variables and parameters that hold credentials (OPENAI_API_KEY, HF_TOKEN, api_key, LLM_PASS, ...).
_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASS|CREDENTIAL|AUTH)", re.IGNORECASE)
# Strings shaped like keys even when no variable holds them (sk-..., Bearer ...).
_SECRET_SHAPE = re.compile(
    r"(?:\b(?:sk|pk|rk|ak)-[A-Za-z0-9_\-]{8,}|\bBearer\s+[A-Za-z0-9._\-]{8,}|\bAIza[0-9A-Za-z_\-]{20,}|\bhf_[A-Za-z0-9]{16,})"
)
_SHORTEST_SECRET = 6  # shorter values ("1", "true") would redact innocent text


@lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """True for names that hold credentials: they never enter cache keys, traces or errors."""
    return bool(_SECRET_NAME.search(name))


class Redactor:
    """Replaces every known secret in text and JSON-like data before it is written or printed.

    Known secrets: the values of credential-named environment variables (*_API_KEY, *_TOKEN,
    *_SECRET, *PASS*, ...), of variables an architecture names as a key (`api_key =
    env("NAME")`), literal keys in a file, and strings shaped like keys (sk-..., Bearer ...).
    Values are read when used, so a key set after start-up (from .env) is covered too.
    """

    def __init__(self, environ: Mapping[str, str] | None = None):
        self._environ = environ
        self._names: set[str] = set()  # variables named as keys, whatever their names
        self._literals: set[str] = set()
        self._compiled: tuple[frozenset[str], re.Pattern[str]] | None = None

    def protect(self, arch: Architecture) -> None:
        """Remember the keys an architecture's models name: `env("NAME")` variables and literal values."""
        from ...architecture import EnvVar

        for model in models_of(arch):
            for name, value in (model.params or {}).items():
                if not (name == "api_key" or is_secret_name(name)):
                    continue
                if isinstance(value, EnvVar):
                    self._names.add(value.env)
                    if value.default:
                        self.add(value.default)
                elif isinstance(value, str):
                    self.add(value)

    def add(self, *values: str) -> None:
        self._literals.update(v for v in values if v and len(v) >= _SHORTEST_SECRET)

    def values(self) -> frozenset[str]:
        """Every secret value known now."""
        found = set(self._literals)
        if self._environ is None and _ENVIRON_BYTES is not None:
            # os.environ decodes every name and value it yields (50 µs a scan): read its bytes and
            # decode only the secrets. Every write to os.environ updates this dict.
            names = {os.fsencode(name) for name in self._names}
            for raw_name, raw_value in _ENVIRON_BYTES.items():
                if len(raw_value) >= _SHORTEST_SECRET and (_is_secret_bytes(raw_name) or raw_name in names):
                    found.add(os.fsdecode(raw_value))
            return frozenset(found)
        for name, value in (os.environ if self._environ is None else self._environ).items():
            if len(value) >= _SHORTEST_SECRET and (is_secret_name(name) or name in self._names):
                found.add(value)
        return frozenset(found)

    def _pattern(self) -> re.Pattern[str]:
        values = self.values()
        if self._compiled is None or self._compiled[0] != values:
            alternatives = [re.escape(v) for v in sorted(values, key=len, reverse=True)]
            self._compiled = (values, re.compile("|".join([*alternatives, _SECRET_SHAPE.pattern])))
        return self._compiled[1]

    def text(self, text: str | None) -> str | None:
        """`text` with every secret replaced by ***."""
        if not text:
            return text
        return self._pattern().sub(REDACTED, text)

    def data(self, value: Any) -> Any:
        """A copy of JSON-like data (dicts, lists, strings) with every secret in its strings replaced."""
        return _walk(value, self._pattern())

    def json(self, value: Any) -> str:
        """`value` as one line of JSON, secrets replaced (in the data, so escaping cannot hide one)."""
        return json.dumps(self.data(value), ensure_ascii=False)


# os.environ's own store of bytes on POSIX (None elsewhere: os.environ itself is scanned).
_ENVIRON_BYTES: dict[bytes, bytes] | None = getattr(os.environ, "_data", None) if os.name == "posix" else None
if not isinstance(_ENVIRON_BYTES, dict):
    _ENVIRON_BYTES = None


@lru_cache(maxsize=4096)
def _is_secret_bytes(name: bytes) -> bool:
    return is_secret_name(os.fsdecode(name))


def _walk(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(REDACTED, value) if value else value
    if isinstance(value, dict):
        return {k: _walk(v, pattern) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_walk(v, pattern) for v in value]
    return value


# The process's redactor: every writer (output file, cache, trace, CLI, errors) goes through it.
REDACTOR = Redactor()


@overload
def redact(text: str, environ: Mapping[str, str] | None = None) -> str: ...
@overload
def redact(text: None, environ: Mapping[str, str] | None = None) -> None: ...
def redact(text: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """`text` with every credential (a secret variable's value or a key-shaped string) replaced."""
    return (REDACTOR if environ is None else Redactor(environ)).text(text)


def redact_data(value: Any) -> Any:
    """JSON-like data with every known secret replaced (see Redactor)."""
    return REDACTOR.data(value)
