"""API keys: where each call's key comes from, checked before the first call, and kept out of everything we write."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from ..architecture import Architecture, ModelSpec
    from ..template import Template

REDACTED = "***"
# Names of variables and parameters that hold credentials (OPENAI_API_KEY, HF_TOKEN, api_key, LLM_PASS, ...).
_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASS|CREDENTIAL|AUTH)", re.IGNORECASE)
# Strings shaped like keys even when no variable holds them (sk-..., Bearer ...).
_SECRET_SHAPE = re.compile(
    r"(?:\b(?:sk|pk|rk|ak)-[A-Za-z0-9_\-]{8,}|\bBearer\s+[A-Za-z0-9._\-]{8,}|\bAIza[0-9A-Za-z_\-]{20,}|\bhf_[A-Za-z0-9]{16,})"
)
_SHORTEST_SECRET = 6  # shorter values ("1", "true") would redact innocent text
_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*(.*?)\s*$")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


@lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """True for names that hold credentials: they never enter cache keys, traces or errors."""
    return bool(_SECRET_NAME.search(name))


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


# -- which key a call carries ---------------------------------------------------------

# The variables litellm reads a provider's key from, the one to name first. A provider
# listed with none needs no key; a provider not listed (bedrock, vertex_ai, azure: cloud
# credentials, profiles) is not checked before the run.
PROVIDER_KEYS: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "text-completion-openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "together_ai": ("TOGETHERAI_API_KEY", "TOGETHER_API_KEY", "TOGETHER_AI_API_KEY", "TOGETHER_AI_TOKEN"),
    "groq": ("GROQ_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "mistral": ("MISTRAL_API_KEY",),
    "cohere": ("COHERE_API_KEY", "CO_API_KEY"),
    "cohere_chat": ("COHERE_API_KEY", "CO_API_KEY"),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "fireworks_ai": (
        "FIREWORKS_API_KEY",
        "FIREWORKS_AI_API_KEY",
        "FIREWORKSAI_API_KEY",
        "FIREWORKS_AI_TOKEN",
    ),
    "openrouter": ("OPENROUTER_API_KEY", "OR_API_KEY"),
    "xai": ("XAI_API_KEY",),
    "perplexity": ("PERPLEXITYAI_API_KEY", "PERPLEXITY_API_KEY"),
    "deepinfra": ("DEEPINFRA_API_KEY",),
    "cerebras": ("CEREBRAS_API_KEY",),
    "sambanova": ("SAMBANOVA_API_KEY",),
    "huggingface": ("HF_TOKEN", "HUGGINGFACE_API_KEY"),
    "nvidia_nim": ("NVIDIA_NIM_API_KEY",),
    "sim": (),
    "ollama": (),
    "ollama_chat": (),
    "hosted_vllm": (),
    "lm_studio": (),
    "llamafile": (),
}
# The hosts of each provider's own endpoints: an api_base there is not a custom host.
PROVIDER_HOSTS: dict[str, frozenset[str]] = {
    "openai": frozenset({"api.openai.com"}),
    "text-completion-openai": frozenset({"api.openai.com"}),
    "anthropic": frozenset({"api.anthropic.com"}),
    "together_ai": frozenset({"api.together.xyz", "api.together.ai"}),
    "groq": frozenset({"api.groq.com"}),
    "gemini": frozenset({"generativelanguage.googleapis.com"}),
    "mistral": frozenset({"api.mistral.ai"}),
    "cohere": frozenset({"api.cohere.ai", "api.cohere.com"}),
    "cohere_chat": frozenset({"api.cohere.ai", "api.cohere.com"}),
    "deepseek": frozenset({"api.deepseek.com"}),
    "fireworks_ai": frozenset({"api.fireworks.ai"}),
    "openrouter": frozenset({"openrouter.ai"}),
    "xai": frozenset({"api.x.ai"}),
    "perplexity": frozenset({"api.perplexity.ai"}),
    "deepinfra": frozenset({"api.deepinfra.com"}),
    "cerebras": frozenset({"api.cerebras.ai"}),
    "sambanova": frozenset({"api.sambanova.ai"}),
    "huggingface": frozenset({"api-inference.huggingface.co", "router.huggingface.co"}),
    "nvidia_nim": frozenset({"integrate.api.nvidia.com"}),
}
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


def host_of(api_base: str) -> str:
    """The lower-case host name of a URL ("" when it has none)."""
    try:
        return (urlsplit(api_base if "//" in api_base else f"//{api_base}").hostname or "").lower()
    except ValueError:
        return ""


def is_loopback(api_base: str) -> bool:
    """An address on this machine (a local Ollama or vLLM server)."""
    host = host_of(api_base)
    return host in _LOOPBACK or host.startswith("127.") or host.endswith(".localhost")


def is_custom_host(provider: str, api_base: str | None) -> bool:
    """True when `api_base` is set and is not one of the provider's own endpoints."""
    return bool(api_base) and host_of(api_base) not in PROVIDER_HOSTS.get(provider, frozenset())


@dataclass(frozen=True)
class Credential:
    """The key one call carries, and where it comes from.

    `variable` names the environment variable it is read from (None for a literal in the
    file, or when no key is sent); `value` is None when no key is sent or the variable is
    unset; `inherited` is True for a provider's own variable (not named by the file).
    """

    variable: str | None
    value: str | None
    inherited: bool = False

    @property
    def missing(self) -> bool:
        """A key is needed from a variable and none of its variables is set."""
        return self.variable is not None and self.value is None


def credential(
    model: ModelSpec, api_base: str | None = None, environ: Mapping[str, str] | None = None
) -> Credential:
    """The key a call to `model` at `api_base` (resolved: the model's, else its provider block's) carries.

    The one policy for which key goes where. An `api_key` the file gives (a literal or
    `env("NAME")`) goes with the model wherever it points. Else a provider's key from the
    environment goes only to that provider's own endpoints: a custom `api_base` gets no key,
    so a shared .arch file cannot send your key to its own server (the transport sends a
    placeholder where its client insists on one).
    """
    from ..architecture import EnvVar

    environ = os.environ if environ is None else environ
    explicit = (model.params or {}).get("api_key")
    if isinstance(explicit, EnvVar):
        return Credential(explicit.env, environ.get(explicit.env, explicit.default) or None)
    if explicit is not None:
        return Credential(None, str(explicit))
    provider = model.provider
    if is_custom_host(provider, api_base):
        return Credential(None, None)
    names = PROVIDER_KEYS.get(provider, ())
    for name in names:
        if environ.get(name):
            return Credential(name, environ[name], inherited=True)
    return Credential(names[0], None, inherited=True) if names else Credential(None, None)


def credential_for(model: ModelSpec, api_base: str | None = None) -> str | None:
    """The key a call to `model` at `api_base` (None: the model's own) sends; None: no key of ours."""
    return credential(model, api_base if api_base is not None else api_base_of(model)).value


def api_base_of(model: ModelSpec, providers: Mapping[str, Any] | None = None) -> str | None:
    """The address a model's calls go to: its own `api_base`, else its provider block's (env() resolved)."""
    from ..architecture import EnvVar

    value = model.api_base
    if value is None and providers:
        block = providers.get(model.provider)
        value = getattr(block, "api_base", None)
    return value.resolve() if isinstance(value, EnvVar) else value


def models_of(arch: Architecture) -> list[ModelSpec]:
    """Every model an architecture may call: each layer's models, then their fallbacks, once each."""
    from ..architecture import ModelSpec

    declared: dict[str, ModelSpec] = {}
    for layer in arch.layers:
        for model in layer.models:
            declared.setdefault(model.id, model)
    found = {(m.name, m.id): m for layer in arch.layers for m in layer.models}
    for model in list(found.values()):
        for fallback in model.fallbacks:
            spec = declared.get(fallback) or ModelSpec(name=fallback, id=fallback)
            found.setdefault((spec.name, spec.id), spec)
    return list(found.values())


class MissingCredentials(Exception):
    """Keys the architecture needs are not set: raised before the first call.

    `missing` maps each variable to the models (`name = provider/model`) that need it.
    """

    def __init__(self, missing: Mapping[str, Iterable[str]]):
        self.missing = {variable: tuple(models) for variable, models in missing.items()}
        super().__init__(str(self))

    @property
    def variables(self) -> list[str]:
        return list(self.missing)

    def __str__(self) -> str:
        parts = [f"{variable} is not set ({_listed(models)})" for variable, models in self.missing.items()]
        them = "it" if len(parts) == 1 else "them"
        return f"{'; '.join(parts)}: export {them}, put {them} in .env, or run offline with --sim"


def _listed(models: tuple[str, ...], shown: int = 3) -> str:
    """`model a = x/y`, or the first few models and how many more: the message stays one line."""
    head = ", ".join(models[:shown])
    more = f" and {len(models) - shown} more" if len(models) > shown else ""
    return f"{'model' if len(models) == 1 else 'models'} {head}{more}"


def _describe(model: ModelSpec) -> str:
    return model.id if model.name == model.id else f"{model.name} = {model.id}"


def require_credentials(arch: Architecture, environ: Mapping[str, str] | None = None) -> None:
    """Raise MissingCredentials when a key some model of `arch` will send is not set (load .env first).

    sim/ models, keyless providers (ollama, hosted_vllm), models with a literal `api_key`
    and models on a custom `api_base` that names no key need none.
    """
    missing: dict[str, list[str]] = {}
    for model in models_of(arch):
        found = credential(model, api_base_of(model, arch.providers), environ)
        if found.missing:
            described = _describe(model)
            models = missing.setdefault(found.variable, [])
            if described not in models:
                models.append(described)
    if missing:
        raise MissingCredentials(missing)


def require_space_credentials(template: Template, environ: Mapping[str, str] | None = None) -> None:
    """MissingCredentials for a search before its first trial: keys of every model the space may use."""
    from ..architecture import Architecture, Layer

    models = template.space_models()
    if models:  # require_credentials adds their fallbacks
        require_credentials(
            Architecture(
                name="space", layers=[Layer(kind="generator", models=models)], providers=template.providers
            ),
            environ,
        )


def inherits_key_at_custom_host(model: ModelSpec, api_base: str | None) -> str | None:
    """The provider variable a model on a non-loopback custom host would have inherited, else None.

    Such a model now gets no key there: the file must name one (`api_key = env("...")`).
    """
    if api_base is None or "api_key" in (model.params or {}) or not is_custom_host(model.provider, api_base):
        return None
    if is_loopback(api_base):
        return None
    names = PROVIDER_KEYS.get(model.provider, ())
    return names[0] if names else None


# -- keeping secrets out of what we write ------------------------------------------------


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
        from ..architecture import EnvVar

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
            for name, value in _ENVIRON_BYTES.items():
                if len(value) >= _SHORTEST_SECRET and (_is_secret_bytes(name) or name in names):
                    found.add(os.fsdecode(value))
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


def redact(text: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """`text` with every credential (a secret variable's value or a key-shaped string) replaced."""
    return (REDACTOR if environ is None else Redactor(environ)).text(text)


def redact_data(value: Any) -> Any:
    """JSON-like data with every known secret replaced (see Redactor)."""
    return REDACTOR.data(value)
