"""The VS Code extension: its manifest, and what the TextMate grammar makes of real .arch lines."""

from __future__ import annotations

import json
import re

import pytest
from archon_testing import ROOT

from archon_dsl.architecture import KINDS

EXTENSION = ROOT / "editors" / "vscode"
GRAMMAR = json.loads((EXTENSION / "syntaxes" / "arch.tmLanguage.json").read_text())


def _patterns(rules: list[dict]) -> list[dict]:
    """The grammar's top-level rules with includes resolved, in order."""
    out = []
    for rule in rules:
        if "include" in rule:
            entry = GRAMMAR["repository"][rule["include"][1:]]
            # A repository entry is a rule itself, or a list of rules.
            out.extend([entry] if "match" in entry or "begin" in entry else _patterns(entry["patterns"]))
        else:
            out.append(rule)
    return out


def tokens(line: str) -> list[tuple[str, str]]:
    """(text, scope) for each scoped piece of `line`, as a TextMate engine assigns them.

    At each position the rule matching earliest wins (the first listed on a
    tie); captures scope their groups; a begin/end rule scopes its span and
    runs its own patterns inside. Python's `re` reads these simple Oniguruma
    patterns the same way.
    """
    rules = _patterns(GRAMMAR["patterns"])
    out, pos = [], 0
    while pos < len(line):
        best = None
        for rule in rules:
            match = re.compile(rule.get("match") or rule["begin"]).search(line, pos)
            if match and match.end() > match.start() and (best is None or match.start() < best[1].start()):
                best = (rule, match)
        if best is None:
            break
        rule, match = best
        if "begin" in rule:
            # Inside, the end pattern and the inner patterns race; an inner match that starts
            # first (an escape) consumes its text, so an escaped quote never ends the string.
            inside, at = [], match.end()
            while True:
                end = re.compile(rule["end"]).search(line, at)
                subs = [
                    (m, sub)
                    for sub in rule.get("patterns", [])
                    for m in [re.compile(sub["match"]).search(line, at)]
                    if m
                ]
                first = min(subs, key=lambda ms: ms[0].start(), default=None)
                if first and (end is None or first[0].start() < end.start()):
                    inside.append((first[0].group(), first[1]["name"]))
                    at = first[0].end()
                    continue
                stop = end.end() if end else len(line)
                break
            out.append((line[match.start() : stop], rule["name"]))
            out += inside
            pos = stop
            continue
        if "captures" in rule:
            for group, spec in sorted(rule["captures"].items()):
                if match.group(int(group)):
                    out.append((match.group(int(group)), spec["name"]))
        else:
            out.append((match.group(), rule["name"]))
        pos = match.end()
    return out


def scope_of(line: str, text: str) -> str:
    return next(scope for piece, scope in tokens(line) if piece == text)


def test_manifest_points_at_files_that_exist():
    manifest = json.loads((EXTENSION / "package.json").read_text())
    [language] = manifest["contributes"]["languages"]
    [grammar] = manifest["contributes"]["grammars"]
    assert language["extensions"] == [".arch"] and grammar["language"] == language["id"]
    assert (EXTENSION / language["configuration"]).is_file() and (EXTENSION / grammar["path"]).is_file()
    assert grammar["scopeName"] == GRAMMAR["scopeName"] == "source.arch"
    config = json.loads((EXTENSION / language["configuration"]).read_text())
    assert config["comments"]["lineComment"] == "#"


def test_every_pattern_compiles():
    def walk(node):
        if isinstance(node, dict):
            for key in ("match", "begin", "end"):
                if key in node:
                    re.compile(node[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(GRAMMAR)


def test_every_keyword_of_the_lark_grammar_is_highlighted():
    lark = (ROOT / "grammar" / "archon.lark").read_text()
    keywords = set(re.findall(r'"([a-z]+)"', lark))
    text = json.dumps(GRAMMAR)
    missing = [k for k in keywords if not re.search(rf"\b{k}\b", text)]
    assert not missing


@pytest.mark.parametrize("kind", KINDS)
def test_component_kinds_after_layer(kind):
    assert scope_of(f"layer {kind} {{ model = gpt4o }}", kind) == "support.type.component.arch"


@pytest.mark.parametrize(
    "line, text, scope",
    [
        ("layer fusor { model = gpt4o }", "fusor", "invalid.illegal.unknown-kind.arch"),
        ("layer fuser { model = gpt4o }", "model", "variable.other.property.arch"),
        ("layer fuser { model = gpt4o }", "gpt4o", "variable.other.arch"),
        ("param n_gen: int = 3 in 1..4", "n_gen", "variable.parameter.arch"),
        ("param n_gen: int = 3 in 1..4", "int", "support.type.primitive.arch"),
        ("param n_gen: integer = 3 in 1..4", "integer", "invalid.illegal.unknown-type.arch"),
        ("param n_gen: int = 3 in 1..4", "..", "keyword.operator.range.arch"),
        ("param n_gen: int = 3 in 1..4", "4", "constant.numeric.integer.arch"),
        ("param n_gen: int = 3 in 1..4", "in", "keyword.control.arch"),
        ("defaults { temperature = 0.7 }", "0.7", "constant.numeric.float.arch"),
        ("defaults { temperature = 0.7 }", "defaults", "storage.type.declaration.arch"),
        ('model qwen = "openai/Qwen" { api_base = env("VLLM_BASE") }', "qwen", "entity.name.type.arch"),
        (
            'model qwen = "openai/Qwen" { api_base = env("VLLM_BASE") }',
            "env",
            "support.function.builtin.arch",
        ),
        ("budget calls <= 50  # from the plan", "calls", "support.constant.metric.arch"),
        ("budget calls <= 50  # from the plan", "<=", "keyword.operator.comparison.arch"),
        ("budget calls <= 50  # from the plan", "# from the plan", "comment.line.number-sign.arch"),
        ("constraint n_gen * samples <= 24", "*", "keyword.operator.arithmetic.arch"),
        ("if verify and not quick { }", "not", "keyword.operator.logical.arch"),
        ("if rank == true { }", "true", "constant.language.boolean.arch"),
        ("if rank == true { }", "==", "keyword.operator.comparison.arch"),
    ],
)
def test_scopes(line, text, scope):
    assert scope_of(line, text) == scope


def test_strings_hold_escapes_and_hide_comment_signs():
    found = tokens('archon "a \\"quoted\\" #1\\u0041"')
    assert found[1] == ('"a \\"quoted\\" #1\\u0041"', "string.quoted.double.arch")
    assert [t for t, s in found if s == "constant.character.escape.arch"] == ['\\"', '\\"', "\\u0041"]
    assert not any(s.startswith("comment") for _, s in found)


def test_pre_commit_hooks_run_the_linter_and_the_formatter_on_arch_files():
    import yaml

    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["archonc-validate"]["entry"] == "archonc validate"
    assert hooks["archonc-fmt"]["entry"] == "archonc fmt --check"
    assert all(
        re.search(hook["files"], "examples/moa.arch") and not re.search(hook["files"], "moa.json")
        for hook in hooks.values()
    )
