"""The simulator: what it answers, and that it is a provider of its own (no litellm, prices, simulated latency)."""

import asyncio
import subprocess
import sys

import anyio
import pytest

from archon_dsl.architecture import Architecture, Layer, ModelSpec
from archon_dsl.components import COMPONENTS, OutputError, State, answer
from archon_dsl.components.base import CallSpec
from archon_dsl.datasets import load_dataset
from archon_dsl.pricing import spec_info
from archon_dsl.runtime import sim
from archon_dsl.runtime.provider import Provider
from archon_dsl.runtime.sandbox import extract_code, run_tests
from archon_dsl.runtime.transports import Request
from archon_dsl.runtime.transports.sim import SimTransport

ARITHMETIC = load_dataset("arithmetic")
PYTHON = load_dataset("python_functions")
TRANSPORT = SimTransport()


def spec_model(name: str, **params) -> ModelSpec:
    return ModelSpec(name=name, id=f"sim/{name}", params=params)


async def ask(spec, kind: str | None, *, send_format: bool = True, attempt: int = 0) -> str:
    """One call straight to the sim transport (with or without the schema the component asks for)."""
    metadata = {"archon": {"sample": spec.sample, "attempt": attempt, **({"kind": kind} if kind else {})}}
    request = Request(
        model=spec.model,
        messages=list(spec.messages),
        temperature=None,
        max_tokens=None,
        timeout=60.0,
        api_base=None,
        api_key=None,
        custom_endpoint=False,
        params=dict(spec.model.params),
        response_format=spec.response_format if send_format else None,
        metadata=metadata,
    )
    return (await TRANSPORT.send(request)).text


async def answer_of(spec, kind: str | None, **how):
    """A call and the calls that follow from its reply (CallSpec.then, the verifier's verdict), parsed."""
    value = spec.parse(await ask(spec, kind, **how))
    while spec.then is not None:
        spec = spec.then(value)
        value = spec.parse(await ask(spec, kind, **how))
    return value


def call(model: ModelSpec, question: str, **options):
    """One call through the Provider, as the executor makes it."""
    provider = Provider(env_file=None, retries=0)
    return anyio.run(
        lambda: provider.complete(CallSpec(model, ({"role": "user", "content": question},), **options))
    )


async def run(layers: list[Layer], query: str, **how) -> State:
    """A minimal driver: each layer's calls through the sim transport, parsed, then combined."""
    state = State(query=query)
    for index, layer in enumerate(layers):
        component = COMPONENTS[layer.kind]
        specs = component.calls(layer, state, index)
        values = await asyncio.gather(*(answer_of(s, layer.kind, **how) for s in specs))
        state, degradations = component.combine(layer, state, index, list(values))
        assert degradations == []
    return state


def accuracy(layers: list[Layer], rows: list[dict]) -> float:
    async def score() -> float:
        right = 0
        for row in rows:
            truth = sim.truth_for(row["question"])
            right += sim.answer_in(truth, answer(await run(layers, row["question"]))) == truth.answer
        return right / len(rows)

    return asyncio.run(score())


def test_the_provider_reaches_the_simulator_with_usage_price_and_latency():
    model = spec_model("alpha", skill=0.5)
    result = call(model, "What is 12 * (3 + 4)?")
    assert result.error is None and result.text.strip().splitlines()[-1].startswith("Answer: ")
    assert result.input_tokens == 6 and result.output_tokens >= 1
    assert result.cost_usd == pytest.approx(spec_info(model).cost(result.input_tokens, result.output_tokens))
    assert result.cost_usd > 0  # simulated prices: the search sees a cost trade-off
    # The latency is simulated from skill, prompt and reply length, varies by +-20% between calls
    # as real ones do, and is reported, not slept.
    typical = sim.default_latency(0.5, result.output_tokens, result.input_tokens)
    assert 0.8 * typical <= result.latency_s <= 1.2 * typical


def test_a_sim_run_never_imports_litellm_and_sets_no_process_state():
    code = (
        "import os, sys; before = dict(os.environ)\n"
        "import anyio\n"
        "from archon_dsl.architecture import ModelSpec\n"
        "from archon_dsl.components.base import CallSpec\n"
        "from archon_dsl.runtime.provider import Provider\n"
        "spec = CallSpec(ModelSpec(name='a', id='sim/a'), ({'role': 'user', 'content': 'What is 2 + 3?'},))\n"
        "result = anyio.run(lambda: Provider(env_file=None).complete(spec))\n"
        "assert result.error is None and result.text, result\n"
        "print('litellm' in sys.modules, dict(os.environ) == before)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]


def test_sleep_makes_a_call_wait_its_latency():
    model = spec_model("slow", latency=0.05, sleep=True)

    async def timed():
        begin = anyio.current_time()
        result = await Provider(env_file=None).complete(
            CallSpec(model, ({"role": "user", "content": "2 + 2?"},))
        )
        return result, anyio.current_time() - begin

    result, took = anyio.run(timed)
    assert result.latency_s == 0.05 and took >= 0.05  # a lower bound only


def test_declared_prices_win_over_the_simulated_ones():
    model = ModelSpec(name="p", id="sim/p", cost_in=3.0, cost_out=6.0, params={"skill": 0.9})
    result = call(model, "What is 6 * 7?")
    assert result.cost_usd == pytest.approx((result.input_tokens * 3.0 + result.output_tokens * 6.0) / 1e6)


def test_default_prices_rise_with_skill():
    weak, strong = sim.default_prices(0.2), sim.default_prices(0.85)
    assert 0 < weak[0] < strong[0] and weak[1] == pytest.approx(4 * weak[0], rel=0.01)
    named = spec_info(ModelSpec(name="g", id="sim/gpt-4o"))
    assert named.input_cost_per_token * 1e6 == pytest.approx(
        sim.default_prices(sim.default_skill("gpt-4o"))[0]
    )


def test_deterministic_and_the_sample_index_and_seed_matter(monkeypatch):
    gen = Layer(kind="generator", models=[spec_model("beta", skill=0.5)], samples=6)

    async def replies():
        specs = COMPONENTS["generator"].calls(gen, State(query=ARITHMETIC[0]["question"]), 0)
        return [await ask(s, "generator") for s in specs]

    first = asyncio.run(replies())
    assert asyncio.run(replies()) == first
    assert len(set(first)) > 1  # samples differ
    monkeypatch.setenv("ARCHON_SIM_SEED", "7")
    assert asyncio.run(replies()) != first


def test_a_query_about_ranking_or_tests_is_still_a_generator_call():
    for query in (
        "Rank these cities by size and critique each: Paris, Rome.",
        "Write 3 unit tests for my parser.",
    ):
        assert sim.kind_of([{"role": "user", "content": query}]) == "generator"


def test_arithmetic_it_can_compute():
    messages = [{"role": "user", "content": "What is 12 * (3 + 4)?"}]
    assert sim.complete("sim/x", messages, params={"skill": 1.0}).endswith("Answer: 84")
    assert not sim.complete("sim/x", messages, params={"skill": 0.0}).endswith("Answer: 84")


ROWS = {
    "arithmetic": ARITHMETIC[3],
    "multiple_choice": load_dataset("multiple_choice")[4],
    "python": PYTHON[0],
}


def _state_for(kind: str, dataset: str = "python") -> tuple[Layer, State]:
    """A layer of `kind` and a state holding one right and one wrong simulated candidate."""
    from archon_dsl.components import Candidate

    row = ROWS[dataset]
    question = [{"role": "user", "content": row["question"]}]
    right = sim.complete("sim/g", question, params={"skill": 1.0})
    wrong = sim.complete("sim/g", question, params={"skill": 0.0})
    state = State(
        query=row["question"],
        candidates=(Candidate(right, "a", critique="fine"), Candidate(wrong, "b")),
        tests=tuple(row.get("tests") or ("The final answer is 7.", "The response is concise.")),
    )
    judge = spec_model("judge", skill=0.8)
    return Layer(kind=kind, models=[judge], samples=2 if kind in ("generator", "fuser") else 1), state


@pytest.mark.parametrize("dataset", sorted(ROWS))
@pytest.mark.parametrize("kind", sorted(COMPONENTS))
@pytest.mark.parametrize("how", ["metadata", "no-kind-hint", "no-response-format", "messy"])
def test_every_kind_parses(kind, how, dataset):
    layer, state = _state_for(kind, dataset)
    if how == "messy":
        layer = layer.model_copy(update={"models": [spec_model("judge", skill=0.8, messy=1.0)]})
    specs = COMPONENTS[kind].calls(layer, state, 1)
    assert specs

    async def go():
        for spec in specs:
            follow = spec
            while True:  # the simulator tells the kinds apart even without a hint, each step of a call
                assert sim.kind_of(list(follow.messages), follow.response_format) == kind
                assert sim.kind_of(list(follow.messages)) == kind
                # parse raises OutputError if the simulator answered in the wrong shape
                value = follow.parse(
                    await ask(
                        follow,
                        None if how == "no-kind-hint" else kind,
                        send_format=how != "no-response-format",
                    )
                )
                if follow.then is None:
                    break
                follow = follow.then(value)

    asyncio.run(go())


@pytest.mark.parametrize(
    "kind", ["critic", "ranker", "verifier", "unit_test_generator", "unit_test_evaluator", "fuser"]
)
def test_broken_replies_are_output_errors_and_a_retry_can_succeed(kind):
    layer, state = _state_for(kind)
    layer = layer.model_copy(update={"models": [spec_model("flaky", broken=1.0)]})
    spec = COMPONENTS[kind].calls(layer, state, 1)[0]
    with pytest.raises(OutputError):
        asyncio.run(answer_of(spec, kind))
    half_layer = layer.model_copy(update={"models": [spec_model("flaky", broken=0.5)]})
    half = COMPONENTS[kind].calls(half_layer, state, 1)[0]  # its later steps (the verdict) on that model too
    outcomes = set()
    for attempt in range(12):
        try:
            asyncio.run(answer_of(half, kind, attempt=attempt))
            outcomes.add("ok")
        except OutputError:
            outcomes.add("error")
    assert outcomes == {"ok", "error"}


def test_generator_skill_sets_accuracy():
    rows = ARITHMETIC
    strong = accuracy([Layer(kind="generator", models=[spec_model("s", skill=0.9)])], rows)
    weak = accuracy([Layer(kind="generator", models=[spec_model("w", skill=0.3)])], rows)
    assert strong > 0.75 and weak < 0.45


def test_samples_with_a_ranker_or_critic_and_fuser_beat_one_generator():
    gen = spec_model("gen", skill=0.6)
    judge = spec_model("judge", skill=0.85)
    single = accuracy([Layer(kind="generator", models=[gen])], ARITHMETIC)
    ranked = accuracy(
        [Layer(kind="generator", models=[gen], samples=5), Layer(kind="ranker", models=[judge], top_k=1)],
        ARITHMETIC,
    )
    fused = accuracy(
        [
            Layer(kind="generator", models=[gen], samples=5),
            Layer(kind="critic", models=[judge]),
            Layer(kind="fuser", models=[judge]),
        ],
        ARITHMETIC,
    )
    verified = accuracy(
        [Layer(kind="generator", models=[gen], samples=5), Layer(kind="verifier", models=[judge])], ARITHMETIC
    )
    assert ranked >= single + 0.15 and fused >= single + 0.15 and verified >= single + 0.15


def test_a_weak_ranker_helps_less_than_a_strong_one():
    gen = spec_model("gen", skill=0.6)

    def with_ranker(skill):
        # The expectation over seeds (exact), not one seed's 60 rows: one seed moves by ~0.05.
        layers = [
            Layer(kind="generator", models=[gen], samples=5),
            Layer(kind="ranker", models=[spec_model(f"r{skill}", skill=skill)], top_k=1),
        ]
        return sim.expected_score(Architecture(layers=layers), ARITHMETIC, "numeric")

    assert with_ranker(0.9) > with_ranker(0.2) + 0.1


def test_python_answers_are_real_code():
    row = PYTHON[2]
    messages = [{"role": "user", "content": row["question"]}]
    right = sim.complete("sim/g", messages, params={"skill": 1.0})
    wrong = sim.complete("sim/g", messages, params={"skill": 0.0})
    assert all(run_tests(extract_code(right), row["tests"]))
    assert not all(run_tests(extract_code(wrong), row["tests"]))


def test_execute_mode_with_simulated_candidates_and_tests():
    row = PYTHON[5]
    gen = spec_model("gen", skill=0.5)
    layers = [
        Layer(kind="generator", models=[gen], samples=4),
        Layer(kind="unit_test_generator", models=[spec_model("t", skill=1.0)]),
    ]
    state = asyncio.run(run(layers, row["question"]))
    assert set(state.tests) <= set(row["tests"]) and state.tests
    from archon_dsl.components.unit_test_evaluator import execution_jobs

    evaluator = Layer(kind="unit_test_evaluator", models=[gen], mode="execute", top_k=1)
    results = [tuple(run_tests(code, tests)) for code, tests in execution_jobs(state)]
    ranked, _ = COMPONENTS["unit_test_evaluator"].combine(evaluator, state, 2, results)
    best = max(sum(r) for r in results)
    assert sum(ranked.candidates[0].tests_passed) == best


def test_registered_answers_for_a_user_dataset():
    question = "In the sim test suite, how many legs does a spider have?"
    assert sim.register_answers([{"id": 1, "question": question, "answer": 8}]) == 1
    reply = sim.complete("sim/x", [{"role": "user", "content": question}], params={"skill": 1.0})
    assert reply.endswith("Answer: 8")


def test_model_options_are_read_and_checked():
    question, right = ARITHMETIC[1]["question"], str(ARITHMETIC[1]["answer"])
    assert call(spec_model("k", skill=1.0, latency=0.001), question).text.endswith(right)
    assert "skill must be between 0 and 1" in call(spec_model("k", skill=3), question).error
    assert "sleep must be true or false" in call(spec_model("k", sleep="yes"), question).error


def test_max_tokens_cuts_the_reply():
    result = call(spec_model("k"), PYTHON[0]["question"], max_tokens=5)
    assert result.error is None and len(result.text) <= 20


def test_default_skills_order_model_families():
    skill = sim.default_skill
    assert (
        skill("openai/gpt-4o")
        > skill("together_ai/meta-llama/Llama-3-70b-chat-hf")
        > skill("groq/llama-3.1-8b-instant")
    )
    assert skill("groq/llama-3.1-8b-instant") > skill("together_ai/mistralai/Mistral-7B-Instruct-v0.3")
    assert skill("some/unheard-of-model") == sim.MEDIUM_SKILL
    assert skill("together_ai/mistralai/Mixtral-8x22B-Instruct-v0.1") == skill("openai/Qwen2-72B-Instruct")


def test_simulate_routes_every_model_to_the_simulator():
    gpt = ModelSpec(
        name="gpt", id="openai/gpt-4o", api_base="http://localhost:1", fallbacks=("anthropic/claude-3-opus",)
    )
    own = ModelSpec(name="mine", id="openai/gpt-4o", params={"skill": 0.3})
    arch = Architecture(
        layers=[Layer(kind="generator", models=[gpt, own]), Layer(kind="fuser", models=[gpt])],
        providers={"openai": {"rpm": 10}},
    )
    simulated = sim.simulate(arch)
    assert simulated.model_ids() == ["sim/gpt-4o"]
    first = simulated.layers[0].models[0]
    assert first.params["skill"] == sim.default_skill("openai/gpt-4o") and first.api_base is None
    assert first.fallbacks == ("sim/claude-3-opus",)
    assert simulated.layers[0].models[1].params["skill"] == 0.3
    assert simulated.providers == {} and arch.layers[0].models[0].id == "openai/gpt-4o"
