"""The plan of one query: calls (min and max), depth, tokens, cost known or unknown, the call DAG."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from archon_dsl.loader import load_text
from archon_dsl.planner import OUTPUT_FILL, PROMPT_OVERHEAD_TOKENS, QUERY_TOKENS, VERIFIER_STEPS, plan
from archon_dsl.pricing import model_info

PRICED = """
model a = "openai/a" { cost_in = 1.0; cost_out = 2.0 }
model b = "openai/b" { cost_in = 3.0; cost_out = 4.0 }
defaults { max_tokens = 100 }
"""


def arch(body: str, header: str = PRICED):
    return load_text(header + body).instantiate()


def test_calls_and_candidates_through_a_stack():
    p = plan(
        arch("""
layer generator { models = [a, b]; samples = 3 }
layer critic { model = a }
layer ranker { model = a; top_k = 4 }
layer fuser { models = [a, b] }
""")
    )
    data = p.to_dict()
    assert data["calls"] == {"min": 6 + 1 + 1 + 2, "max": 10}
    assert [layer["candidates_out"]["max"] for layer in data["layers"]] == [6, 6, 4, 2]
    assert data["depth"] == 4


def test_a_verifier_runs_per_candidate_and_may_keep_one():
    p = plan(
        arch("""
layer generator { models = [a, b]; samples = 2 }
layer verifier { model = a }
layer fuser { model = b }
layer verifier { model = a }
""")
    )
    data = p.to_dict()
    # max: 4 generated, 4 verified, all kept, 1 fused, 1 verified; min: the first verifier keeps one.
    assert data["calls"] == {
        "min": 4 + 4 * VERIFIER_STEPS + 1 + 1 * VERIFIER_STEPS,
        "max": 4 + 4 * VERIFIER_STEPS + 1 + 1 * VERIFIER_STEPS,
    }
    assert data["layers"][1]["candidates_out"] == {"min": 1, "max": 4}
    assert data["depth"] == 1 + VERIFIER_STEPS + 1 + VERIFIER_STEPS


def test_filters_keep_fewer_in_the_minimum():
    p = plan(
        arch("""
layer generator { model = a; samples = 5 }
layer verifier { model = a }
layer critic { model = b }
layer unit_test_generator { model = b; count = 3 }
layer unit_test_evaluator { model = b; top_k = 2 }
""")
    )
    data = p.to_dict()
    assert [layer["calls"] for layer in data["layers"]] == [
        {"min": 5, "max": 5},
        {"min": 10, "max": 10},
        {"min": 1, "max": 1},
        {"min": 1, "max": 1},
        {"min": 1, "max": 5},
    ]
    assert data["calls"] == {"min": 18, "max": 22}
    assert data["cost_usd_min"] < data["cost_usd"]


def test_a_verifier_makes_two_calls_per_candidate_as_the_original_unless_steps_is_1():
    # 8 samples verified: the original Archon makes 8 + 2 * 8 = 24 calls, and so does the executor.
    two = plan(arch("layer generator { model = a; samples = 8 }\nlayer verifier { model = b }"))
    one = plan(arch("layer generator { model = a; samples = 8 }\nlayer verifier { model = b; steps = 1 }"))
    assert (two.calls_max, two.depth) == (24, 3)
    assert (one.calls_max, one.depth) == (16, 2)
    assert two.graph.number_of_nodes() == 24 and one.graph.number_of_nodes() == 16
    assert two.architecture.calls_per_query() == 24
    import networkx as nx

    assert nx.dag_longest_path_length(two.graph) + 1 == two.depth  # the verdict waits for its reasoning


def test_an_executing_evaluator_makes_no_call():
    p = plan(
        arch("""
layer generator { model = a; samples = 4 }
layer unit_test_generator { model = b }
layer unit_test_evaluator { model = b; mode = "execute"; top_k = 1 }
""")
    )
    data = p.to_dict()
    assert data["layers"][2]["calls"] == {"min": 0, "max": 0} and data["layers"][2]["steps"] == 0
    assert data["calls"]["max"] == 5 and data["depth"] == 2
    assert data["layers"][2]["candidates_out"]["max"] == 1


def test_cost_from_the_models_prices():
    p = plan(arch("layer generator { models = [a, b] }\nlayer fuser { model = a }"))
    out = round(100 * OUTPUT_FILL)
    first_in = PROMPT_OVERHEAD_TOKENS + QUERY_TOKENS
    fuser_in = first_in + 2 * out
    expected = ((first_in * 1 + out * 2) + (first_in * 3 + out * 4) + (fuser_in * 1 + out * 2)) / 1e6
    assert p.cost_usd == pytest.approx(expected)
    assert p.to_dict()["tokens"] == {
        "input": 2 * first_in + fuser_in,
        "output": 3 * out,
        "total": 2 * first_in + fuser_in + 3 * out,
    }


def test_tokens_per_call_sets_the_output_estimate():
    p = plan(arch("layer generator { model = a; max_tokens = 1000 }"), tokens_per_call=40)
    assert p.layers[0].output_tokens == 40
    assert (
        plan(arch("layer generator { model = a; max_tokens = 30 }"), tokens_per_call=40)
        .layers[0]
        .output_tokens
        == 30
    )


def test_a_model_with_no_price_makes_the_cost_unknown_never_zero():
    p = plan(arch('layer generator { models = [a, "openai/my-local-model"] }\nlayer fuser { model = a }'))
    data = p.to_dict()
    assert data["cost_usd"] is None and data["unpriced_models"] == ["openai/my-local-model"]
    assert data["layers"][1]["cost_usd"] is not None  # the fuser alone is priced
    assert "unknown" in p.text() and "openai/my-local-model" in p.text()


def test_table_prices_are_used_when_the_model_gives_none():
    p = plan(arch('layer generator { model = "openai/gpt-4o"; max_tokens = 200 }', header=""))
    info = model_info("openai/gpt-4o")
    assert p.cost_usd == pytest.approx(info.cost(PROMPT_OVERHEAD_TOKENS + QUERY_TOKENS, 100))


def test_sim_models_have_simulated_prices_in_the_plan():
    p = plan(arch('layer generator { model = "sim/x"; samples = 3; max_tokens = 200 }', header=""))
    info = model_info("sim/x")  # the default price for the skill its name suggests
    assert p.unpriced_models == [] and p.cost_usd == pytest.approx(
        3 * info.cost(PROMPT_OVERHEAD_TOKENS + QUERY_TOKENS, 100)
    )
    assert p.cost_usd > 0
    skilled = plan(
        arch(
            'model s = "sim/x" { skill = 0.9 }\nlayer generator { model = s; samples = 3; max_tokens = 200 }',
            header="",
        )
    )
    assert skilled.cost_usd > p.cost_usd  # stronger simulated models cost more
    declared = plan(
        arch('model s = "sim/x" { cost_in = 0; cost_out = 0 }\nlayer generator { model = s }', header="")
    )
    assert declared.cost_usd == 0.0


def test_to_dict_is_json_with_the_documented_keys():
    data = plan(arch("layer generator { model = a }\nlayer fuser { model = b }")).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert {"calls", "depth", "cost_usd", "layers", "unpriced_models", "tokens"} <= set(data)
    assert set(data["calls"]) == {"min", "max"} and isinstance(data["depth"], int)
    assert {
        "index",
        "kind",
        "models",
        "calls",
        "candidates_in",
        "candidates_out",
        "steps",
        "cost_usd",
    } <= set(data["layers"][0])


def test_text_is_a_table_with_a_summary():
    text = plan(arch("layer generator { models = [a, b]; samples = 2 }\nlayer verifier { model = a }")).text()
    lines = text.splitlines()
    assert lines[0].split() == ["layer", "kind", "models", "calls", "candidates", "tokens/call", "cost"]
    assert lines[2].split()[:5] == ["1", "generator", "a,", "b", "4"]
    assert "calls per query" in lines[-1] and "depth 3" in lines[-1]  # the verifier: reasoning, then verdict


def test_the_call_dag_has_a_node_per_call_and_edges_from_what_it_reads():
    p = plan(
        arch("""
layer generator { models = [a, b] }
layer critic { model = a }
layer ranker { model = a; top_k = 1 }
layer verifier { model = b; steps = 1 }
""")
    )
    g = p.graph
    assert g.number_of_nodes() == p.calls_max == 2 + 1 + 1 + 1
    kinds = {node: data["kind"] for node, data in g.nodes(data=True)}
    preds = {kinds[node]: sorted(kinds[parent] for parent in g.predecessors(node)) for node in g}
    assert preds["critic"] == ["generator", "generator"]
    assert preds["ranker"] == ["critic", "generator", "generator"]  # candidates and their critiques
    assert preds["verifier"] == ["ranker"]
    import networkx as nx

    assert nx.is_directed_acyclic_graph(g)
    assert nx.dag_longest_path_length(g) + 1 == p.depth


def test_layers_without_calls_pass_their_inputs_through_the_dag():
    p = plan(
        arch("""
layer generator { model = a; samples = 2 }
layer unit_test_generator { model = b }
layer unit_test_evaluator { model = b; mode = "execute" }
layer fuser { model = a }
""")
    )
    fuser = next(node for node, data in p.graph.nodes(data=True) if data["kind"] == "fuser")
    assert sorted(p.graph.nodes[n]["kind"] for n in p.graph.predecessors(fuser)) == [
        "generator",
        "generator",
        "unit_test_generator",
    ]


def test_planning_imports_neither_litellm_nor_anyio():
    code = (
        "import sys; from archon_dsl.loader import load_text; from archon_dsl.planner import plan; "
        "p = plan(load_text('layer generator { model = \"openai/gpt-4o\" }').instantiate()); p.to_dict(); p.text(); "
        "assert not [m for m in sys.modules if m.split('.')[0] in ('litellm', 'anyio')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
