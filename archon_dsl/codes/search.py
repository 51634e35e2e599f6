"""Codes of `archonc search` and `archonc rank-models`: R010-R030."""

from __future__ import annotations

from ..diagnostics import Severity
from .interop import _code

CODES = (
    _code(
        "R010",
        "bad-scorer",
        Severity.ERROR,
        "A scorer that cannot be built, or cannot read a row's expected answer.",
        "The `--scorer` named is unknown, a custom scorer `module:function` cannot be\nimported, a regular "
        "expression does not compile, or a row's expected answer is\nnot of the form the scorer needs.",
        "Every trial is scored by it; a scorer that fails would score every\nconfiguration zero.",
        "$ archonc search itas.arch --data q.jsonl --scorer mymod.score     # not module:function",
        "Name a built-in scorer, or a custom one as `module:function`; give each row\nthe answer field the "
        "scorer reads.",
        "search, rank-models",
    ),
    _code(
        "R020",
        "search-output",
        Severity.ERROR,
        "The search directory cannot be used or resumed.",
        "The `--out` of a search is a file, cannot be read, or holds a search of\nanother template, dataset, "
        "scorer or seed, or a trials.jsonl line that is not\na trial record.",
        "A search resumes from its directory; mixing two searches' trials would give\na wrong best "
        "configuration.",
        "$ archonc search itas.arch --data q.jsonl --out runs/itas   # runs/itas holds another search",
        "Give a new directory, or the one this same search wrote; remove it to start\nafresh.",
        "search",
    ),
    _code(
        "R021",
        "search-usage",
        Severity.ERROR,
        "A search that cannot start: no rows, a row not an object, an option out of range.",
        "The search's dataset has no rows, or a row is not a JSON object, or an option\nis out of range "
        "(`--split` outside [0, 1), `--trials` below 1, an unknown\n`--objective` or strategy).",
        "Nothing could be evaluated.",
        "$ archonc search itas.arch --data empty.jsonl",
        "Give a dataset with at least one object per line, and options in range (the\nmessage names the one).",
        "search",
    ),
    _code(
        "R030",
        "rank-models",
        Severity.ERROR,
        "The models of a pool cannot be ranked as asked.",
        "`archonc rank-models` was given a file or pool it cannot rank (no such pool,\nor a file it cannot "
        "evaluate), or cannot write the ranked order back into the\nfile (a pool with comments inside its list).",
        "Ranking evaluates each model of the pool alone; without models there is\nnothing to rank.",
        "$ archonc rank-models itas.arch --pool proposer --data q.jsonl     # the pool is `proposers`",
        "Name a pool the file declares (the message lists them).",
        "rank-models",
    ),
)
