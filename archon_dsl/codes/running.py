"""Codes of running an architecture: limits, cache, the --out file, the sandbox (E030-E040) and datasets (D001)."""

from __future__ import annotations

from ..diagnostics import Severity
from .interop import _code

RUN = "run (and search, rank-models, which run the architecture)"

CODES = (
    _code(
        "E030",
        "bad-limits",
        Severity.ERROR,
        "A rate or concurrency limit that is not a positive number.",
        "A limit from the environment (`ARCHON_RPM_OPENAI`, `ARCHON_CONCURRENCY`, ...),\nfrom `archon.toml`'s "
        "`[limits]` table or `.archon/limits.toml`, or from a\n`provider` block, is unknown, not a number, not "
        "positive, or not whole where\nit must be.",
        "A limit that cannot be read would be ignored or misapplied: calls would be\nsent faster than the "
        "provider allows.",
        '# archon.toml\n[limits.openai]\nrpm = "fast"',
        "Give rpm, tpm or concurrency as positive numbers (concurrency a whole number).",
        RUN,
    ),
    _code(
        "E031",
        "bad-cache",
        Severity.ERROR,
        "The reply cache cannot be opened, or is a database of another shape.",
        "The SQLite file that caches model replies cannot be created or opened, or it\nhas a `replies` table of "
        "another shape (another program's, or another version's).",
        "Replies could not be cached; the file is left as it is rather than\noverwritten.",
        "$ archonc run arch.arch --data q.jsonl --cache-dir /read-only/dir",
        "Move the file away, give another `--cache-dir`, or run with `--no-cache`.",
        RUN,
    ),
    _code(
        "E032",
        "bad-output",
        Severity.ERROR,
        "`--out` cannot be used: a directory, unwritable, or a file this tool did not write.",
        "The results file given as `--out` is a directory, cannot be created or\nlocked, or exists and is not "
        "a resumable output of this command (it is left\nuntouched).",
        "A run appends one line per finished query to `--out` and resumes from it;\nanother file would be "
        "corrupted or misread.",
        "$ archonc run arch.arch --data q.jsonl --out notes.txt      # an existing file of notes",
        "Give a new file, or the .jsonl a previous run of this command wrote.",
        RUN,
    ),
    _code(
        "E033",
        "output-locked",
        Severity.ERROR,
        "`--out` is in use by another run.",
        "Another run holds the lock on the same `--out` file.",
        "Two runs appending to one file would interleave and repeat rows.",
        "$ archonc run arch.arch --data q.jsonl --out r.jsonl &\n$ archonc run arch.arch --data q.jsonl --out r.jsonl",
        "Wait for that run to finish (it resumes the same rows), or give another\n`--out`.",
        RUN,
    ),
    _code(
        "E034",
        "output-failed",
        Severity.ERROR,
        "Writing `--out` failed during the run (e.g. the disk is full).",
        "A write to the results file failed part-way through the run.",
        "The run stops rather than lose results; the whole lines already written are\nkept.",
        "$ archonc run arch.arch --data q.jsonl --out /full-disk/r.jsonl",
        "Free some space (or fix the cause) and rerun the same command: finished rows\nare kept and only the "
        "rest run.",
        RUN,
    ),
    _code(
        "E040",
        "no-sandbox",
        Severity.ERROR,
        '`mode = "execute"` runs generated code, and no sandbox is available.',
        'A unit-test evaluator with `mode = "execute"` runs model-written code and\ntests; it runs them under '
        "bubblewrap, which is not installed (or cannot start)\nhere.",
        "Generated code is untrusted: running it unisolated could touch any file the\nuser can.",
        'layer unit_test_evaluator { model = gpt4o; mode = "execute" }',
        "Install bubblewrap (`apt-get install bubblewrap`), or pass `--unsafe-exec` to\nrun the code on this "
        "machine without isolation.",
        RUN,
    ),
    _code(
        "E041",
        "ray-unreachable",
        Severity.ERROR,
        "`--ray ADDRESS` names a Ray cluster that cannot be joined.",
        "`archonc run --ray ADDRESS` (or eval, search) runs its rows or trials on the Ray\ncluster at ADDRESS, "
        "and no cluster answered there (or Ray could not start a\nlocal instance).",
        "Nothing runs and nothing is paid: the rows would have nowhere to go.",
        "$ archonc run arch.arch --data q.jsonl --out r.jsonl --ray 10.0.0.5:6379",
        "Start the head node (`ray start --head`) and give its address, or give `--ray`\nwith no address for "
        "a local instance (docs/scale.md).",
        RUN,
    ),
    _code(
        "D001",
        "bad-dataset",
        Severity.ERROR,
        "A dataset that cannot be read: missing, not JSON Lines, a row that is not an object, duplicate ids.",
        "The `--data` file or built-in dataset name does not resolve to a readable\nJSON Lines file, or one of "
        "its rows is not valid JSON, not an object, has no\nquestion, or repeats an id.",
        "Every row is a query; a row that cannot be read would be skipped silently or\nmisattributed in the "
        "results.",
        '{"id": 1, "question": "2+2?"}\n{"id": 1, "question": "3+3?"}      # the same id twice',
        "Fix the line named: one JSON object per line, each with a `question` (or\n`query`/`prompt`) and a "
        "unique `id`.",
        "run, search, rank-models",
    ),
)
