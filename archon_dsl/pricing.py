"""Prices and context windows from litellm's model table, read as JSON without importing litellm."""

from __future__ import annotations

import gzip
import json
import marshal
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

# The table litellm ships and reads itself when LITELLM_LOCAL_MODEL_COST_MAP is set.
TABLE_FILE = "model_prices_and_context_window_backup.json"
# litellm's list of providers and their endpoints: it names providers that price no model.
PROVIDERS_FILE = "provider_endpoints_support_backup.json"
# Providers litellm routes to that neither file may list, and ours: `sim` (the offline
# simulator) and `openai` (any OpenAI-compatible server, given an api_base).
EXTRA_PROVIDERS = frozenset(
    {
        "sim",
        "openai",
        "openai_like",
        "custom_openai",
        "hosted_vllm",
        "vllm",
        "ollama",
        "ollama_chat",
        "huggingface",
        "lm_studio",
        "llamafile",
        "litellm_proxy",
        "oobabooga",
        "xinference",
        "triton",
    }
)
PER_MILLION = 1_000_000
# The same tables, trimmed to the fields read here, as shipped with archon-dsl: a core install
# (no litellm, `pip install archon-dsl`) checks model ids and prices plans with them.
# Refresh with `python -m archon_dsl.pricing` in an environment that has litellm.
SNAPSHOT = Path(__file__).parent / "data" / "litellm_tables.json.gz"


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What the table says of one model: dollars per token and token limits (None: not listed)."""

    key: str  # the table key that matched, or the model id for overrides and `sim`
    provider: str
    input_cost_per_token: float | None
    output_cost_per_token: float | None
    max_input_tokens: int | None = None
    max_output_tokens: int | None = None
    supports_response_schema: bool = False

    @property
    def priced(self) -> bool:
        return self.input_cost_per_token is not None and self.output_cost_per_token is not None

    def cost(self, input_tokens: float, output_tokens: float) -> float | None:
        """Dollars for a call of this size, or None when either price is unknown."""
        per_input, per_output = self.input_cost_per_token, self.output_cost_per_token
        if per_input is None or per_output is None:
            return None
        return input_tokens * per_input + output_tokens * per_output


def litellm_dir() -> Path | None:
    """litellm's package directory, found without running its __init__ (which takes seconds)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("litellm")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _read_json(name: str) -> Any:
    directory = litellm_dir()
    if directory is None:
        return None
    try:
        return json.loads((directory / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


# The fields read here: keeping only these makes the cached table a tenth of the JSON.
_FIELDS = (
    "litellm_provider",
    "input_cost_per_token",
    "output_cost_per_token",
    "max_input_tokens",
    "max_output_tokens",
    "supports_response_schema",
)


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "archon-dsl"


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, dict[str, Any]], frozenset[str], dict[str, str]]:
    """The model table (only the fields used) and the provider names, cached per litellm release.

    Parsing litellm's 3 MB JSON costs more than the rest of `archonc validate`; the
    compact form is kept in ~/.cache/archon-dsl, keyed by the file's size and mtime.
    """
    directory = litellm_dir()
    if directory is None:
        entries, providers = _snapshot_tables()
        return entries, providers, {key.lower(): key for key in reversed(list(entries))}
    source = directory / TABLE_FILE
    try:
        stat = source.stat() if source else None
    except OSError:
        stat = None
    cached = _cache_dir() / f"litellm-table-v2-{stat.st_size}-{stat.st_mtime_ns}.marshal" if stat else None
    if cached is not None:
        try:
            entries, providers, lower = marshal.loads(cached.read_bytes())
            return entries, frozenset(providers), lower
        except (OSError, ValueError, EOFError, TypeError):
            pass
    entries, providers = _build_tables()
    lower = {}
    for key in entries:
        lower.setdefault(key.lower(), key)
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.tmp")
            partial.write_bytes(marshal.dumps((entries, sorted(providers), lower)))
            os.replace(partial, cached)
            for stale in cached.parent.glob("litellm-table-*.marshal"):
                if stale != cached:
                    stale.unlink(missing_ok=True)  # another litellm release's table
        except OSError:
            pass  # a read-only home: parse the JSON each time
    return entries, providers, lower


def _build_tables() -> tuple[dict[str, dict[str, Any]], frozenset[str]]:
    data = _read_json(TABLE_FILE)
    entries: dict[str, dict[str, Any]] = {}
    if isinstance(data, dict):
        for key, entry in data.items():
            if isinstance(entry, dict) and key != "sample_spec":
                entries[key] = {f: entry[f] for f in _FIELDS if f in entry}
    names = set(EXTRA_PROVIDERS)
    for entry in entries.values():
        provider = entry.get("litellm_provider")
        if isinstance(provider, str) and provider and " " not in provider:
            names.add(provider)
    providers = _read_json(PROVIDERS_FILE)
    if isinstance(providers, dict) and isinstance(providers.get("providers"), dict):
        names.update(name for name in providers["providers"] if "/" not in name)
    return entries, frozenset(names)


def _snapshot_tables() -> tuple[dict[str, dict[str, Any]], frozenset[str]]:
    """The tables shipped in the package (for installs without litellm); empty if the file is gone."""
    try:
        data = json.loads(gzip.decompress(SNAPSHOT.read_bytes()))
        return data["models"], frozenset(data["providers"]) | EXTRA_PROVIDERS
    except (OSError, ValueError, KeyError, TypeError):
        return {}, EXTRA_PROVIDERS


def write_snapshot(path: Path = SNAPSHOT) -> Path:
    """Write the installed litellm's tables, trimmed, as the package's snapshot (deterministic bytes)."""
    if litellm_dir() is None:
        raise SystemExit("litellm is not installed: its tables are what the snapshot copies")
    entries, providers = _build_tables()
    # Models stay in litellm's order: a case-insensitive lookup takes the first match.
    text = json.dumps({"models": entries, "providers": sorted(providers)}, separators=(",", ":"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.encode("utf-8"), mtime=0))
    return path


def table() -> dict[str, dict[str, Any]]:
    """litellm's model table (empty if litellm or its file is missing), with the fields used here."""
    return _tables()[0]


def _lower_index() -> dict[str, str]:
    """Table keys by their lower-case form, for case-insensitive lookups."""
    return _tables()[2]


def provider_names() -> frozenset[str]:
    """Every provider name a model id may start with."""
    return _tables()[1]


def known_provider(name: str) -> bool:
    """True if litellm routes `name/...` model ids somewhere (or `name` is `sim` or `openai`)."""
    return name in provider_names()


def _provider_matches(entry_provider: str, provider: str) -> bool:
    """Whether a table entry's provider is `provider` or one of its variants.

    The table splits some providers: vertex_ai-language-models, bedrock_converse,
    cohere_chat, text-completion-openai.
    """
    return (
        entry_provider == provider
        or entry_provider.startswith((provider + "-", provider + "_"))
        or entry_provider.endswith("-" + provider)
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _info(key: str, entry: dict[str, Any]) -> ModelInfo:
    return ModelInfo(
        key=key,
        provider=str(entry.get("litellm_provider") or ""),
        input_cost_per_token=_number(entry.get("input_cost_per_token")),
        output_cost_per_token=_number(entry.get("output_cost_per_token")),
        max_input_tokens=_int(entry.get("max_input_tokens")),
        max_output_tokens=_int(entry.get("max_output_tokens")),
        supports_response_schema=bool(entry.get("supports_response_schema")),
    )


@lru_cache(maxsize=4096)
def model_info(model_id: str) -> ModelInfo | None:
    """The table's entry for a litellm model id, or None if it lists no such model.

    Tried in order: the full id ("together_ai/meta-llama/..."), the id without its
    provider prefix where the entry's provider matches ("openai/gpt-4o" -> "gpt-4o"),
    then both again ignoring case. `sim/...` models have simulated prices by the skill their
    name suggests (see sim_prices).
    """
    provider, _, rest = model_id.partition("/")
    if not rest:
        provider, rest = "", model_id
    if provider == "sim":
        cost_in, cost_out = sim_prices(model_id)
        return ModelInfo(
            key=model_id,
            provider="sim",
            input_cost_per_token=cost_in / PER_MILLION,
            output_cost_per_token=cost_out / PER_MILLION,
        )
    entries = table()
    lower = _lower_index()
    for candidate in (model_id, lower.get(model_id.lower())):
        if candidate and candidate in entries:
            return _info(candidate, entries[candidate])
    if provider:
        for candidate in (rest, lower.get(rest.lower()), f"{provider}/{rest}"):
            entry = entries.get(candidate) if candidate else None
            if candidate and entry and _provider_matches(str(entry.get("litellm_provider") or ""), provider):
                return _info(candidate, entry)
    return None


def sim_prices(model_id: str, params=None) -> tuple[float, float]:
    """A simulated model's default dollars per million input and output tokens, by its skill
    (its `skill` option, else the skill its name suggests): stronger models cost more."""
    from .runtime.sim.skills import default_prices, skill_of

    return default_prices(skill_of(model_id, params))


def spec_info(model) -> ModelInfo | None:
    """A ModelSpec's prices and window: its own `cost_in`/`cost_out` ($ per 1M tokens) and
    `context_window` override the table; None if neither gives a price or a window.
    A `sim/` model without declared prices has simulated ones (sim_prices)."""
    cost_in, cost_out = model.cost_in, model.cost_out
    if model.provider == "sim" and (cost_in is None or cost_out is None) and "skill" in model.params:
        default_in, default_out = sim_prices(model.id, model.params)
        cost_in = default_in if cost_in is None else cost_in
        cost_out = default_out if cost_out is None else cost_out
    return _spec_info(model.id, cost_in, cost_out, model.context_window)


@lru_cache(maxsize=4096)
def _spec_info(
    model_id: str, cost_in: float | None, cost_out: float | None, window: int | None
) -> ModelInfo | None:
    base = model_info(model_id)
    if cost_in is None and cost_out is None and window is None:
        return base
    provider = model_id.partition("/")[0] if "/" in model_id else ""
    return ModelInfo(
        key=base.key if base else model_id,
        provider=base.provider if base else provider,
        input_cost_per_token=cost_in / PER_MILLION
        if cost_in is not None
        else (base.input_cost_per_token if base else None),
        output_cost_per_token=cost_out / PER_MILLION
        if cost_out is not None
        else (base.output_cost_per_token if base else None),
        max_input_tokens=window if window is not None else (base.max_input_tokens if base else None),
        max_output_tokens=base.max_output_tokens if base else None,
        supports_response_schema=base.supports_response_schema if base else False,
    )


if __name__ == "__main__":
    print(f"wrote {write_snapshot()}")
