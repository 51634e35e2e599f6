"""Provider.complete through both real transports (the openai SDK and litellm), against the loopback OpenAI-compatible server."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from archon_dsl.architecture import Defaults, EnvVar, ModelSpec, ProviderLimits
from archon_dsl.components.base import CallSpec
from archon_dsl.runtime import provider as provider_module
from archon_dsl.runtime.cache import Cache
from archon_dsl.runtime.provider import CallResult, Provider
from tests.support.openai_server import OpenAIServer, Reply

SECRET = "sk-test-0123456789abcdefSECRET"
ASK = ({"role": "user", "content": "What is 2 + 2?"},)


TRANSPORT = "openai"  # set per test by the `transport` fixture: every test runs on both


@pytest.fixture(autouse=True, params=["openai", "litellm"])
def transport(request, server, monkeypatch):
    server.reset()
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    for name in ("OPENAI_BASE_URL", "OPENAI_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setitem(globals(), "TRANSPORT", request.param)
    return request.param


class Sleeps:
    """A stand-in for anyio.sleep that records each wait and returns at once."""

    def __init__(self):
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def model(server: OpenAIServer, name: str = "m", **options) -> ModelSpec:
    options.setdefault("transport", TRANSPORT)
    return ModelSpec(name=name, id=f"openai/{name}", api_base=server.base_url, **options)


def complete(provider: Provider, spec: CallSpec, **options) -> CallResult:
    return anyio.run(lambda: provider.complete(spec, **options))


def make(**options) -> Provider:
    options.setdefault("env_file", None)
    options.setdefault("backoff_base", 0.001)
    return Provider(**options)


def test_success_returns_text_usage_and_the_model(server):
    server.set("m", Reply.ok("four"))
    result = complete(make(), CallSpec(model(server), ASK))
    assert (result.text, result.model, result.error, result.cached, result.attempts) == (
        "four",
        "openai/m",
        None,
        False,
        1,
    )
    assert result.input_tokens > 0 and result.output_tokens == 1
    assert result.cost_usd is None  # openai/m is in no price table: unknown, never 0
    assert server.hits["m"] == 1


def test_sampling_options_resolve_call_then_model_then_defaults(server):
    defaults = Defaults(temperature=0.2, max_tokens=77)
    complete(make(), CallSpec(model(server, "a"), ASK), defaults=defaults)
    complete(make(), CallSpec(model(server, "b", temperature=0.5), ASK), defaults=defaults)
    complete(
        make(),
        CallSpec(model(server, "c", temperature=0.5), ASK, temperature=0.9, max_tokens=5),
        defaults=defaults,
    )
    bodies = {r.model: r.body for r in server.requests}
    assert (bodies["a"]["temperature"], bodies["a"]["max_tokens"]) == (0.2, 77)
    assert (bodies["b"]["temperature"], bodies["b"]["max_tokens"]) == (0.5, 77)
    assert (bodies["c"]["temperature"], bodies["c"]["max_tokens"]) == (0.9, 5)


def test_model_params_pass_through_and_env_api_base_resolves(server, monkeypatch):
    monkeypatch.setenv("LOOPBACK_BASE", server.base_url)
    spec = ModelSpec(
        name="p",
        id="openai/p",
        api_base=EnvVar(env="LOOPBACK_BASE"),
        transport=TRANSPORT,
        params={"top_p": 0.25, "seed": 7, "repetition_penalty": 1.1},
    )
    result = complete(make(), CallSpec(spec, ASK))
    assert result.error is None
    body = server.requests[-1].body
    assert (body["top_p"], body["seed"], body["repetition_penalty"]) == (0.25, 7, 1.1)


def test_provider_block_supplies_api_base_and_timeout(server):
    provider = make(providers={"openai": ProviderLimits(api_base=server.base_url, timeout=0.3)}, retries=0)
    server.set("m", Reply.hanging())
    result = complete(provider, CallSpec(ModelSpec(name="m", id="openai/m", transport=TRANSPORT), ASK))
    assert "Timeout" in result.error and server.hits["m"] == 1


def test_a_key_the_file_names_is_sent_but_never_returned(server, monkeypatch):
    monkeypatch.setenv("LLM_PASS", SECRET)
    server.set(
        "m", Reply(status=401, body='{"error": {"message": "Incorrect API key provided: ' + SECRET + '"}}')
    )
    result = complete(make(), CallSpec(model(server, params={"api_key": EnvVar(env="LLM_PASS")}), ASK))
    assert server.requests[-1].headers["authorization"] == f"Bearer {SECRET}"
    assert "api_key" not in server.requests[-1].body
    assert result.error and SECRET not in result.error and "AuthenticationError" in result.error


def test_an_inherited_key_never_goes_to_a_custom_api_base(server, monkeypatch):
    monkeypatch.setenv("TOGETHERAI_API_KEY", SECRET + "-together")
    together = ModelSpec(name="t", id="together_ai/t", api_base=server.base_url, transport=TRANSPORT)
    for spec in (model(server), together):
        assert complete(make(), CallSpec(spec, ASK)).error is None
    for request in server.requests:
        assert SECRET not in request.headers.get("authorization", "")
    # A provider block's api_base is just as custom.
    provider = make(providers={"openai": ProviderLimits(api_base=server.base_url)})
    assert (
        complete(provider, CallSpec(ModelSpec(name="m", id="openai/m", transport=TRANSPORT), ASK)).error
        is None
    )
    assert SECRET not in server.requests[-1].headers.get("authorization", "")


def test_the_providers_own_endpoint_gets_its_key(server, monkeypatch):
    # OPENAI_BASE_URL is the user's own environment: it moves openai's own endpoint (here, to the loopback).
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    result = complete(make(), CallSpec(ModelSpec(name="m", id="openai/m", transport=TRANSPORT), ASK))
    assert result.error is None and server.requests[-1].headers["authorization"] == f"Bearer {SECRET}"


def test_retry_after_in_seconds_is_honoured(server):
    server.script("m", [Reply.rate_limited(retry_after=0.25), Reply.ok("after the wait")])
    sleeps = Sleeps()
    result = complete(make(sleep=sleeps), CallSpec(model(server), ASK))
    assert (result.text, result.attempts, server.hits["m"]) == ("after the wait", 2, 2)
    assert sleeps.waits == [0.25] and result.retry_after_waits == 0.25


def test_retry_after_as_an_http_date_is_honoured(server):
    server.script("m", [Reply.rate_limited_until(3), Reply.ok("later")])
    sleeps = Sleeps()
    result = complete(make(sleep=sleeps), CallSpec(model(server), ASK))
    assert result.text == "later"
    # An HTTP date has whole seconds: the wait is about 3 s, give or take the rounding.
    assert len(sleeps.waits) == 1 and 1.0 <= sleeps.waits[0] <= 4.0


def test_a_retry_after_beyond_the_maximum_gives_up(server):
    server.set("m", Reply.rate_limited(retry_after=600))
    sleeps = Sleeps()
    result = complete(make(sleep=sleeps, max_retry_after=60), CallSpec(model(server), ASK))
    assert "retry after 600s" in result.error and sleeps.waits == [] and server.hits["m"] == 1


def test_a_real_retry_after_wait_happens(server):
    server.script("m", [Reply.rate_limited(retry_after=0.2), Reply.ok("ok")])

    async def timed():
        begin = anyio.current_time()
        result = await make().complete(CallSpec(model(server), ASK))
        return result, anyio.current_time() - begin

    result, took = anyio.run(timed)
    assert result.text == "ok" and took >= 0.2  # a lower bound only: never a tight wall-clock check


def test_server_errors_are_retried_with_jittered_backoff(server):
    server.script("m", [Reply.error(500), Reply.error(503), Reply.ok("third time")])
    sleeps = Sleeps()
    result = complete(make(sleep=sleeps, backoff_base=0.5, backoff_max=30), CallSpec(model(server), ASK))
    assert (result.text, result.attempts, server.hits["m"]) == ("third time", 3, 3)
    # Full jitter: attempt k waits a uniform share of base * 2**k.
    assert len(sleeps.waits) == 2 and 0 <= sleeps.waits[0] <= 0.5 and 0 <= sleeps.waits[1] <= 1.0
    assert result.retry_after_waits == 0


def test_backoff_is_capped(server):
    server.set("m", Reply.error(500))
    sleeps = Sleeps()
    result = complete(
        make(sleep=sleeps, retries=6, backoff_base=1, backoff_max=2, jitter=lambda: 1.0),
        CallSpec(model(server), ASK),
    )
    assert sleeps.waits == [1, 2, 2, 2, 2, 2] and result.attempts == 7 and "500" in result.error


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(server, status):
    server.set("m", Reply.error(status))
    result = complete(make(), CallSpec(model(server), ASK))
    assert result.attempts == 1 and server.hits["m"] == 1
    assert result.error.startswith("openai/m: ") and result.text is None


def test_retries_come_from_the_architecture_defaults(server):
    server.set("m", Reply.error(500))
    result = complete(make(retries=5), CallSpec(model(server), ASK), defaults=Defaults(retries=1))
    assert result.attempts == 2 and server.hits["m"] == 2


def test_a_hanging_server_times_out_and_is_retried(server):
    server.set("m", Reply.hanging())
    result = complete(make(timeout=0.2, retries=1), CallSpec(model(server), ASK))
    assert "Timeout" in result.error and result.attempts == 2 and server.hits["m"] == 2


def test_a_slow_reply_within_the_timeout_succeeds(server):
    server.set("m", Reply.slow(0.2, "slow but sure"))
    result = complete(make(timeout=5), CallSpec(model(server), ASK))
    assert result.text == "slow but sure" and result.latency_s >= 0.2 and result.attempts == 1


def test_a_malformed_response_is_an_error_not_a_crash(server):
    server.set("m", Reply.malformed())
    result = complete(make(retries=1), CallSpec(model(server), ASK))
    assert result.text is None and result.error and result.attempts == 2


def test_a_connection_refused_is_retried_then_reported():
    spec = ModelSpec(name="gone", id="openai/gone", api_base="http://127.0.0.1:9/v1")
    sleeps = Sleeps()
    result = complete(make(retries=2, sleep=sleeps), CallSpec(spec, ASK))
    assert result.attempts == 3 and len(sleeps.waits) == 2 and result.error


def test_the_fallback_answers_when_the_primary_fails(server):
    server.set("primary", Reply.error(500))
    server.set("backup", Reply.ok("from the backup"))
    backup = model(server, "backup")
    primary = model(server, "primary", fallbacks=("openai/backup",))
    result = complete(make(retries=1, models=[backup]), CallSpec(primary, ASK))
    assert (result.text, result.model, result.error) == ("from the backup", "openai/backup", None)
    assert result.attempts == 3 and (server.hits["primary"], server.hits["backup"]) == (2, 1)


def test_every_failure_is_reported_when_the_fallbacks_fail_too(server):
    server.set("primary", Reply.error(500))
    server.set("backup", Reply.error(404))
    primary = model(server, "primary", fallbacks=("openai/backup",))
    result = complete(make(retries=0, models=[model(server, "backup")]), CallSpec(primary, ASK))
    assert result.error.startswith("openai/primary: ") and "fallback openai/backup: " in result.error
    assert result.model == "openai/primary"


def test_cost_comes_from_the_price_table_for_a_priced_model(server):
    server.set("gpt-4o", Reply.ok("one two three"))
    result = complete(make(), CallSpec(model(server, "gpt-4o"), ASK))
    from archon_dsl.pricing import model_info

    expected = model_info("openai/gpt-4o").cost(result.input_tokens, result.output_tokens)
    assert result.cost_usd == pytest.approx(expected)


def test_the_models_own_prices_win(server):
    server.set("m", Reply.ok("one two three"))
    result = complete(make(), CallSpec(model(server, cost_in=1.0, cost_out=2.0), ASK))
    assert result.cost_usd == pytest.approx((result.input_tokens * 1.0 + 3 * 2.0) / 1e6)


def test_a_cache_hit_costs_nothing_and_makes_no_call(server, tmp_path):
    server.set("gpt-4o", Reply.ok("cached answer"))
    provider = make(cache=Cache(tmp_path / "cache.sqlite"))
    spec = CallSpec(model(server, "gpt-4o"), ASK)
    first, second = complete(provider, spec), complete(provider, spec)
    assert first.cost_usd > 0 and not first.cached
    assert (second.text, second.cached, second.cost_usd, second.attempts) == ("cached answer", True, 0.0, 0)
    assert server.hits["gpt-4o"] == 1
    refreshed = complete(provider, spec, refresh=True)
    assert not refreshed.cached and server.hits["gpt-4o"] == 2


def test_samples_and_failures_are_cached_apart(server, tmp_path):
    provider = make(cache=Cache(tmp_path / "cache.sqlite"), retries=0)
    server.script("m", [Reply.error(500)])
    failed = complete(provider, CallSpec(model(server), ASK))
    assert (
        failed.error and complete(provider, CallSpec(model(server), ASK)).error is None
    )  # failures are not cached
    complete(provider, CallSpec(model(server), ASK, sample=1))
    complete(provider, CallSpec(model(server), ASK, sample=1))
    assert server.hits["m"] == 3  # the failure, sample 0, sample 1


def test_no_api_key_reaches_the_cache_file(server, tmp_path):
    server.set("m", Reply.echo())
    cache = Cache(tmp_path / "cache.sqlite")
    secret_param = model(server, params={"api_key": SECRET})
    for spec, question in ((model(server), "What is 2 + 2?"), (secret_param, "And 3 + 3?")):
        assert (
            complete(make(cache=cache), CallSpec(spec, ({"role": "user", "content": question},))).error
            is None
        )
    cache.close()
    assert server.requests[-1].headers["authorization"] == f"Bearer {SECRET}"
    for path in tmp_path.iterdir():
        assert SECRET.encode() not in Path(path).read_bytes()


def test_litellm_gets_no_retries_and_no_metadata(server, monkeypatch, transport):
    if transport != "litellm":
        pytest.skip("what litellm.acompletion receives")
    seen = []
    litellm = provider_module.litellm_module()
    real = litellm.acompletion

    async def spy(**kwargs):
        seen.append(kwargs)
        return await real(**kwargs)

    monkeypatch.setattr(litellm, "acompletion", spy)
    metadata = {"archon": {"sample": 3}}
    complete(make(), CallSpec(model(server), ASK), metadata=metadata)
    assert (seen[0]["max_retries"], seen[0]["num_retries"]) == (0, 0)
    assert "metadata" not in seen[0]  # litellm's handling of it costs CPU on every call


SCHEMA = {"type": "json_schema", "json_schema": {"name": "verdict", "schema": {"type": "object"}}}


def test_response_format_only_for_models_that_take_it(server):
    complete(make(), CallSpec(model(server, "gpt-4o"), ASK, response_format=SCHEMA))
    complete(make(), CallSpec(model(server, "my-local-model"), ASK, response_format=SCHEMA))
    bodies = {r.model: r.body for r in server.requests}
    assert bodies["gpt-4o"]["response_format"] == SCHEMA
    assert "response_format" not in bodies["my-local-model"]


def test_cancellation_propagates(server):
    server.set("m", Reply.hanging())
    outcome = []

    async def cancelled():
        with anyio.move_on_after(0.2) as scope:
            outcome.append(await make(timeout=30).complete(CallSpec(model(server), ASK)))
        return scope.cancelled_caught

    assert anyio.run(cancelled) is True and outcome == []


def test_for_architecture_takes_its_providers_limits_and_models(server):
    from archon_dsl.loader import load_text

    arch = load_text(f"""
model b = "openai/b" {{ api_base = "{server.base_url}" }}
model a = "openai/a" {{ fallbacks = [b] }}
provider "openai" {{ api_base = "{server.base_url}"; concurrency = 2 }}
layer generator {{ models = [a, b] }}
""").instantiate()
    provider = Provider.for_architecture(arch, env_file=None, retries=0)
    assert provider.limits.limit_for("openai/a")[0].concurrency == 2
    server.set("a", Reply.error(500))
    server.set("b", Reply.ok("b answers"))
    result = complete(provider, CallSpec(arch.layers[0].models[0], ASK))
    assert (result.text, result.model) == ("b answers", "openai/b")
