"""The reserved words are exactly the grammar's quoted word literals, and generated names avoid them."""

from __future__ import annotations

import re

from archon_testing import ROOT

from archon_dsl.architecture import ModelSpec
from archon_dsl.concrete import model_identifier
from archon_dsl.language.keywords import KEYWORDS


def test_keywords_are_the_grammars_word_literals():
    grammar = (ROOT / "grammar" / "archon.lark").read_text()
    assert set(re.findall(r'"([a-z]+)"', grammar)) == KEYWORDS


def test_a_model_named_after_a_keyword_gets_another_declared_name():
    # `when` came with conditional parameters; a model of that name must not be declared as `model when`.
    name = model_identifier(ModelSpec(name="when", id="openai/when"), set())
    assert name not in KEYWORDS and re.fullmatch(r"[A-Za-z_]\w*", name)
