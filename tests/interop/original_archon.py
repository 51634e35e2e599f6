"""What the original Archon runner reads from a config when it builds its layers (for tests)."""

from __future__ import annotations

# As in the original's components/Generator.py GENERATE_MAP, plus its vLLM branch.
MODEL_TYPES = {
    "Together_API",
    "OpenAI_API",
    "Anthropic_API",
    "Groq_API",
    "Google_API",
    "tgi",
    "Bedrock_API",
    "vLLM",
}
# Keys each component's constructor indexes (config["key"]: a KeyError if absent).
REQUIRED = {
    "generator": ("model", "model_type", "temperature", "max_tokens"),
    "fuser": ("model", "model_type", "temperature", "max_tokens"),
    "critic": ("model", "model_type", "temperature", "max_tokens", "samples"),
    "ranker": ("model", "model_type", "temperature", "max_tokens", "top_k"),
    "verifier": ("model", "model_type", "temperature", "max_tokens", "samples"),
    "unit_test_generator": ("model", "model_type", "temperature", "max_tokens", "samples"),
    "unit_test_evaluator": (
        "model",
        "model_type",
        "temperature",
        "max_tokens",
        "samples",
        "remove_unit_tests_from_prompt",
    ),
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
                found.append(
                    f"layers[{i}][{j}]: model_type {component.get('model_type')!r} unknown to the runner"
                )
            for key in ("temperature",):
                if not isinstance(component.get(key), (int, float)):
                    found.append(f"layers[{i}][{j}]: {key} is not a number")
            for key in ("max_tokens", "samples", "top_k", "unit_test_cap"):
                if key in component and not (isinstance(component[key], int) and component[key] >= 1):
                    found.append(f"layers[{i}][{j}]: {key} is not a positive integer")
    return found


PAIRRM = "llm-blender/PairRM"


def _components(config: dict) -> list[dict]:
    """Every component in order, from any layer shape the original accepted (layers flattened)."""
    out = []
    for layer in config["layers"]:
        if isinstance(layer, dict):
            layer = layer["models"] if "models" in layer else [layer]
        out.extend(layer)
    return out


def reading(config: dict, *, leave_out: tuple[str, ...] = ()) -> list[dict]:
    """What the original's component constructors read from each component, with its defaults applied:
    the settings that decide its calls and what it keeps. A run of one model in a generator or fuser
    layer is one entry drawing all their samples (the same calls either way).

    `leave_out` names settings to skip, for differences docs/interop.md documents.
    """
    out: list[dict] = []
    for c in _components(config):
        kind = c["type"]
        pairrm = kind == "ranker" and c["model"] == PAIRRM
        read: dict = {
            "type": kind,
            "model": c["model"],
            "temperature": c.get("temperature"),
            "max_tokens": c.get("max_tokens"),
        }
        if (
            not pairrm
        ):  # PairRM is picked by name: the Ranker never reads its model_type, nor builds a Generator
            read["model_type"] = c["model_type"]
            read["no_system"] = bool(c.get("no_system", False))
        if kind in ("generator", "fuser"):
            read["samples"] = c.get("samples", 1)
        elif kind in ("critic", "verifier", "unit_test_generator", "unit_test_evaluator"):
            read["samples"] = c.get("samples")
        if kind == "fuser":
            read["length_control"] = bool(c.get("length_control", False))
        elif kind == "ranker":
            read["top_k"] = c.get("top_k")
            if pairrm:
                read["ranker_batch_size"] = c.get("ranker_batch_size")
        elif kind == "verifier":
            read["first_k"] = c.get("first_k")
        elif kind == "unit_test_generator":
            read["unit_test_cap"] = c.get("unit_test_cap")
        elif kind == "unit_test_evaluator":
            first_k = c.get("first_k")
            read.update(
                top_k=c.get("top_k"),
                first_k=first_k if first_k is not None else (1 if c.get("first_pass") else None),
                remove_unit_tests_from_prompt=c.get("remove_unit_tests_from_prompt"),
            )
        for key in leave_out:
            read.pop(key, None)
        previous = out[-1] if out else None
        if (
            kind in ("generator", "fuser")
            and previous is not None
            and {k: v for k, v in previous.items() if k != "samples"}
            == {k: v for k, v in read.items() if k != "samples"}
        ):
            previous["samples"] += read["samples"]
        else:
            out.append(read)
    return out
