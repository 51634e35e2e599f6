"""Codes of `archonc import` and `archonc export` (the original Archon JSON format): J001-J022."""

from __future__ import annotations

from ..diagnostics import Severity
from . import Code

IMPORT = "import (and render, given a .json config)"
EXPORT = "export"


def _code(
    code: str,
    name: str,
    severity: Severity,
    summary: str,
    means: str,
    why: str,
    example: str,
    todo: str,
    emitted_by: str = IMPORT,
) -> Code:
    docs = f"## What it means\n{means}\n\n## Why\n{why}\n\n## Example\n```\n{example}\n```\n\n## What to do\n{todo}\n"
    return Code(code, name, severity, summary, docs, emitted_by)


CODES = (
    _code(
        "J001",
        "invalid-json",
        Severity.ERROR,
        "The config file is not well-formed JSON.",
        "The file does not parse as JSON: a missing comma or quote, a trailing comma,\na comment. The finding "
        "points at the offending character.",
        "Nothing can be imported from a file that does not parse.",
        '{"name": "demo", "layers": [[{"type": "generator",}]]}    # trailing comma',
        "Fix the JSON at the place named (remove the trailing comma, close the string).",
    ),
    _code(
        "J002",
        "invalid-config",
        Severity.ERROR,
        "The JSON parses but is not an Archon config: a key of the wrong type, a missing list, a bad value.",
        "The document is JSON but not in the shape of the original Archon configs: no\n`layers` list, a layer "
        "that is not a list of components, a number where a string\nbelongs, a non-positive `samples`.",
        "The original runner would fail on it, or do something other than intended;\nimporting it would guess.",
        '{"name": "demo", "layers": [[{"type": "generator", "model": "gpt-4o", "model_type": "OpenAI_API",\n'
        '                              "samples": 0}]]}',
        "Correct the value at the JSON path the message names.",
    ),
    _code(
        "J003",
        "unknown-component-type",
        Severity.ERROR,
        "A component `type` the original Archon does not define.",
        "A component's `type` is none of the component kinds (generator, fuser,\nranker, critic, verifier, "
        "unit_test_generator, unit_test_evaluator).",
        "Its behaviour is unknown, so it cannot be written as a layer. Custom\ncomponents cannot be imported.",
        '{"type": "genrator", "model": "gpt-4o", "model_type": "OpenAI_API"}',
        "Fix the spelling (the message suggests the nearest type), or write the layer by\nhand in .arch.",
    ),
    _code(
        "J004",
        "unknown-model-type",
        Severity.ERROR,
        "A `model_type` the original Archon does not define.",
        "A component's `model_type` (OpenAI_API, Anthropic_API, Together_API, ...) is\nnot one the original knows, "
        "so its provider cannot be told.",
        "Without the provider the model id cannot be written as a litellm model.",
        '{"type": "generator", "model": "gpt-4o", "model_type": "OpenAi"}',
        "Fix the spelling (the message suggests the nearest model type).",
    ),
    _code(
        "J010",
        "ignored-key",
        Severity.INFO,
        "A key the original runner never reads (a warning when it looks like a misspelt key).",
        "The config has a key that the original runner ignores for this component;\ndropping it changes nothing. "
        "An unknown key that looks like a misspelling of a\nknown one is a warning rather than a note.",
        "A misspelt key (`temprature`) silently keeps the default in the original too:\nthe author would want "
        "to hear about it.",
        '{"type": "generator", "model": "gpt-4o", "model_type": "OpenAI_API", "temprature": 0.2}',
        "Correct a misspelt key; remove a key that is not needed.",
    ),
    _code(
        "J011",
        "not-expressible",
        Severity.WARNING,
        "A setting the language cannot express; it was approximated or dropped.",
        "The config asks for something the .arch language has no way to say (e.g.\n`samples` on a critic, "
        "different sample counts per model in one layer); the\nimport writes the nearest equivalent.",
        "The imported architecture behaves slightly differently from the original here.",
        '[{"type": "critic", "model": "gpt-4o", "model_type": "OpenAI_API", "samples": 3}]',
        "Read the message: it says what was written instead. Keep it if that is what\nyou meant.",
    ),
    _code(
        "J012",
        "adapted",
        Severity.INFO,
        "A shape or default of the original, written in the language's terms.",
        "A part of the config was read in an equivalent form: a layer written as one\ncomponent rather than a "
        "list, a model type mapped to its provider prefix, a\ndefault the original leaves to the model.",
        "The meaning is kept; the note says how it was written.",
        '"layers": [{"type": "generator", "model": "gpt-4o", "model_type": "OpenAI_API"}]',
        "Nothing is required; the note documents the mapping.",
    ),
    _code(
        "J013",
        "missing-key",
        Severity.WARNING,
        "A key the original runner requires is missing; the language's default applies.",
        "A component or the config lacks a key the original runner needs (`name`,\n`temperature`, a ranker's "
        "`top_k`, ...). The import fills in the language's\ndefault.",
        "The original would fail on this config; the imported one may not match what\nits author had in mind.",
        '{"type": "ranker", "model": "gpt-4o", "model_type": "OpenAI_API"}     # no top_k',
        "Add the key to the JSON, or check the default in the imported .arch.",
    ),
    _code(
        "J014",
        "reward-model-ranker",
        Severity.WARNING,
        "A ranker on a reward model (PairRM): no provider serves it here.",
        "The original can rank with a reward model run in-process; here every model is\ncalled through a "
        "provider, and none serves PairRM.",
        "The ranker is kept as written so export gives it back, but it cannot run\nuntil it names a model a "
        "provider serves.",
        '{"type": "ranker", "model": "llm-blender/PairRM", "model_type": "pairRM", "top_k": 5}',
        "Give the ranker an LLM (e.g. `model = gpt4o`) to run it here.",
    ),
    _code(
        "J015",
        "checks-every-candidate",
        Severity.INFO,
        "`first_k`/`first_pass`: the same candidates are kept, but every candidate is checked.",
        "The original stops verifying (or testing) once it has enough passing\ncandidates; the language keeps "
        "the same first passing candidates with\n`first_k`, but checks every candidate.",
        "The result is the same; the number of calls (and the cost) is not.",
        '{"type": "verifier", "model": "gpt-4o", "model_type": "OpenAI_API", "first_k": 2}',
        "Nothing is required; `archonc plan` shows the calls.",
    ),
    _code(
        "J020",
        "not-exportable",
        Severity.ERROR,
        "A model the original runner has no way to call.",
        "A model has no provider prefix, or a provider the original Archon has no\n`model_type` for, or an "
        "address the original config cannot hold.",
        "The exported config would name a model the original cannot call.",
        'model gpt = "gpt-4o"          # no provider prefix',
        "Write the model with its provider's prefix (`openai/gpt-4o`), or keep that\narchitecture in .arch.",
        EXPORT,
    ),
    _code(
        "J021",
        "dropped-on-export",
        Severity.WARNING,
        "Something the JSON format has no place for, left out of the export.",
        "Budgets, prices, context windows, rate limits, prompts or options with no\nequivalent in the original "
        "format are not written. A note (info) when they\nonly serve planning on this side; a warning when the "
        "original will behave\ndifferently.",
        "The exported config runs differently, or plans differently, than the .arch.",
        "budget cost <= 0.05\nlayer generator { model = gpt4o; samples = 3 }",
        "Nothing, if the original need not know; else keep running the .arch here.",
        EXPORT,
    ),
    _code(
        "J022",
        "default-configuration",
        Severity.INFO,
        "A template exported at its default configuration.",
        "The file is a template (it declares parameters) and no `-p` was given: its\ndefault configuration was "
        "exported.",
        "The JSON format has no parameters; one configuration has to be chosen.",
        "$ archonc export examples/itas.arch",
        "Choose another configuration with `-p name=value`.",
        EXPORT,
    ),
)
