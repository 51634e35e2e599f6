"""Bounded resources on any input: only regular files are read, and every limit of archon_dsl.limits is a located error.

Each attack runs in a child process with a timeout, so a regression shows as a
failure (a hang, or a MemoryError), never as a stuck test run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from archon_testing import ROOT

from archon_dsl import limits
from archon_dsl.checker import check_path, check_text
from archon_dsl.diagnostics import ArchonError, read_source

# The child validates one file as `archonc validate` does and prints what it found (or what stopped it).
CHILD = textwrap.dedent("""
    import json, sys
    from archon_dsl.checker import check_path
    from archon_dsl.diagnostics import ArchonError

    def peak_rss_mb():
        # VmHWM is this program's own peak; ru_maxrss would include the forked pytest's before exec.
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    try:
        found = check_path(sys.argv[1]).diagnostics
    except ArchonError as e:
        found = e.diagnostics
    print(json.dumps({
        "diagnostics": [{"code": d.code, "message": d.message, "path": d.path, "hint": d.hint,
                         "line": d.span.line if d.span else None} for d in found],
        "rss_mb": peak_rss_mb(),
    }))
""")


def validate_in_child(path: Path | str) -> dict:
    """Validate `path` in a fresh interpreter; a hang fails the test after 60 s instead of blocking it."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout)


def _only(result: dict, code: str) -> dict:
    matching = [d for d in result["diagnostics"] if d["code"] == code]
    assert matching, result["diagnostics"]
    return matching[0]


# ---------------------------------------------------------------------------
# Only regular files, of bounded size
# ---------------------------------------------------------------------------


def test_a_fifo_given_as_the_file_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.arch"
    os.mkfifo(fifo)  # nobody ever writes to it: reading it would block forever
    found = _only(validate_in_child(fifo), "E000")
    assert "FIFO" in found["message"] and "not a regular file" in found["message"]
    assert found["path"] == str(fifo)


def test_dev_zero_given_as_the_file_is_refused_at_once():
    found = _only(validate_in_child("/dev/zero"), "E000")
    assert found["message"] == "cannot read /dev/zero: it is a device, not a regular file"


def test_include_of_dev_zero_is_a_located_error_not_a_memory_error(tmp_path):
    main = tmp_path / "main.arch"
    main.write_text('archon "x"\n\ninclude "/dev/zero"\nlayer generator { model = "openai/gpt-4o" }\n')
    result = validate_in_child(main)
    found = _only(result, "E000")
    assert found["message"] == "cannot read included file '/dev/zero': it is a device, not a regular file"
    assert found["path"] == str(main) and found["line"] == 3  # at the include that names it
    assert result["rss_mb"] < 400


def test_include_of_a_fifo_is_a_located_error_not_a_hang(tmp_path):
    os.mkfifo(tmp_path / "shared.arch")
    main = tmp_path / "main.arch"
    main.write_text('archon "x"\ninclude "shared.arch"\nlayer generator { model = "openai/gpt-4o" }\n')
    found = _only(validate_in_child(main), "E000")
    assert "included file 'shared.arch'" in found["message"] and "FIFO" in found["message"]
    assert found["line"] == 2


def test_a_directory_is_refused_by_name(tmp_path):
    with pytest.raises(ArchonError) as info:
        read_source(tmp_path)
    assert "it is a directory" in info.value.diagnostics[0].message


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    huge = tmp_path / "huge.arch"
    with open(huge, "wb") as f:  # sparse: the limit is checked from the size, not by reading
        f.truncate(limits.MAX_FILE_BYTES + 1)
    found = _only(validate_in_child(huge), "E000")
    assert f"{limits.MAX_FILE_BYTES + 1:,} bytes, over the limit of 16 MiB" in found["message"]


def test_a_regular_file_reads_as_text_with_universal_newlines(tmp_path):
    path = tmp_path / "crlf.arch"
    path.write_bytes(b'archon "x"\r\nlayer generator { model = "openai/gpt-4o" }\r\nlayer nope { }\r\n')
    assert read_source(path) == 'archon "x"\nlayer generator { model = "openai/gpt-4o" }\nlayer nope { }\n'
    assert any(d.span.line == 3 for d in check_path(path).diagnostics if d.span)


def test_includes_nested_past_the_limit_are_an_error_at_the_include(tmp_path):
    depth = limits.MAX_INCLUDE_DEPTH + 2
    for i in range(depth):
        (tmp_path / f"f{i}.arch").write_text(f'include "f{i + 1}.arch"\n')
    (tmp_path / f"f{depth}.arch").write_text('model m = "openai/gpt-4o"\n')
    main = tmp_path / "main.arch"
    main.write_text('archon "x"\ninclude "f0.arch"\nlayer generator { model = m }\n')
    found = _only(validate_in_child(main), "E007")
    assert f"more than {limits.MAX_INCLUDE_DEPTH} deep" in found["message"] and found["line"] == 1


def test_includes_within_the_limit_still_work(tmp_path):
    for i in range(5):
        (tmp_path / f"f{i}.arch").write_text(f'include "f{i + 1}.arch"\n')
    (tmp_path / "f5.arch").write_text('model m = "openai/gpt-4o"\n')
    main = tmp_path / "main.arch"
    main.write_text('archon "x"\ninclude "f0.arch"\nlayer generator { model = m }\n')
    assert not [d for d in check_path(main).diagnostics if d.is_error]


# ---------------------------------------------------------------------------
# String literals: a limit, and linear memory up to it
# ---------------------------------------------------------------------------


def test_a_string_literal_over_the_limit_is_a_located_syntax_error(tmp_path):
    path = tmp_path / "long.arch"
    path.write_text(
        'archon "x"\nlayer generator { model = "openai/gpt-4o"; prompt = "'
        + "a" * (limits.MAX_STRING_CHARS + 1)
        + '" }\n'
    )
    found = _only(validate_in_child(path), "E001")
    assert found["message"] == (
        f"a string of {limits.MAX_STRING_CHARS + 1:,} characters, over the limit of 1 MiB characters"
    )
    assert found["line"] == 2


def test_a_ten_megabyte_string_literal_costs_memory_in_proportion(tmp_path):
    # It once cost 2.7 GB: the lexer's regex kept state per character.
    path = tmp_path / "ten.arch"
    path.write_text(
        'archon "x"\nlayer generator { model = "openai/gpt-4o"; prompt = "' + "a" * 10_000_000 + '\\n" }\n'
    )
    result = validate_in_child(path)
    assert _only(result, "E001")["line"] == 2
    assert result["rss_mb"] < 400, result["rss_mb"]


def test_a_string_literal_at_the_limit_is_fine():
    text = (
        'archon "x"\nlayer generator { model = "openai/gpt-4o"; prompt = "{query}'
        + "a" * (limits.MAX_STRING_CHARS - 7)
        + '" }\n'
    )
    assert not [d for d in check_text(text).diagnostics if d.is_error]


# ---------------------------------------------------------------------------
# Samples, calls per layer, calls per query
# ---------------------------------------------------------------------------


def _over(text: str) -> list:
    return [d for d in check_text(text, "x.arch").diagnostics if d.code == "S015"]


def test_a_billion_samples_is_an_error_at_the_layer_not_a_warning(tmp_path):
    path = tmp_path / "billion.arch"
    path.write_text('archon "x"\nmodel m = "sim/a"\nlayer generator { model = m; samples = 1000000000 }\n')
    result = validate_in_child(path)
    found = _only(result, "S015")
    assert found["message"] == "samples = 1,000,000,000 in layer 1 (generator), over the limit of 1,000"
    assert found["line"] == 3 and found["hint"]
    assert len([d for d in result["diagnostics"] if d["code"] == "S015"]) == 1  # one cause, one finding


def test_samples_within_the_limit_pass():
    assert not _over(
        'layer generator { model = "sim/a"; samples = 1000 }\nlayer ranker { model = "sim/a"; top_k = 5 }\n'
        'layer fuser { model = "sim/a" }'
    )


def test_a_layer_over_the_calls_limit_is_an_error():
    found = _over(
        'layer generator { models = ["sim/a", "sim/b"]; samples = 600 }\n'
        'layer ranker { model = "sim/a"; top_k = 3 }\nlayer fuser { model = "sim/a" }'
    )
    assert [d.message for d in found] == [
        "layer 1 (generator) makes 1,200 calls per query, over the limit of 1,000 for one layer"
    ]
    assert found[0].span.line == 1


def test_a_verifier_judging_too_many_candidates_is_over_the_layer_limit():
    # 800 candidates, each judged by two models: at least 1,600 calls in layer 2.
    found = _over(
        'layer generator { models = ["sim/a", "sim/b"]; samples = 400 }\n'
        'layer verifier { models = ["sim/a", "sim/b"] }\nlayer ranker { model = "sim/a"; top_k = 1 }'
    )
    assert len(found) == 1 and found[0].span.line == 2
    assert re.fullmatch(
        r"layer 2 \(verifier\) makes [\d,]+ calls per query, over the limit of 1,000 for one layer",
        found[0].message,
    )


def test_a_query_over_the_calls_limit_is_an_error_at_the_layer_that_crosses_it():
    layers = ['layer generator { model = "sim/a"; samples = 1000 }']
    layers += ['layer fuser { model = "sim/a"; samples = 1000 }'] * 10
    layers += ['layer fuser { model = "sim/a" }']
    found = _over("\n".join(layers))
    assert [d.message for d in found] == [
        "by layer 11 (fuser) a query makes 11,000 calls, over the limit of 10,000 per query"
    ]
    assert found[0].span.line == 11


def test_the_limits_are_documented_where_the_language_is():
    text = (ROOT / "docs" / "language.md").read_text()
    section = text.split("## Limits", 1)[1].split("\n## ", 1)[0]
    for figure in (
        "16 MiB",
        f"{limits.MAX_INCLUDE_DEPTH} files deep",
        "1 MiB",
        f"{limits.MAX_SAMPLES:,}",
        f"{limits.MAX_LAYER_CALLS:,}",
        f"{limits.MAX_CALLS_PER_QUERY:,}",
    ):
        assert figure in section, figure


def test_an_unchecked_run_over_a_limit_stops_before_scheduling_anything(tmp_path):
    # --no-check skips validate, not the limits: the executor refuses before it schedules a call.
    path = tmp_path / "billion.arch"
    path.write_text(
        'archon "x"\nlayer generator { model = "sim/a"; samples = 1000000000 }\nlayer fuser { model = "sim/a" }\n'
    )
    done = subprocess.run(
        [sys.executable, "-m", "archon_dsl.cli", "run", str(path), "hi", "--sim", "--no-check"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert done.returncode == 2, done.stderr
    assert (
        f"{path}:2:1: error: S015 [over-limit] samples = 1,000,000,000 in layer 1 (generator)" in done.stderr
    )
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_the_executor_refuses_an_architecture_over_a_limit():
    from archon_dsl.loader import load_text
    from archon_dsl.runtime.executor import Executor

    over = load_text('layer generator { model = "sim/a"; samples = 5000 }').instantiate()
    with pytest.raises(ArchonError) as info:
        Executor(over, provider=None)
    assert [d.code for d in info.value.diagnostics] == ["S015"]


@pytest.mark.parametrize("command", [["validate"], ["run", "--sim"], ["plan"], ["render", "-f", "dot"]])
def test_every_command_refuses_a_fifo_without_hanging(tmp_path, command):
    fifo = tmp_path / "pipe.arch"
    os.mkfifo(fifo)
    args = [*command[:1], str(fifo), *(["hi"] if command[0] == "run" else []), *command[1:]]
    done = subprocess.run(
        [sys.executable, "-m", "archon_dsl.cli", *args], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "FIFO (named pipe), not a regular file" in done.stderr and "Traceback" not in done.stderr
