"""Rate and concurrency limits per provider and per model: token buckets and semaphores on anyio.

Limits come from, in increasing priority: the environment (`ARCHON_RPM_<PROVIDER>`,
`ARCHON_TPM_<PROVIDER>`, `ARCHON_CONCURRENCY_<PROVIDER>`, and `ARCHON_CONCURRENCY` for all
calls), a config file (`archon.toml`'s `[limits]` table, then `.archon/limits.toml`), the
architecture's `provider "name" { rpm = ...; tpm = ...; concurrency = ... }` blocks, and last
the model's own `rpm`/`tpm`/`concurrency`. Provider and model limits both apply to a call.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, overload

import anyio
from anyio import WouldBlock

from ..diagnostics import ArchonError, Diagnostic, Severity

# A bucket holds this many seconds' worth of its rate: a burst of calls may start at
# once, and the rate holds on average (never more than 1 + BURST_SECONDS/60 of a minute's
# limit in any minute).
BURST_SECONDS = 10.0
CONFIG_FILES = ("archon.toml", ".archon/limits.toml")
ENV_PREFIX = "ARCHON_"
_ENV_LIMIT = re.compile(r"^ARCHON_(RPM|TPM|CONCURRENCY)_([A-Z0-9_]+)$")
_LIMIT_KEYS = ("rpm", "tpm", "concurrency")


def provider_key(name: str) -> str:
    """A provider name as environment variables can spell it: `text-completion-openai` -> `text_completion_openai`."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower())


def _config_error(message: str, path: str | None, hint: str | None = None) -> ArchonError:
    return ArchonError([Diagnostic("E030", "bad-limits", Severity.ERROR, message, None, path, hint)])


@dataclass(frozen=True, slots=True)
class Limit:
    """Requests and tokens per minute and calls in flight; None is no limit."""

    rpm: float | None = None
    tpm: float | None = None
    concurrency: int | None = None

    def under(self, other: Limit | None) -> Limit:
        """This limit with every value `other` sets taking precedence."""
        if other is None:
            return self
        return Limit(
            **{
                f.name: getattr(other, f.name)
                if getattr(other, f.name) is not None
                else getattr(self, f.name)
                for f in fields(Limit)
            }
        )

    @property
    def empty(self) -> bool:
        return self.rpm is None and self.tpm is None and self.concurrency is None

    def to_dict(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in (("rpm", self.rpm), ("tpm", self.tpm), ("concurrency", self.concurrency))
            if v is not None
        }

    @classmethod
    def parse(cls, data: Mapping[str, Any], where: str, path: str | None) -> Limit:
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in _LIMIT_KEYS:
                raise _config_error(f"unknown limit '{key}' in {where}", path, "use rpm, tpm or concurrency")
            values[key] = _positive(value, f"{where}.{key}", path, integer=key == "concurrency")
        return cls(**values)


@overload
def _positive(value: Any, where: str, path: str | None, *, integer: Literal[True]) -> int | None: ...
@overload
def _positive(value: Any, where: str, path: str | None, *, integer: bool) -> float | int | None: ...
def _positive(value: Any, where: str, path: str | None, *, integer: bool) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise _config_error(f"{where} = {value!r} is not a number", path) from None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise _config_error(f"{where} = {value!r} must be a positive number", path)
    if integer:
        if value != int(value):
            raise _config_error(f"{where} = {value!r} must be a whole number", path)
        return int(value)
    return float(value)


class TokenBucket:
    """A token bucket refilled at `per_minute`/60 a second, holding BURST_SECONDS of refill.

    `reserve` books tokens at once and says how long to wait before using them, so
    waiters are served in order with no polling; the level may go below zero (booked
    ahead), and a request larger than the bucket waits for a full bucket.
    """

    __slots__ = ("rate", "capacity", "level", "last", "clock")

    def __init__(
        self, per_minute: float, clock: Callable[[], float] = time.monotonic, burst: float = BURST_SECONDS
    ):
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * burst)  # burst: seconds of refill the bucket holds
        self.level = self.capacity
        self.clock = clock
        self.last = clock()

    def _refill(self) -> None:
        now = self.clock()
        if now > self.last:
            self.level = min(self.capacity, self.level + (now - self.last) * self.rate)
            self.last = now

    def reserve(self, amount: float) -> float:
        """Book `amount`; seconds to wait before it may be used."""
        self._refill()
        need = min(amount, self.capacity)
        wait = 0.0 if self.level >= need else (need - self.level) / self.rate
        self.level -= amount
        return wait

    def give_back(self, amount: float) -> None:
        """Return booked tokens (a cancelled wait, or a call that used fewer than booked)."""
        self._refill()
        self.level = min(self.capacity, self.level + amount)


class _Gate:
    """Everything one model's calls pass: buckets and semaphores of its provider and its own."""

    __slots__ = ("provider", "requests", "tokens", "semaphores")

    def __init__(
        self, provider: str, requests: list[TokenBucket], tokens: list[TokenBucket], semaphores: list
    ):
        self.provider = provider
        self.requests = requests
        self.tokens = tokens
        self.semaphores = semaphores

    @property
    def open(self) -> bool:
        return not (self.requests or self.tokens or self.semaphores)


class _NoSlot:
    """The slot of a call no limit applies to: costs an attribute lookup."""

    __slots__ = ()

    async def __aenter__(self) -> _NoSlot:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def report(self, tokens: int) -> None:
        return None


_NO_SLOT = _NoSlot()


async def _acquire(semaphore) -> None:
    """Take a free semaphore without yielding to the event loop; wait only when it is not free."""
    try:
        semaphore.acquire_nowait()
    except WouldBlock:
        await semaphore.acquire()


class _Slot:
    """One call's passage through its gate; `report(tokens)` corrects the token estimate."""

    __slots__ = ("limits", "gate", "estimate", "held")

    def __init__(self, limits: Limits, gate: _Gate, estimate: int):
        self.limits = limits
        self.gate = gate
        self.estimate = estimate
        self.held: list = []

    async def __aenter__(self) -> _Slot:
        limits, gate = self.limits, self.gate
        try:
            for semaphore in gate.semaphores:
                await _acquire(semaphore)
                self.held.append(semaphore)
            await limits.wait_if_deferred(gate.provider)
            wait = 0.0
            for bucket in gate.requests:
                wait = max(wait, bucket.reserve(1))
            for bucket in gate.tokens:
                wait = max(wait, bucket.reserve(self.estimate))
            if wait > 0:
                try:
                    await limits.sleep(wait)
                except BaseException:  # cancelled while waiting: the booked capacity is unused
                    for bucket in gate.requests:
                        bucket.give_back(1)
                    for bucket in gate.tokens:
                        bucket.give_back(self.estimate)
                    raise
            if limits.global_limiter is not None:
                await _acquire(limits.global_limiter)
                self.held.append(limits.global_limiter)
        except BaseException:
            self._release()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._release()

    def _release(self) -> None:
        while self.held:
            self.held.pop().release()

    def report(self, tokens: int) -> None:
        """The tokens the call really used: the token buckets are charged the difference."""
        difference = tokens - self.estimate
        for bucket in self.gate.tokens:
            if difference > 0:
                bucket.level -= difference
            elif difference < 0:
                bucket.give_back(-difference)
        self.estimate = tokens


class Limits:
    """Concurrency and rate limits for every call; `async with limits.slot(model, tokens):`.

    Build one with `Limits.configure(architecture)`; use it from one event loop. With
    no limit set a slot costs next to nothing.
    """

    def __init__(
        self,
        *,
        concurrency: int | None = None,
        providers: Mapping[str, Limit] | None = None,
        models: Mapping[str, Limit] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] | None = None,
    ):
        self.concurrency = concurrency
        self.providers = {provider_key(k): v for k, v in (providers or {}).items() if not v.empty}
        self.models = {k: v for k, v in (models or {}).items() if not v.empty}
        self.clock = clock
        self.sleep = sleep if sleep is not None else anyio.sleep
        self.global_limiter = anyio.Semaphore(concurrency) if concurrency else None
        self._gates: dict[tuple, _Gate] = {}
        self._provider_parts: dict[str, tuple[list, list, list]] = {}
        self._deferred: dict[str, float] = {}  # provider -> clock time until which it asked us to wait

    # -- configuration ------------------------------------------------------------

    @classmethod
    def configure(
        cls,
        architecture=None,
        *,
        environ: Mapping[str, str] | None = None,
        config: str | Path | None | bool = True,
        concurrency: int | None = None,
        **options: Any,
    ) -> Limits:
        """Limits from the environment, config files, `architecture.providers` and keyword args.

        `config`: True reads CONFIG_FILES under the current directory, a path reads that file,
        False reads none. `concurrency` (all calls in flight) overrides the environment's and
        the file's. Bad values raise ArchonError (E030 bad-limits) naming where they came from.
        """
        environ = os.environ if environ is None else environ
        global_limit, providers = _from_environ(environ)
        models: dict[str, Limit] = {}
        for path in _config_paths(config):
            file_global, file_providers, file_models = _from_file(path)
            global_limit = file_global if file_global is not None else global_limit
            for name, limit in file_providers.items():
                providers[name] = providers.get(name, Limit()).under(limit)
            for name, limit in file_models.items():
                models[name] = models.get(name, Limit()).under(limit)
        if architecture is not None:
            for name, declared in architecture.providers.items():
                limit = Limit.parse(
                    {k: getattr(declared, k) for k in _LIMIT_KEYS if getattr(declared, k) is not None},
                    f'provider "{name}"',
                    getattr(architecture, "path", None),
                )
                key = provider_key(name)
                providers[key] = providers.get(key, Limit()).under(limit)
        if concurrency is not None:
            global_limit = concurrency
        return cls(concurrency=global_limit, providers=providers, models=models, **options)

    def limit_for(self, model) -> tuple[Limit, Limit]:
        """(provider limit, model limit) that apply to `model` (a ModelSpec or an id)."""
        model_id = model if isinstance(model, str) else model.id
        provider = model_id.split("/", 1)[0] if "/" in model_id else ""
        own = self.models.get(model_id, Limit())
        if not isinstance(model, str):
            own = own.under(Limit(model.rpm, model.tpm, model.concurrency))
        return self.providers.get(provider_key(provider), Limit()), own

    def describe(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "providers": {k: v.to_dict() for k, v in sorted(self.providers.items())},
            "models": {k: v.to_dict() for k, v in sorted(self.models.items())},
        }

    # -- passage ----------------------------------------------------------------------

    def slot(self, model, est_tokens: int = 0):
        """An async context manager a call runs inside; waits for every limit that applies.

        Order: the provider's and the model's concurrency, any wait the provider asked for
        (`defer`), the rate buckets (requests, and tokens booked at `est_tokens`;
        `slot.report(actual)` corrects them after the call), and last the global limit, so
        a call held back by its own provider never occupies a place other providers could use.
        """
        if isinstance(model, str):
            key: tuple = (model,)
        else:
            key = (model.id, model.rpm, model.tpm, model.concurrency)
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gate(model)
            self._gates[key] = gate
        if gate.open and self.global_limiter is None and gate.provider not in self._deferred:
            return _NO_SLOT
        return _Slot(self, gate, est_tokens)

    def defer(self, model, seconds: float) -> None:
        """Hold back new calls to `model`'s provider for `seconds` (it sent Retry-After)."""
        model_id = model if isinstance(model, str) else model.id
        provider = provider_key(model_id.split("/", 1)[0] if "/" in model_id else "")
        until = self.clock() + max(0.0, seconds)
        if until > self._deferred.get(provider, 0.0):
            self._deferred[provider] = until

    async def wait_if_deferred(self, provider: str) -> None:
        if not self._deferred:
            return
        until = self._deferred.get(provider)
        if until is None:
            return
        remaining = until - self.clock()
        if remaining <= 0:
            self._deferred.pop(provider, None)
            return
        await self.sleep(remaining)

    def _gate(self, model) -> _Gate:
        model_id = model if isinstance(model, str) else model.id
        provider = provider_key(model_id.split("/", 1)[0] if "/" in model_id else "")
        requests, tokens, semaphores = (list(part) for part in self._provider_part(provider))
        _, own = self.limit_for(model)
        _add(own, requests, tokens, semaphores, self.clock)
        return _Gate(provider, requests, tokens, semaphores)

    def _provider_part(self, provider: str) -> tuple[list, list, list]:
        """The provider's buckets and semaphore, shared by all its models."""
        part = self._provider_parts.get(provider)
        if part is None:
            part = ([], [], [])
            limit = self.providers.get(provider)
            if limit is not None:
                _add(limit, *part, self.clock)
            self._provider_parts[provider] = part
        return part


def _add(limit: Limit, requests: list, tokens: list, semaphores: list, clock) -> None:
    if limit.rpm:
        requests.append(TokenBucket(limit.rpm, clock))
    if limit.tpm:
        tokens.append(TokenBucket(limit.tpm, clock))
    if limit.concurrency:
        semaphores.append(anyio.Semaphore(limit.concurrency))


def _from_environ(environ: Mapping[str, str]) -> tuple[int | None, dict[str, Limit]]:
    global_limit = None
    values: dict[str, dict[str, Any]] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        if name == "ARCHON_CONCURRENCY":
            global_limit = _positive(value, name, None, integer=True)
            continue
        match = _ENV_LIMIT.match(name)
        if match:
            kind, provider = match.group(1).lower(), match.group(2).lower()
            values.setdefault(provider, {})[kind] = _positive(
                value, name, None, integer=kind == "concurrency"
            )
    return global_limit, {provider: Limit(**v) for provider, v in values.items()}


def _config_paths(config: str | Path | None | bool) -> list[Path]:
    if config is False or config is None:
        return []
    if config is True:
        return [p for p in (Path(name) for name in CONFIG_FILES) if p.is_file()]
    path = Path(config)
    if not path.is_file():
        raise _config_error(f"limits file {path} does not exist", str(path))
    return [path]


def _from_file(path: Path) -> tuple[int | None, dict[str, Limit], dict[str, Limit]]:
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise _config_error(f"cannot read {path}: {e.strerror or e}", str(path)) from None
    except tomllib.TOMLDecodeError as e:
        raise _config_error(f"{path} is not valid TOML: {e}", str(path)) from None
    if path.name == "archon.toml":
        data = data.get("limits", {})
        prefix = "limits."
    else:
        prefix = ""
    if not isinstance(data, dict):
        raise _config_error(f"'{prefix.rstrip('.') or 'limits'}' in {path} must be a table", str(path))
    unknown = sorted(set(data) - {"concurrency", "providers", "models"})
    if unknown:
        raise _config_error(
            f"unknown key '{prefix}{unknown[0]}' in {path}",
            str(path),
            f'use {prefix}concurrency, [{prefix}providers.NAME] or [{prefix}models."provider/model"]',
        )
    global_limit = _positive(data.get("concurrency"), f"{prefix}concurrency", str(path), integer=True)
    providers: dict[str, Limit] = {}
    models: dict[str, Limit] = {}
    for section, out in (("providers", providers), ("models", models)):
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise _config_error(f"'{prefix}{section}' in {path} must be a table", str(path))
        for name, values in table.items():
            if not isinstance(values, dict):
                raise _config_error(
                    f"'{prefix}{section}.{name}' in {path} must be a table",
                    str(path),
                    "e.g. [limits.providers.openai] with rpm = 500",
                )
            limit = Limit.parse(values, f"{prefix}{section}.{name}", str(path))
            out[provider_key(name) if section == "providers" else name] = limit
    return global_limit, providers, models
