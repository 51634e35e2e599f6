"""Every example of docs/serving.md runs: the server it starts, its curl commands, its Python blocks."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "serving.md"
ARCHONC = shutil.which("archonc", path=str(Path(sys.executable).parent)) or "archonc"
DOC_PORT = "8000"


def blocks(label: str) -> list[str]:
    """The text of every fenced block of the page with this label."""
    return re.findall(rf"^```{label}\n(.*?)^```$", DOC.read_text(encoding="utf-8"), re.S | re.M)


def commands() -> list[str]:
    return [
        line[2:] for block in blocks("shell-session") for line in block.splitlines() if line.startswith("$ ")
    ]


def free_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return str(s.getsockname()[1])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A reader's directory (a copy of examples/) with the page's server running in it, on a free port."""
    path = tmp_path_factory.mktemp("serving")
    shutil.copytree(ROOT / "examples", path / "examples")
    port = free_port()
    start = shlex.split(commands()[0].replace(DOC_PORT, port))
    assert start[:2] == ["archonc", "serve"] and "--sim" in start
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    process = subprocess.Popen([ARCHONC, *start[1:]], cwd=path, stderr=subprocess.PIPE, text=True, env=env)
    try:
        ready = process.stderr.readline()
        assert f"127.0.0.1:{port}/v1" in ready, ready
        yield path, port, env
    finally:
        process.terminate()
        process.wait(30)


@pytest.mark.parametrize("command", commands()[1:])
def test_curl_example(workspace, command):
    path, port, env = workspace
    assert command.startswith("curl ")
    done = subprocess.run(
        ["bash", "-c", command.replace(DOC_PORT, port) + " --fail-with-body"],
        cwd=path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    if '"stream": true' in command:
        events = [line[6:] for line in done.stdout.splitlines() if line.startswith("data: ")]
        assert events[-1] == "[DONE]"
        text = "".join(json.loads(e)["choices"][0]["delta"].get("content") or "" for e in events[:-1])
        assert "391" in text
    else:
        assert json.loads(done.stdout)


@pytest.mark.parametrize("number", range(len(blocks("python"))))
def test_python_example(workspace, number):
    path, port, env = workspace
    code = blocks("python")[number].replace(DOC_PORT, port)
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=path, capture_output=True, text=True, timeout=180, env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip()


def test_the_page_is_not_run_by_the_generic_docs_test():
    """Its blocks need a running server: they are `shell-session` and `python`, which test_docs_commands skips."""
    text = DOC.read_text(encoding="utf-8")
    assert not re.search(r"^```(sh|bash|shell|console)\s*$", text, re.M)
