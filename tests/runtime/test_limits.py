"""Rate and concurrency limits: bucket math on a fake clock, configuration precedence, caps at the server."""

from __future__ import annotations

import importlib.util

import anyio
import pytest

from archon_dsl.architecture import ModelSpec
from archon_dsl.components.base import CallSpec
from archon_dsl.diagnostics import ArchonError
from archon_dsl.loader import load_text
from archon_dsl.runtime.limits import BURST_SECONDS, Limit, Limits, TokenBucket
from archon_dsl.runtime.provider import Provider
from tests.support.openai_server import OpenAIServer, Reply

BACKENDS = ["asyncio"] + (["trio"] if importlib.util.find_spec("trio") else [])


@pytest.fixture(params=BACKENDS)
def anyio_backend(request):
    return request.param


class FakeClock:
    """A clock that only moves when something sleeps on it."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


# -- the bucket ---------------------------------------------------------------------------


def test_bucket_allows_a_burst_then_the_rate():
    clock = FakeClock()
    bucket = TokenBucket(60, clock)  # one a second, a burst of BURST_SECONDS
    burst = int(BURST_SECONDS)
    assert [bucket.reserve(1) for _ in range(burst)] == [0.0] * burst
    assert [bucket.reserve(1) for _ in range(3)] == [1.0, 2.0, 3.0]  # booked in order, no polling


def test_bucket_refills_with_time_but_never_beyond_its_capacity():
    clock = FakeClock()
    bucket = TokenBucket(120, clock)  # two a second
    for _ in range(int(2 * BURST_SECONDS)):
        bucket.reserve(1)
    clock.now += 1.5
    assert bucket.reserve(3) == 0.0 and bucket.reserve(1) == pytest.approx(0.5)
    clock.now += 3600
    bucket._refill()
    assert bucket.level == bucket.capacity


def test_a_request_larger_than_the_bucket_waits_for_a_full_one_and_leaves_a_debt():
    clock = FakeClock()
    bucket = TokenBucket(6000, clock)  # 100 tokens a second, capacity 100 * BURST_SECONDS
    capacity = bucket.capacity
    assert bucket.reserve(capacity * 3) == 0.0  # a full bucket: it goes, and owes 2 buckets
    assert bucket.reserve(1) == pytest.approx((2 * capacity + 1) / 100)


def test_give_back_returns_booked_tokens():
    clock = FakeClock()
    bucket = TokenBucket(60, clock)
    for _ in range(int(BURST_SECONDS)):
        bucket.reserve(1)
    assert bucket.reserve(1) == 1.0
    bucket.give_back(1)
    assert bucket.reserve(1) == 1.0


# -- slots ----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_rpm_spaces_calls_on_a_fake_clock():
    clock = FakeClock()
    limits = Limits(providers={"openai": Limit(rpm=60)}, clock=clock, sleep=clock.sleep)
    for _ in range(int(BURST_SECONDS) + 3):
        async with limits.slot("openai/m"):
            pass
    assert clock.sleeps == [1.0, 1.0, 1.0]  # the burst is free, then one a second


@pytest.mark.anyio
async def test_tpm_charges_the_estimate_and_corrects_it():
    clock = FakeClock()
    limits = Limits(models={"openai/m": Limit(tpm=600)}, clock=clock, sleep=clock.sleep)  # 10 tokens a second
    capacity = 10 * BURST_SECONDS
    async with limits.slot("openai/m", est_tokens=int(capacity)) as slot:
        slot.report(int(capacity) + 50)  # it used 50 more than estimated
    async with limits.slot("openai/m", est_tokens=10):
        pass
    assert clock.sleeps == [pytest.approx(6.0)]  # 50 owed + 10 wanted, at 10 a second


@pytest.mark.anyio
async def test_model_and_provider_limits_both_apply():
    clock = FakeClock()
    limits = Limits(providers={"openai": Limit(rpm=600)}, clock=clock, sleep=clock.sleep)
    slow = ModelSpec(name="slow", id="openai/slow", rpm=60)
    for _ in range(int(BURST_SECONDS) + 1):
        async with limits.slot(slow):
            pass
    assert clock.sleeps == [1.0]  # the model's own rpm is the tighter one


@pytest.mark.anyio
async def test_defer_holds_back_the_provider_only():
    clock = FakeClock()
    limits = Limits(clock=clock, sleep=clock.sleep)
    limits.defer("openai/m", 5)
    async with limits.slot("anthropic/c"):
        pass
    assert clock.sleeps == []
    async with limits.slot("openai/other"):
        pass
    assert clock.sleeps == [5]
    async with limits.slot("openai/other"):
        pass
    assert clock.sleeps == [5]


@pytest.mark.anyio
async def test_concurrency_caps_calls_in_flight():
    limits = Limits(concurrency=5, providers={"openai": Limit(concurrency=2)})
    in_flight = {"openai": 0, "other": 0}
    peak = {"openai": 0, "all": 0}

    async def call(model: str) -> None:
        provider = model.split("/")[0] if model.startswith("openai") else "other"
        async with limits.slot(model):
            in_flight[provider] += 1
            peak["openai"] = max(peak["openai"], in_flight["openai"])
            peak["all"] = max(peak["all"], sum(in_flight.values()))
            await anyio.sleep(0.01)
            in_flight[provider] -= 1

    async with anyio.create_task_group() as group:
        for _ in range(8):
            group.start_soon(call, "openai/m")
            group.start_soon(call, "groq/x")
    assert peak == {"openai": 2, "all": 5}


@pytest.mark.anyio
async def test_a_cancelled_wait_releases_what_it_held():
    clock = FakeClock()
    limits = Limits(providers={"openai": Limit(rpm=60, concurrency=1)}, clock=clock)  # real sleeps
    for _ in range(int(BURST_SECONDS)):
        async with limits.slot("openai/m"):
            pass
    with anyio.move_on_after(0.05):
        async with limits.slot("openai/m"):  # must wait 1 s for the rate: cancelled first
            pytest.fail("the slot should still be waiting")
    gate = limits._gates[("openai/m",)]
    assert gate.requests[0].level == pytest.approx(0.0)  # the booking was given back
    with anyio.fail_after(1):
        await gate.semaphores[0].acquire()  # and the concurrency slot is free


def test_no_limit_means_a_shared_no_op_slot():
    limits = Limits()
    assert limits.slot("openai/a") is limits.slot(ModelSpec(name="b", id="anthropic/b"))
    assert limits.slot(ModelSpec(name="c", id="openai/c", rpm=10)) is not limits.slot("openai/a")


# -- configuration ----------------------------------------------------------------------------


def test_environment_limits(tmp_path):
    limits = Limits.configure(
        environ={
            "ARCHON_RPM_OPENAI": "500",
            "ARCHON_TPM_TOGETHER_AI": "1e5",
            "ARCHON_CONCURRENCY_OPENAI": "8",
            "ARCHON_CONCURRENCY": "32",
            "PATH": "/bin",
        },
        config=False,
    )
    assert limits.concurrency == 32
    assert limits.limit_for("openai/gpt-4o")[0] == Limit(rpm=500, concurrency=8)
    assert limits.limit_for("together_ai/meta-llama/x")[0] == Limit(tpm=100000)


def test_precedence_env_then_file_then_architecture_then_model(tmp_path, monkeypatch):
    (tmp_path / "archon.toml").write_text(
        "[limits]\nconcurrency = 16\n"
        "[limits.providers.openai]\nrpm = 200\ntpm = 9000\n"
        '[limits.models."openai/m"]\nconcurrency = 3\nrpm = 50\n'
    )
    (tmp_path / ".archon").mkdir()
    (tmp_path / ".archon" / "limits.toml").write_text("[providers.openai]\ntpm = 8000\n")
    monkeypatch.chdir(tmp_path)
    arch = load_text('provider "openai" { rpm = 100 }\nlayer generator { model = "openai/m" }').instantiate()
    limits = Limits.configure(
        arch,
        environ={"ARCHON_RPM_OPENAI": "500", "ARCHON_CONCURRENCY_OPENAI": "4", "ARCHON_CONCURRENCY": "64"},
    )
    provider_limit, model_limit = limits.limit_for(ModelSpec(name="m", id="openai/m", rpm=10))
    assert limits.concurrency == 16  # the file's over the environment's
    assert provider_limit == Limit(
        rpm=100, tpm=8000, concurrency=4
    )  # arch rpm, limits.toml tpm, env concurrency
    assert model_limit == Limit(rpm=10, concurrency=3)  # the model's rpm over the file's
    assert Limits.configure(arch, environ={}, concurrency=7).concurrency == 7


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"ARCHON_RPM_OPENAI": "lots"}, "ARCHON_RPM_OPENAI = 'lots' is not a number"),
        ({"ARCHON_CONCURRENCY_OPENAI": "2.5"}, "must be a whole number"),
        ({"ARCHON_TPM_OPENAI": "-1"}, "must be a positive number"),
    ],
)
def test_bad_environment_values_are_clear_errors(environ, message):
    with pytest.raises(ArchonError) as raised:
        Limits.configure(environ=environ, config=False)
    assert message in str(raised.value) and raised.value.diagnostics[0].code == "E030"


@pytest.mark.parametrize(
    "text, message",
    [
        ("[limits\n", "is not valid TOML"),
        ("[limits]\nspeed = 3\n", "unknown key 'limits.speed'"),
        ("[limits.providers.openai]\nrpn = 3\n", "unknown limit 'rpn' in limits.providers.openai"),
        ("[limits.providers]\nopenai = 3\n", "'limits.providers.openai' in"),
    ],
)
def test_bad_config_files_are_clear_errors(tmp_path, text, message):
    path = tmp_path / "archon.toml"
    path.write_text(text)
    with pytest.raises(ArchonError) as raised:
        Limits.configure(environ={}, config=path)
    assert message in str(raised.value) and raised.value.diagnostics[0].path == str(path)


def test_describe_lists_the_effective_limits():
    limits = Limits(concurrency=4, providers={"openai": Limit(rpm=5)}, models={"openai/m": Limit(tpm=7)})
    assert limits.describe() == {
        "concurrency": 4,
        "providers": {"openai": {"rpm": 5}},
        "models": {"openai/m": {"tpm": 7}},
    }


# -- at the server ------------------------------------------------------------------------------


def test_the_concurrency_cap_is_observed_at_the_server():
    with OpenAIServer() as server:
        server.set("*", Reply.slow(0.05, "done"))
        provider = Provider(limits=Limits(providers={"openai": Limit(concurrency=3)}), env_file=None)
        spec = CallSpec(
            ModelSpec(name="m", id="openai/m", api_base=server.base_url), ({"role": "user", "content": "hi"},)
        )

        async def many():
            async with anyio.create_task_group() as group:
                for _ in range(12):
                    group.start_soon(provider.complete, spec)

        anyio.run(many)
        assert server.total_hits == 12 and 1 <= server.max_in_flight <= 3
