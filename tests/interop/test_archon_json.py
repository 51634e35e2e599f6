"""Import and export of the original Archon's JSON configs, on the project's own fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from archon_testing import ROOT
from hypothesis import HealthCheck, given, settings, strategies as st
from interop.original_archon import problems, reading

from archon_dsl.architecture import EnvVar
from archon_dsl.checker import check_text
from archon_dsl.diagnostics import ArchonError, Severity
from archon_dsl.interop import export_architecture, import_file, import_text
from archon_dsl.language.parser import parse
from archon_dsl.language.printer import print_module
from archon_dsl.loader import load, load_text

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "archon_json"
VALID = sorted(FIXTURES.glob("*.json"))


def _imported(name: str):
    return import_file(FIXTURES / name, "imported.arch")


def _notes(result) -> list[tuple[str, str, int, str]]:
    """(code, severity, line in the JSON, message) of each import diagnostic."""
    return [(d.code, d.severity.value, d.span.line if d.span else 0, d.message) for d in result.diagnostics]


# ---------------------------------------------------------------------------
# Import: what each published pattern becomes
# ---------------------------------------------------------------------------


def test_moa_layers_models_and_provider_prefixes():
    result = _imported("moa.json")
    arch = result.architecture
    assert arch.name == "moa-two-layers"
    assert [layer.kind for layer in arch.layers] == ["generator", "fuser", "fuser"]
    assert [m.id for m in arch.layers[0].models] == [
        "together_ai/Qwen/Qwen2-72B-Instruct",
        "openai/gpt-4o",
        "anthropic/claude-3-5-sonnet-20240620",
    ]
    assert arch.layers[2].max_tokens == 4096 and arch.layers[1].max_tokens is None
    assert (arch.defaults.temperature, arch.defaults.max_tokens) == (0.7, 2048)
    # top_k on every generator is one finding for the layer, pointing at the first.
    assert _notes(result) == [
        (
            "J010",
            "info",
            5,
            "$.layers[0][0..2].top_k: `top_k` has no effect on a generator in the original runner; dropped",
        )
    ]


def test_providers_of_every_hosted_model_type():
    arch = _imported("rank_critic_fuse.json").architecture
    ids = [m.id for layer in arch.layers for m in layer.models]
    assert ids == [
        "groq/llama-3.1-70b-versatile",
        "gemini/gemini-1.5-pro",
        "bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0",
        "openai/gpt-4o",
        "openai/gpt-4o",
    ]
    generator, ranker, critic, fuser = arch.layers
    assert (generator.samples, generator.temperature) == (5, 0.9)
    assert ranker.top_k == 5 and critic.max_tokens == fuser.max_tokens == 8192


def test_a_config_breaking_a_rule_is_written_in_published_order_and_the_linter_names_the_rule():
    result = _imported("unit_tests_first.json")
    assert [layer.kind for layer in result.architecture.layers] == [
        "unit_test_generator",
        "generator",
        "critic",
        "fuser",
    ]
    assert result.architecture.layers[0].count == 5
    codes = {d.code for d in check_text(result.text, "imported.arch").diagnostics if d.is_error}
    assert {"A002", "A003", "A006"} <= codes


def test_a_layer_mixing_kinds_becomes_consecutive_layers_with_an_A001_error():
    result = _imported("mixed_kinds.json")
    assert [layer.kind for layer in result.architecture.layers] == [
        "generator",
        "fuser",
        "generator",
        "fuser",
    ]
    [a001] = result.errors
    assert a001.code == "A001" and a001.span.line == 4 and a001.path.endswith("mixed_kinds.json")
    assert "generator x1 | fuser x1 | generator x1" in a001.message
    assert "A001" in result.text.splitlines()[2]  # the .arch file says so too


def test_the_old_branches_shape_reads_models_and_warns_on_branches():
    result = _imported("branches.json")
    assert [layer.kind for layer in result.architecture.layers] == ["generator", "fuser"]
    branches = next(d for d in result.diagnostics if "branches" in d.message)
    assert branches.severity.value == "warning" and branches.span.line == 5
    assert branches.hint == 'to draw 3 answers per model, set "samples": 3'


def test_vllm_and_tgi_become_openai_compatible_models():
    result = _imported("local_models.json")
    generator, fuser = result.architecture.layers
    vllm, tgi = generator.models[0], fuser.models[0]
    assert vllm.id == "openai/facebook/opt-125m"
    assert vllm.api_base == EnvVar(env="VLLM_API_BASE", default="http://localhost:8000/v1")
    assert (tgi.id, tgi.api_base) == ("openai/tgi", "http://localhost:8080/v1")
    assert generator.samples == 2
    exported = export_architecture(result.architecture).config["layers"]
    assert (exported[0][0]["model"], exported[0][0]["model_type"]) == ("facebook/opt-125m", "vLLM")
    assert (exported[1][0]["model"], exported[1][0]["model_type"]) == ("http://localhost:8080/v1", "tgi")


def test_per_model_settings_go_on_the_models_and_unequal_samples_are_warned():
    result = _imported("per_model_settings.json")
    generator = result.architecture.layers[0]
    by_id = {m.id: m for m in generator.models}
    assert by_id["openai/gpt-4o"].temperature == 1.0
    assert (
        by_id["anthropic/claude-3-5-sonnet-20240620"].temperature,
        by_id["anthropic/claude-3-5-sonnet-20240620"].max_tokens,
    ) == (0.5, 4096)
    assert by_id["together_ai/Qwen/Qwen2-72B-Instruct"].temperature is None  # the default, 0.7
    assert generator.samples == 1 and len(generator.models) == 6
    assert [d.code for d in result.diagnostics] == ["J011"]
    # Export gives each model back its own samples.
    components = export_architecture(result.architecture).config["layers"][0]
    assert [(c["model"], c["samples"], c["temperature"], c["max_tokens"]) for c in components] == [
        ("gpt-4o", 3, 1.0, 2048),
        ("claude-3-5-sonnet-20240620", 1, 0.5, 4096),
        ("Qwen/Qwen2-72B-Instruct", 2, 0.7, 2048),
    ]


def test_a_run_of_one_model_becomes_samples():
    text = json.dumps(
        {
            "name": "x",
            "layers": [
                [
                    {
                        "type": "generator",
                        "model": "m",
                        "model_type": "Together_API",
                        "temperature": 0.7,
                        "max_tokens": 2048,
                        "samples": 1,
                    }
                ]
                * 4,
                [
                    {
                        "type": "fuser",
                        "model": "m",
                        "model_type": "Together_API",
                        "temperature": 0.7,
                        "max_tokens": 2048,
                    }
                ],
            ],
        }
    )
    result = import_text(text)
    assert result.architecture.layers[0].samples == 4 and len(result.architecture.layers[0].models) == 1
    assert result.diagnostics == []


def test_keys_the_original_ignores_are_dropped_with_their_json_path():
    result = _imported("ignored_keys.json")
    # Harmless leftovers are notes; what looks like a mistake (unknown, misspelt, doubled) is a warning.
    assert [
        (code, severity, line, message.split(":")[0]) for code, severity, line, message in _notes(result)
    ] == [
        ("J010", "warning", 3, "$.description"),
        ("J010", "info", 6, "$.layers[0][0].checkpoint"),
        ("J010", "info", 6, "$.layers[0][0].max_context_length"),
        ("J010", "warning", 6, "$.layers[0][0].temprature"),
        ("J010", "info", 9, "$.layers[1][0].batch_num"),
        ("J010", "warning", 12, "$.layers[2][0].length_contorl"),
        ("J010", "warning", 12, "$.layers[2][0].max_tokens"),
    ]
    typo = next(d for d in result.diagnostics if "temprature" in d.message)
    assert typo.hint == "did you mean `temperature`?"
    assert "misspelling of `length_control`" in next(
        d.message for d in result.diagnostics if "contorl" in d.message
    )
    assert "given twice" in result.diagnostics[-1].message
    assert result.architecture.layers[2].max_tokens == 1024  # the last value, as Python's json keeps
    assert result.architecture.layers[1].kind == "verifier"


def test_pairrm_keeps_its_id_and_exports_as_the_original_wrote_it():
    result = _imported("pairrm.json")
    ranker = result.architecture.layers[1]
    assert ranker.models[0].id == "llm-blender/PairRM" and (ranker.top_k, ranker.batch_size) == (3, 16)
    [note] = [d for d in result.diagnostics if d.code == "J014"]
    assert note.name == "reward-model-ranker" and "cannot run" in note.message and note.hint
    exported = export_architecture(result.architecture).config["layers"][1][0]
    assert (exported["model"], exported["model_type"], exported["ranker_batch_size"]) == (
        "llm-blender/PairRM",
        "",
        16,
    )


def test_pairrm_with_a_model_type_is_still_the_reward_model_the_original_runs():
    # The original picks PairRM by its name and never reads the model_type: not an LLM on Together.
    result = _imported("pairrm_together.json")
    ranker = result.architecture.layers[1]
    assert ranker.models[0].id == "llm-blender/PairRM" and (ranker.top_k, ranker.batch_size) == (5, 8)
    [note] = [d for d in result.diagnostics if d.code == "J014"]
    assert '"Together_API" is not read' in note.message and note.severity == Severity.WARNING
    assert "batch_size = 8" in result.text
    exported = export_architecture(result.architecture).config
    assert problems(exported) == []  # ranker_batch_size is written, so the original accepts the file
    assert exported["layers"][1][0]["ranker_batch_size"] == 8


def test_the_original_options_are_layer_options():
    layers = _imported("original_options.json").architecture.layers
    generator, verifier, _, evaluator, fuser = layers
    assert generator.no_system and fuser.no_system and fuser.length_control
    assert verifier.first_k == 2 and verifier.steps is None  # two steps, as the original
    assert (evaluator.first_k, evaluator.top_k) == (2, 3)


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_json_to_arch_to_json_keeps_every_setting_the_original_reads(path, tmp_path):
    """Each fixture, imported to an .arch file, loaded from it and exported, reads the same to the
    original runner, setting by setting (docs/interop.md names the differences left out)."""
    original = json.loads(path.read_text())
    arch_file = tmp_path / "imported.arch"
    arch_file.write_text(import_file(path, str(arch_file)).text)
    exported = export_architecture(load_text(arch_file.read_text(), str(arch_file)).instantiate()).config
    # `remove_unit_tests_from_prompt`: tests never enter the query here, so export writes true (a J011
    # warning on import when false); `samples` on a judging kind: one call here (J011).
    leave_out = ("remove_unit_tests_from_prompt",)
    before, after = reading(original, leave_out=leave_out), reading(exported, leave_out=leave_out)
    for component in before:
        if component["type"] == "unit_test_generator" and component["unit_test_cap"] is None:
            component["unit_test_cap"] = 5  # the language's count; the import says so (J012)
    assert len(before) == len(after)
    for i, (a, b) in enumerate(zip(before, after, strict=True)):
        for key in sorted(set(a) | set(b)):
            assert a.get(key) == b.get(key), (
                f"component {i} ({a['type']}): {key} {a.get(key)!r} -> {b.get(key)!r}"
            )


def test_unit_test_settings():
    result = _imported("unit_test_evaluation.json")
    _, tests, evaluator = result.architecture.layers
    assert tests.count == 10 and (evaluator.top_k, evaluator.first_k) == (1, 1)  # first_pass is first_k = 1
    not_expressed = sorted(d.message.split(":")[0] for d in result.diagnostics if d.code == "J011")
    assert not_expressed == ["$.layers[2][0].remove_unit_tests_from_prompt"]
    [checks_all] = [d for d in result.diagnostics if d.code == "J015"]
    assert checks_all.message.startswith("$.layers[2][0].first_pass: `first_pass` becomes `first_k = 1`")


# ---------------------------------------------------------------------------
# Broken input: clear errors with the JSON path, never a traceback
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        (
            "invalid_json.json",
            [("J001", 4, "not valid JSON: Expecting property name enclosed in double quotes")],
        ),
        ("not_an_object.json", [("J002", 1, '$: expected an object with "name" and "layers", got a list')]),
        ("empty_layers.json", [("J002", 1, "$.layers: no layers")]),
        (
            "bad_layers.json",
            [
                ("J002", 1, "$.layers[0]: empty layer"),
                ("J002", 1, '$.layers[1]: expected a list of components, got the string "generator"'),
                ("J002", 1, "$.layers[2].models: expected a list of components, got an object"),
            ],
        ),
        (
            "unknown_type.json",
            [
                ("J003", 5, '$.layers[0][0].type: unknown component type "generater"'),
                ("J003", 8, '$.layers[1][0].type: unknown component type "my_custom_component"'),
            ],
        ),
        (
            "unknown_model_type.json",
            [("J004", 5, '$.layers[0][0].model_type: unknown model_type "OpenAi_API"')],
        ),
        (
            "wrong_types.json",
            [
                ("J002", 5, '$.layers[0][0].temperature: expected a number, got the string "0.7"'),
                ("J002", 5, "$.layers[0][0].samples: expected a positive integer, got the number 0"),
                ("J002", 8, "$.layers[1][0].model: expected a string, got the number 42"),
                ("J002", 8, "$.layers[1][0].top_k: expected a positive integer, got a boolean"),
            ],
        ),
    ],
)
def test_broken_configs_name_every_problem_and_where(name, expected):
    with pytest.raises(ArchonError) as info:
        import_file(FIXTURES / "broken" / name)
    found = [(d.code, d.span.line, d.message) for d in info.value.diagnostics]
    assert found == expected
    assert all(d.path.endswith(name) for d in info.value.diagnostics)


def test_hints_suggest_the_closest_spelling():
    with pytest.raises(ArchonError) as info:
        import_file(FIXTURES / "broken" / "unknown_type.json")
    assert info.value.diagnostics[0].hint == 'did you mean "generator"?'


def test_non_finite_numbers_are_rejected():
    text = (
        '{"name": "x", "layers": [[{"type": "generator", "model": "m", "model_type": "OpenAI_API", '
        '"temperature": NaN, "max_tokens": 10}]]}'
    )
    with pytest.raises(ArchonError, match="temperature: expected a number"):
        import_text(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-3, 3)
        | st.floats(allow_nan=False)
        | st.sampled_from(
            [
                "generator",
                "fuser",
                "ranker",
                "critic",
                "OpenAI_API",
                "vLLM",
                "tgi",
                "gpt-4o",
                "",
                "type",
                "layers",
            ]
        ),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "name",
                        "layers",
                        "models",
                        "branches",
                        "type",
                        "model",
                        "model_type",
                        "temperature",
                        "max_tokens",
                        "samples",
                        "top_k",
                        "unit_test_cap",
                        "first_pass",
                        "length_control",
                        "checkpoint",
                        "custom",
                    ]
                )
                | st.text(max_size=4),
                children,
                max_size=6,
            )
        ),
        max_leaves=25,
    )
)
def test_any_json_imports_or_fails_with_diagnostics(value):
    try:
        result = import_text(json.dumps(value))
    except ArchonError as e:
        assert e.diagnostics and all(d.message for d in e.diagnostics)
        return
    assert load_text(result.text, "imported.arch").instantiate().same_as(result.architecture)


# ---------------------------------------------------------------------------
# The .arch file written, and the way back
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_the_arch_text_is_formatted_and_loads_to_the_same_architecture(path):
    result = import_file(path, "imported.arch")
    assert print_module(parse(result.text, "imported.arch")) == result.text
    assert result.text.startswith(f"# Imported from {path.name}")
    assert load_text(result.text, "imported.arch").instantiate().same_as(result.architecture)


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_export_then_import_gives_the_same_architecture(path):
    arch = import_file(path).architecture
    exported = export_architecture(arch)
    assert problems(exported.config) == []
    assert json.loads(exported.text) == exported.config
    again = import_text(exported.text, "exported.json").architecture
    assert again.same_as(arch)
    assert export_architecture(again).config == exported.config


def test_export_resolves_layer_then_model_then_default_settings(tmp_path):
    path = tmp_path / "settings.arch"
    path.write_text(
        'archon "settings"\ndefaults { temperature = 0.4; max_tokens = 1000 }\n'
        'model hot = "openai/gpt-4o" { temperature = 1.1 }\nmodel plain = "anthropic/claude-3-haiku-20240307"\n'
        "layer generator { models = [hot, plain]; samples = 2 }\n"
        "layer ranker { model = plain }\n"
        "layer unit_test_generator { model = plain }\n"
        "layer unit_test_evaluator { model = plain; temperature = 0.0 }\n"
    )
    config = export_architecture(load(path).instantiate()).config
    assert config["name"] == "settings"
    generator, ranker, tests, evaluator = config["layers"]
    assert [
        (c["model"], c["model_type"], c["temperature"], c["max_tokens"], c["samples"]) for c in generator
    ] == [("gpt-4o", "OpenAI_API", 1.1, 1000, 2), ("claude-3-haiku-20240307", "Anthropic_API", 0.4, 1000, 2)]
    assert ranker[0]["top_k"] == 4  # no top_k keeps every candidate: all four
    assert tests[0]["unit_test_cap"] == 5
    assert evaluator[0]["temperature"] == 0.0 and evaluator[0]["remove_unit_tests_from_prompt"] is True
    assert problems(config) == []


def test_export_writes_the_original_options_and_warns_on_a_one_step_verifier():
    arch = load_text(
        'model a = "openai/gpt-4o"\nlayer generator { model = a; samples = 4; no_system = true }\n'
        "layer verifier { model = a; steps = 1; first_k = 2 }\nlayer fuser { model = a; length_control = true }\n"
    ).instantiate()
    result = export_architecture(arch)
    generator, verifier, fuser = (layer[0] for layer in result.config["layers"])
    assert generator["no_system"] is True and verifier["first_k"] == 2 and fuser["length_control"] is True
    [warning] = [d for d in result.diagnostics if "steps = 1" in d.message]
    assert warning.code == "J021" and "two calls per candidate" in warning.message


def test_export_warns_on_what_json_cannot_hold(tmp_path):
    path = tmp_path / "extras.arch"
    path.write_text(
        'model a = "anthropic/claude-3-haiku-20240307" { api_base = "http://proxy:4000"; rpm = 50 }\n'
        "budget calls <= 10\n"
        'layer generator { model = a; system = "Be brief." }\n'
        'layer fuser { model = a; prompt = "Fuse: {candidates}" }\n'
    )
    result = export_architecture(load(path).instantiate())
    messages = [d.message for d in result.diagnostics]
    assert any("`system` has no equivalent" in m for m in messages)
    assert any("`prompt` has no equivalent" in m for m in messages)
    assert any("api_base of model 'a' dropped" in m for m in messages)
    assert any("rate limits of a" in m for m in messages)
    assert any("budgets" in m for m in messages)
    # What changes answers is a warning at the layer that loses it; planning data is one note.
    warnings = [d for d in result.diagnostics if d.severity.value == "warning"]
    assert len(warnings) == 3 and all(d.path == str(path) and d.span is not None for d in warnings)
    assert sorted(d.severity.value for d in result.diagnostics if d not in warnings) == ["info", "info"]


@pytest.mark.parametrize(
    "model, message",
    [
        ('"sim/echo"', "provider 'sim' has no model_type"),
        ('"gpt-4o"', "has no provider prefix"),
    ],
)
def test_export_refuses_models_the_original_cannot_call(model, message):
    arch = load_text(f"layer generator {{ model = {model} }}").instantiate()
    with pytest.raises(ArchonError, match=message) as info:
        export_architecture(arch)
    assert info.value.diagnostics[0].code == "J020"


@pytest.mark.parametrize("path", sorted((ROOT / "examples").glob("*.arch")), ids=lambda p: p.stem)
def test_examples_export_to_configs_the_original_accepts(path):
    arch = load(path).instantiate()
    try:
        exported = export_architecture(arch)
    except ArchonError as e:
        assert all(d.code == "J020" for d in e.diagnostics)
        return
    assert problems(exported.config) == []
    again = import_text(exported.text, "exported.json").architecture
    assert export_architecture(again).config == exported.config
