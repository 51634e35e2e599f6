"""Every shell command the README and docs/*.md show runs, and exits as the text says.

What counts as a command block:
- a fenced block labelled sh, bash, shell or console;
- an unlabelled fenced block, or an indented (4-space) block, whose first non-blank line
  starts with `archonc `, `$ ` or a setup command (`python3 -m venv`, `pip`).
In a block that uses `$ ` prompts, only the prompted lines are commands (the rest is
output); otherwise every line that is not blank or a comment is one. A line ending in
`\\` continues on the next.

The exit status a command should have is 0, unless its own comment says otherwise:

    archonc validate examples/   # exit 1: examples/invalid/ holds the broken ones

(`# exit N` anywhere in the trailing comment). A command line the docs show as a
template (`archonc render FILE -o OUT ...`) has upper-case placeholders and is not run.

How they run: each document's commands run in order, in one temporary copy of the
repository's examples/, tests/fixtures/ and docs/ (so later commands see what earlier
ones wrote, as a reader's would), through this environment's `archonc`, with no API key
in the environment. A command that would call a model (run, search, rank-models) gets
`--sim` if it lacks it, and a search's `--trials`/`-n` is capped at MAX_TRIALS (and set to
it when not given); wildcards
expand as the shell would (no quoting is kept, so a quoted `*` that matches a path would
expand too: the docs have none). Setup
commands (`python3 -m venv`, `pip install`, `pytest`) are not run: the README's are
checked against what .ci/run installs and runs, and the archonc command that may follow
them in the same line runs as any other.

Bayesian searches (`archonc search` with the default `--strategy bo`) are marked `slow`:
`pytest -m "not slow"` leaves them out (and does not run them as earlier steps either).
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_LABELS = {"sh", "bash", "shell", "console"}
CALLS_MODELS = {"run", "search", "rank-models"}
MAX_TRIALS = 3
SETUP = re.compile(r"^(python3? -m venv|\. \S+/activate|source |pip |pytest\b)")
EXIT = re.compile(r"#.*\bexit\s+(\d+)")
PLACEHOLDER = re.compile(r"\b[A-Z]{3,}\b")  # FILE, OUT: a usage line, not a command
TIMEOUT = 300  # seconds for one command; a hang fails instead of stalling the suite
ARCHONC = shutil.which("archonc", path=str(Path(sys.executable).parent)) or shutil.which("archonc")


@dataclass(frozen=True)
class Command:
    """One shell command a document shows: where, the text, and the exit status it implies."""

    doc: str  # path relative to the repository
    line: int  # 1-based line of the command's first line
    text: str  # continuations joined, the trailing comment kept
    status: int

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


def _blocks(text: str) -> list[tuple[int, str | None, list[str]]]:
    """(first line number, fence label or None for indented blocks, lines) of every code block."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        fence = re.match(r"^(\s*)(`{3,})\s*([\w+-]*)\s*$", lines[i])
        if fence:
            indent, ticks, label = fence.groups()
            end = i + 1
            while end < len(lines) and not re.match(rf"^\s*{ticks}\s*$", lines[end]):
                end += 1
            body = [line[len(indent) :] if line.startswith(indent) else line for line in lines[i + 1 : end]]
            blocks.append((i + 2, label.lower(), body))
            i = end + 1
            continue
        # An indented block: after a blank line, lines indented 4+ spaces (not inside a list item's text).
        if lines[i].startswith("    ") and lines[i].strip() and (i == 0 or not lines[i - 1].strip()):
            end = i
            while end < len(lines) and (lines[end].startswith("    ") or not lines[end].strip()):
                end += 1
            blocks.append((i + 1, None, [line[4:] for line in lines[i:end]]))
            i = end
            continue
        i += 1
    return blocks


def _is_command_block(label: str | None, body: list[str]) -> bool:
    if label:
        return label in SHELL_LABELS
    first = next((line.strip() for line in body if line.strip()), "")
    return first.startswith(("archonc ", "$ ")) or bool(SETUP.match(first))


def commands_of(path: Path) -> list[Command]:
    """The commands of one document, in order."""
    doc = str(path.relative_to(ROOT))
    found = []
    for start, label, body in _blocks(path.read_text(encoding="utf-8")):
        if not _is_command_block(label, body):
            continue
        prompted = any(line.startswith("$ ") for line in body)
        k = 0
        while k < len(body):
            line, number = body[k], start + k
            k += 1
            if prompted:
                if not line.startswith("$ "):
                    continue
                line = line[2:]
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            while line.rstrip().endswith("\\") and k < len(body):
                line = line.rstrip()[:-1] + " " + body[k].strip()
                k += 1
            status = EXIT.search(line)
            found.append(Command(doc, number, line.strip(), int(status.group(1)) if status else 0))
    return found


ALL = [command for doc in DOCS for command in commands_of(doc)]


def _steps(text: str) -> list[str]:
    """A command line's `&&` steps, its trailing comment dropped."""
    words = shlex.split(text, comments=True)
    steps, current = [], []
    for word in words:
        if word == "&&":
            steps.append(shlex.join(current))
            current = []
        else:
            current.append(word)
    steps.append(shlex.join(current))
    return [s for s in steps if s]


def runnable(command: Command) -> list[list[str]]:
    """The archonc invocations a command stands for here: setup steps dropped, --sim added, trials capped."""
    if PLACEHOLDER.search(command.text.split("#")[0]):
        return []
    out = []
    for step in _steps(command.text):
        if SETUP.match(step):
            continue
        argv = shlex.split(step)
        assert argv[0] == "archonc", f"{command.id}: only archonc commands are run here, not {argv[0]!r}"
        if len(argv) > 1 and argv[1] in CALLS_MODELS and "--sim" not in argv:
            argv.append("--sim")
        if argv[1:2] == ["search"]:
            flag = next((f for f in ("--trials", "-n") if f in argv[:-1]), None)
            if flag is None:
                argv += ["--trials", str(MAX_TRIALS)]
            else:
                at = argv.index(flag) + 1
                argv[at] = str(min(int(argv[at]), MAX_TRIALS))
        out.append([ARCHONC, *argv[1:]])
    return out


def _expand(word: str, cwd: Path) -> list[str]:
    """A word with wildcards as the shell expands it: the matching paths, or the word itself if none."""
    if not glob.has_magic(word):
        return [word]
    return sorted(glob.glob(word, root_dir=cwd)) or [word]


class Workspace:
    """A reader's directory for one document: a copy of the examples, fixtures and docs; commands run in order."""

    def __init__(self, path: Path, commands: list[Command]):
        assert ARCHONC, "archonc is not installed in this environment (pip install -e .)"
        self.path = path
        self.commands = commands
        self.done = 0
        shutil.copytree(ROOT / "examples", path / "examples")
        shutil.copytree(ROOT / "tests" / "fixtures", path / "tests" / "fixtures")
        shutil.copytree(ROOT / "docs", path / "docs")
        self.env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_API_TOKEN"))}
        self.env.update(NO_COLOR="1", COLUMNS="120")

    def run(self, command: Command) -> list[tuple[list[str], subprocess.CompletedProcess]]:
        """Run the commands before this one (what a reader has done by then), then this one.

        Earlier commands not run yet (deselected, or this test was picked alone) run first, but
        for slow ones: a Bayesian search's output is read only by another (a --resume).
        """
        position = self.commands.index(command)
        for earlier in self.commands[self.done : position]:
            if not _slow(earlier):
                self._execute(earlier)
        self.done = position + 1
        return self._execute(command)

    def _execute(self, command: Command) -> list[tuple[list[str], subprocess.CompletedProcess]]:
        results = []
        for argv in runnable(command):
            argv = [argv[0], *(word for arg in argv[1:] for word in _expand(arg, self.path))]
            done = subprocess.run(
                argv,
                cwd=self.path,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                stdin=subprocess.DEVNULL,
            )
            results.append((argv, done))
            if done.returncode != 0:
                break  # `&&`: the rest does not run
        return results


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory):
    made: dict[str, Workspace] = {}

    def workspace(doc: str) -> Workspace:
        if doc not in made:
            made[doc] = Workspace(tmp_path_factory.mktemp(Path(doc).stem), [c for c in ALL if c.doc == doc])
        return made[doc]

    return workspace


def _slow(command: Command) -> bool:
    """Bayesian searches (the default strategy) load Ax and BoTorch and fit a model per trial: 5-20 s each."""
    for argv in runnable(command):
        strategy = argv[argv.index("--strategy") + 1] if "--strategy" in argv[:-1] else "bo"
        if argv[1:2] == ["search"] and strategy == "bo":
            return True
    return False


@pytest.mark.parametrize(
    "command", [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if _slow(c) else []) for c in ALL]
)
def test_command_exits_as_documented(command, workspaces):
    if not runnable(command):
        pytest.skip("a setup command or a usage template: checked in text, not run")
    results = workspaces(command.doc).run(command)
    argv, done = results[-1]
    shown = shlex.join(["archonc", *argv[1:]])
    assert done.returncode == command.status, (
        f"{command.id}: `{command.text}` should exit {command.status}, ran `{shown}`: exit {done.returncode}\n"
        f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
    )


def test_every_document_is_read():
    """The extraction finds the blocks it should: a broken fence parser would silently test nothing."""
    by_doc = {doc: [c for c in ALL if c.doc == doc] for doc in {c.doc for c in ALL}}
    assert len(by_doc.get("README.md", [])) >= 10
    assert len(by_doc.get("docs/tutorial.md", [])) >= 10


# -- the README's setup commands, checked in text against CI ------------------------------------


def _setup_lines() -> list[Command]:
    return [c for c in ALL if c.doc == "README.md" and SETUP.match(c.text)]


def test_readme_shows_two_setup_commands():
    setup = _setup_lines()
    assert len(setup) == 2, [c.text for c in setup]
    first, second = (_steps(c.text) for c in setup)
    # The same environment, then the package with its search extra (to run the main job) or its test extra.
    assert first[:3] == second[:3]
    assert first[3] == "pip install -e '.[search]'" and second[3] == "pip install -e '.[test]'"
    assert second[4:] == ["pytest"]


def test_ci_runs_the_readme_test_command_and_its_torch():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    # .ci/run runs the first README line holding `pip install -e ".[test]"`, verbatim: it must be the second setup command.
    assert "grep -m1 -A0 'pip install -e \".\\[test\\]\"' README.md" in ci
    picked = next(line.strip() for line in readme.splitlines() if 'pip install -e ".[test]"' in line)
    assert picked == _setup_lines()[1].text
    # Both README commands pin one torch; the wheel's venv installs none: it proves the core works alone.
    pins = {step for c in _setup_lines() for step in _steps(c.text) if step.startswith("pip install torch")}
    assert len(pins) == 1
    assert "torch" not in ci.split("== wheel in a fresh venv", 1)[1]
