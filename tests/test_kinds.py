"""The kind registry: a new kind is one component class plus one register_kind(), and every command knows it."""

from typing import Any

import pytest

import archon_dsl as ad
from archon_dsl.architecture import Layer
from archon_dsl.components.base import Candidate, Degradation, State
from archon_dsl.components.parsing import require_text
from archon_dsl.components.prompting import call_spec, source
from archon_dsl.kinds import (
    BUILTIN_NAMES,
    KindSpec,
    OptionSpec,
    is_kind,
    kind_names,
    kind_spec,
    register_kind,
    unregister_kind,
)


class Echo:
    """Toy kind: each model restates each of the first `keep` candidates; its replies are the new candidates."""

    kind = "echo"

    def _kept(self, layer: Layer, state: State) -> tuple[Candidate, ...]:
        return state.candidates[: layer.option("keep")]

    def calls(self, layer: Layer, state: State, index: int):
        return [
            call_spec(
                layer,
                model,
                default_system="Restate what you are given.",
                default_prompt="{candidate}",
                values={"query": state.query, "candidate": c.text},
                parse=require_text,
                tag=f"echo[{k}]",
            )
            for k, (model, c) in enumerate((m, c) for m in layer.models for c in self._kept(layer, state))
        ]

    def combine(self, layer: Layer, state: State, index: int, results: list[Any]):
        pairs = [(m, c) for m in layer.models for c in self._kept(layer, state)]
        out, lost = [], []
        for k, ((model, _), text) in enumerate(zip(pairs, results, strict=True)):
            if text is None:
                lost.append(Degradation(index, self.kind, f"echo[{k}]", "no usable response", "left out"))
            else:
                out.append(Candidate(text=text, source=source(index, model, k)))
        return state.with_(candidates=tuple(out)), lost


def _kept(layer: Layer, candidates_in: int) -> int:
    return min(layer.option("keep"), candidates_in)


ECHO = KindSpec(
    "echo",
    f"{__name__}:Echo",
    "restates the first candidates",
    options=(OptionSpec("keep", "int", 2, doc="candidates restated"),),
    placeholders=("query", "candidate"),
    consumes=frozenset({"candidates"}),
    produces=frozenset({"candidates"}),
    effect="replace",
    calls_per_model=_kept,
    candidates_out=lambda layer, n: len(layer.models) * _kept(layer, n),
    reads="one",
    call_key="candidate",
    shape="egg",
    hue="#BBCC33",
    mermaid=("((", "))"),
)

ARCH = """\
archon "echoes"
model a = "sim/a"
model b = "sim/b"
layer generator { models = [a, b]; samples = 2 }
layer echo { models = [a, b]; keep = 3 }
layer ranker { model = a; top_k = 1 }
"""


@pytest.fixture
def echo():
    register_kind(ECHO)
    try:
        yield ECHO
    finally:
        unregister_kind("echo")


def test_the_builtin_kinds_are_the_papers_seven_in_order():
    assert BUILTIN_NAMES == (
        "generator",
        "critic",
        "ranker",
        "fuser",
        "verifier",
        "unit_test_generator",
        "unit_test_evaluator",
    )
    assert kind_spec("verifier").single_model and not kind_spec("fuser").single_model
    assert kind_spec("critic").pass_through and not kind_spec("ranker").pass_through


def test_a_registered_kind_is_validated_with_its_own_options(echo):
    assert ad.check(ARCH).diagnostics == []
    typo = ad.check(ARCH.replace("keep = 3", "kep = 3")).diagnostics
    assert [(d.code, "did you mean `keep`" in (d.hint or "")) for d in typo] == [("E003", True)]
    wrong = ad.check(ARCH.replace("keep = 3", "keep = true")).diagnostics
    assert [d.message for d in wrong] == ["`keep` needs an int, got bool"]
    foreign = ad.check(ARCH.replace("keep = 3", "top_k = 3")).diagnostics
    assert [d.code for d in foreign] == ["E003"]  # a ranker's option is not an echo's


def test_plan_counts_a_registered_kinds_calls_and_candidates(echo):
    p = ad.plan(ARCH)
    generator, layer, ranker = p.layers
    assert generator.candidates_out == (4, 4)
    assert (layer.calls_min, layer.calls_max) == (6, 6)  # 2 models x keep 3 of the 4 candidates
    assert layer.candidates_out == (6, 6) and ranker.candidates_in == (6, 6)
    assert p.calls_max == 4 + 6 + 1
    assert ad.plan(ARCH.replace("keep = 3", "")).layers[1].calls_max == 4  # the default keep = 2


def test_render_draws_a_registered_kind_in_its_shape_and_colour(echo):
    dot = ad.render(ARCH, "dot")
    assert "shape=egg" in dot and "2. echo" in dot
    mermaid = ad.render(ARCH, "mermaid")
    assert 'L1_m0(("a<br/>' in mermaid and "classDef echo" in mermaid


def test_expand_prints_a_registered_kinds_options_back(echo):
    from archon_dsl.api import resolve_architecture

    arch = resolve_architecture(ARCH)
    assert arch.layers[1].options == {"keep": 3}
    assert "layer echo { models = [a, b]; keep = 3 }" in arch.to_arch()


def test_the_executor_runs_a_registered_kind_on_the_simulator(echo):
    result = ad.run(ARCH, "What is 17 * 23?", sim=True, cache=None)
    assert result.error is None and result.answer
    assert result.calls == 4 + 6 + 1
    assert [stats.kind for stats in result.layers] == ["generator", "echo", "ranker"]


def test_an_unregistered_kind_is_unknown_again():
    assert not is_kind("echo") and "echo" not in kind_names()
    assert [d.code for d in ad.check(ARCH).diagnostics] == ["E002"]


def test_register_refuses_a_taken_or_malformed_name(echo):
    with pytest.raises(ValueError, match="already registered"):
        register_kind(ECHO)
    with pytest.raises(ValueError, match="built-in"):
        unregister_kind("critic")
    with pytest.raises(ValueError, match="identifier"):
        register_kind(KindSpec("not a name", "x:Y", "bad"))
