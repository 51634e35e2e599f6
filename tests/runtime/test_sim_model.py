"""The realistic simulator: shared difficulty, family and sample correlation, the fast path, exact expected scores."""

import statistics

import pytest

from archon_dsl.api import run_dataset
from archon_dsl.architecture import Architecture, Layer, ModelSpec
from archon_dsl.datasets import load_dataset
from archon_dsl.runtime import sim
from archon_dsl.runtime.sim import expected, fast, model as M

ARITHMETIC = load_dataset("arithmetic")


def sim_model(name: str, skill: float, **params) -> ModelSpec:
    return ModelSpec(name=name, id=f"sim/{name}", params={"skill": skill, **params})


POOL = [sim_model(f"p{i}", round(0.6 - 0.05 * i, 2)) for i in range(5)]


def fused_arch(gens: int = 3, samples: int = 2, fusers: int = 3, critic: bool = True) -> Architecture:
    block = [Layer(kind="critic", models=[POOL[0]])] if critic else []
    return Architecture(
        layers=[
            Layer(kind="generator", models=POOL[:gens], samples=samples),
            *block,
            Layer(kind="ranker", models=[POOL[0]], top_k=3),
            Layer(kind="fuser", models=POOL[:fusers]),
            *block,
            Layer(kind="ranker", models=[POOL[0]], top_k=2),
            Layer(kind="fuser", models=[POOL[0]]),
        ]
    )


def chances(model: str, skill: float, family: str) -> list[float]:
    """A model's mean chance on each arithmetic question."""
    truths = [sim.truth_for(row["question"]) for row in ARITHMETIC]
    return [M.mean_solve_chance(skill, model, family, t.question, t.hardness) for t in truths]


def test_a_hard_question_is_hard_for_every_model():
    a, b = chances("alpha", 0.6, "alpha"), chances("beta", 0.6, "beta")
    assert statistics.correlation(a, b) > 0.5  # different families, shared difficulty
    # Mean chance over questions is about the skill.
    assert statistics.mean(a) == pytest.approx(0.6, abs=0.1)


def test_a_family_shares_its_blind_spots():
    one, same = chances("llama-3-70b", 0.6, "meta"), chances("llama-3-8b", 0.6, "meta")
    other = chances("qwen-72b", 0.6, "qwen")
    assert statistics.correlation(one, same) > statistics.correlation(one, other) + 0.05
    assert M.family_of("together_ai/meta-llama/Llama-3-70b") == M.family_of("groq/llama-3.1-8b") == "meta"
    assert M.family_of("sim/s1") == "s1" and M.family_of("sim/x", "mine") == "mine"


def test_samples_of_one_model_are_not_independent_draws():
    # P(all 4 samples right) exceeds the product of the single-sample chances: a shared mood.
    qm = expected.question_model(ARITHMETIC[0])
    layer = ("generator", (("sim/g", 0.5, "g"),), 4, None)
    _, dist = qm.generators(layer)
    _, one = qm.generators(("generator", (("sim/g", 0.5, "g"),), 1, None))
    p = one[(1, 0)]
    assert dist[(4, 0)] > 1.2 * p**4


def test_judges_see_less_on_harder_questions_and_with_less_skill():
    assert M.discernment(0.8, -1.0) > M.discernment(0.8, 1.0) > M.discernment(0.4, 1.0)
    assert M.judging(1.0, 3.0) == 1.0 and M.judging(0.0, 0.0) == 0.5


def test_replies_are_deterministic_per_seed_and_question():
    arch = fused_arch()
    row = ARITHMETIC[5]
    assert fast.run_row(arch, row, 3).answer == fast.run_row(arch, row, 3).answer
    answers = {fast.run_row(arch, ARITHMETIC[k], seed).answer for seed in range(6) for k in range(4)}
    assert len(answers) > 4


@pytest.mark.parametrize("seed", [0, 4])
def test_the_fast_path_gives_the_executors_answers(monkeypatch, seed):
    monkeypatch.setenv("ARCHON_SIM_SEED", str(seed))
    rows = ARITHMETIC[:8]
    for arch in (fused_arch(), fused_arch(gens=2, samples=3, fusers=2, critic=False)):
        results = run_dataset(arch, rows, cache=None, check=False)
        assert [r.answer for r in results] == [fast.run_row(arch, row, seed).answer for row in rows]
        assert sum(r.calls for r in results) == sum(fast.run_row(arch, row, seed).calls for row in rows)


def test_expected_score_is_the_mean_over_seeds():
    arch = fused_arch(gens=2, samples=2, fusers=2)
    rows = ARITHMETIC[:20]
    exact = sim.expected_score(arch, rows, "numeric")
    seeds = 150
    scores = [sim.SimEvaluator("numeric", seed=s).evaluate(arch, rows).score for s in range(seeds)]
    error = statistics.stdev(scores) / seeds**0.5
    assert abs(statistics.mean(scores) - exact) < 4 * error
    per_row = sim.expected_scores(arch, rows, "numeric")
    assert len(per_row) == 20 and sum(per_row) / 20 == pytest.approx(exact)


def test_expected_score_refuses_what_it_does_not_model():
    verified = Architecture(
        layers=[Layer(kind="generator", models=POOL[:1]), Layer(kind="verifier", models=POOL[:1])]
    )
    with pytest.raises(sim.UnsupportedLayer, match="verifier"):
        sim.expected_score(verified, ARITHMETIC[:2])
    many = Architecture(layers=[Layer(kind="generator", models=POOL[:2])])
    with pytest.raises(sim.UnsupportedLayer, match="ends with one candidate"):
        sim.expected_score(many, ARITHMETIC[:2])


def test_a_sim_evaluator_scores_and_prices_like_a_search_needs():
    evaluator = sim.SimEvaluator("numeric", seed=1)
    result = evaluator.evaluate(fused_arch(), ARITHMETIC[:10])
    assert result.rows == 10 and len(result.scores) == 10 and 0 <= result.score <= 1
    assert result.calls == 10 * (6 + 1 + 1 + 3 + 1 + 1 + 1) and result.cost_usd > 0
    assert evaluator.row_evaluations == 10


def test_sim_seed_reaches_every_sim_model_and_the_cache_key(tmp_path):
    from archon_dsl.api import run

    arch = fused_arch()
    questions = [row["question"] for row in ARITHMETIC[:6]]
    at = {seed: [run(arch, q, sim_seed=seed, cache=tmp_path).answer for q in questions] for seed in (0, 9)}
    assert at[0] != at[9]  # a cached seed-0 reply is not served at seed 9
    assert at[9] == [fast.run_row(arch, row, 9).answer for row in ARITHMETIC[:6]]
    assert sim.seeded(arch, 9).layers[0].models[0].params["seed"] == 9
