"""What the original Archon runner reads from a config when it builds its layers (for tests)."""

from __future__ import annotations

# As in the original's components/Generator.py GENERATE_MAP, plus its vLLM branch.
MODEL_TYPES = {"Together_API", "OpenAI_API", "Anthropic_API", "Groq_API", "Google_API", "tgi", "Bedrock_API", "vLLM"}
# Keys each component's constructor indexes (config["key"]: a KeyError if absent).
REQUIRED = {
    "generator": ("model", "model_type", "temperature", "max_tokens"),
    "fuser": ("model", "model_type", "temperature", "max_tokens"),
    "critic": ("model", "model_type", "temperature", "max_tokens", "samples"),
    "ranker": ("model", "model_type", "temperature", "max_tokens", "top_k"),
    "verifier": ("model", "model_type", "temperature", "max_tokens", "samples"),
    "unit_test_generator": ("model", "model_type", "temperature", "max_tokens", "samples"),
    "unit_test_evaluator": ("model", "model_type", "temperature", "max_tokens", "samples",
                            "remove_unit_tests_from_prompt"),
}


def problems(config: dict) -> list[str]:
    """Why the original runner would fail to build this config (empty when it would not)."""
    found = []
    if not isinstance(config.get("name"), str):
        found.append("name is not a string")
    for i, layer in enumerate(config["layers"]):
        components = layer if isinstance(layer, list) else layer["models"]
        if not components:
            found.append(f"layer {i} is empty")
        for j, component in enumerate(components):
            kind = component.get("type")
            if kind not in REQUIRED:
                found.append(f"layers[{i}][{j}]: unknown type {kind!r}")
                continue
            if kind == "ranker" and component.get("model") == "llm-blender/PairRM":
                if "ranker_batch_size" not in component or "top_k" not in component:
                    found.append(f"layers[{i}][{j}]: PairRM needs top_k and ranker_batch_size")
                continue
            for key in REQUIRED[kind]:
                if key not in component:
                    found.append(f"layers[{i}][{j}]: missing {key}")
            if component.get("model_type") not in MODEL_TYPES:
                found.append(f"layers[{i}][{j}]: model_type {component.get('model_type')!r} unknown to the runner")
            for key in ("temperature",):
                if not isinstance(component.get(key), (int, float)):
                    found.append(f"layers[{i}][{j}]: {key} is not a number")
            for key in ("max_tokens", "samples", "top_k", "unit_test_cap"):
                if key in component and not (isinstance(component[key], int) and component[key] >= 1):
                    found.append(f"layers[{i}][{j}]: {key} is not a positive integer")
    return found
