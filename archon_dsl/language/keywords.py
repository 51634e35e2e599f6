"""The language's reserved words: the grammar's quoted word literals, which no name may be."""

from __future__ import annotations

# tests/language/test_keywords.py holds this equal to grammar/archon.lark's literals, so a keyword
# added to the grammar cannot be missed by the fast parser or by the printer of generated names.
KEYWORDS = frozenset(
    {
        "archon",
        "include",
        "defaults",
        "model",
        "provider",
        "pool",
        "param",
        "constraint",
        "budget",
        "layer",
        "repeat",
        "in",
        "if",
        "else",
        "or",
        "and",
        "not",
        "when",
        "true",
        "false",
    }
)
