"""`archonc serve` as a process: start-up checks, the openai SDK against it, graceful shutdown."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import openai
import pytest
from support.openai_server import Reply

from archon_dsl.runtime.cache import Cache

ROOT = Path(__file__).resolve().parents[2]
ARCHONC = shutil.which("archonc", path=str(Path(sys.executable).parent)) or "archonc"
READY = re.compile(r"at (http://127\.0\.0\.1:\d+/v1)")


def archonc(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ARCHONC, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )


def test_an_architecture_with_errors_is_not_served():
    done = archonc("serve", str(ROOT / "examples" / "invalid" / "dangling_critic.arch"), "--port", "0")
    assert done.returncode == 1
    validate = archonc("validate", str(ROOT / "examples" / "invalid" / "dangling_critic.arch"))
    for code in ("A004", "A005"):  # what validate reports, printed the same way
        assert code in done.stderr and code in validate.stdout + validate.stderr
    assert "not serving" in done.stderr and "Traceback" not in done.stderr


def test_a_template_whose_defaults_have_errors_is_not_served(tmp_path):
    path = tmp_path / "bad.arch"
    path.write_text(
        'model g = "sim/g"\nparam n: int = 0 in 0..2\nlayer generator { model = g; samples = n }\n'
    )
    done = archonc("serve", str(path), "--sim", "--port", "0")
    assert done.returncode == 1 and "S012" in done.stderr and "not serving" in done.stderr


def test_usage_errors_exit_2(tmp_path):
    assert archonc("serve", str(tmp_path / "missing.arch")).returncode == 2
    done = archonc("serve", str(ROOT / "examples" / "best_of_n.arch"), "--api-key-env", "ARCHON_NO_SUCH_VAR")
    assert done.returncode == 2 and "ARCHON_NO_SUCH_VAR" in done.stderr


def test_a_missing_extra_names_it(tmp_path):
    code = "import sys; sys.modules['fastapi'] = None; from archon_dsl.cli import main; main(sys.argv[1:])"
    done = subprocess.run(
        [sys.executable, "-c", code, "serve", str(ROOT / "examples" / "best_of_n.arch")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert 'pip install "archon-dsl[serve]"' in done.stderr


def test_serve_answers_then_shuts_down_gracefully(arch_dir, fake, tmp_path):
    env = {**os.environ, "ARCHON_TEST_KEY": "k-123", "NO_COLOR": "1"}
    process = subprocess.Popen(
        [ARCHONC, "serve", str(arch_dir), "--port", "0", "--api-key-env", "ARCHON_TEST_KEY"]
        + ["--cache-dir", str(tmp_path / "cache"), "--log-requests", str(tmp_path / "log.jsonl")],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        line = process.stderr.readline()
        found = READY.search(line)
        assert found, line
        client = openai.OpenAI(base_url=found.group(1), api_key="k-123", max_retries=0)
        assert {m.id for m in client.models.list().data} >= {"echo", "tpl"}
        fake.set("gen", Reply.ok("late but whole", latency=1.0))
        answers: list[str] = []
        slow = threading.Thread(
            target=lambda: answers.append(
                client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "wait"}])
                .choices[0]
                .message.content
            )
        )
        slow.start()
        while fake.in_flight == 0:
            pass
        process.send_signal(signal.SIGTERM)  # while the request is in flight
        slow.join(30)
        assert answers == ["late but whole"]
        assert process.wait(30) in (0, -signal.SIGTERM, 128 + signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    with Cache(tmp_path / "cache" / "cache.sqlite") as cache:
        assert cache.entries() == 1  # committed at shutdown
    assert '"status": 200' in (tmp_path / "log.jsonl").read_text()


@pytest.mark.parametrize("stream", [False, True])
def test_the_litellm_provider_runs_an_architecture_in_process(arch_dir, fake, tmp_path, stream):
    import litellm

    from archon_dsl.serve import register_litellm

    fake.set("gen", Reply.ok("in process"))
    register_litellm(cache=tmp_path / "cache", env_file=None)
    reply = litellm.completion(
        model=f"archon/{arch_dir / 'echo.arch'}", messages=[{"role": "user", "content": "hi"}], stream=stream
    )
    if stream:
        assert "".join(c.choices[0].delta.content or "" for c in reply) == "in process"
    else:
        assert reply.choices[0].message.content == "in process"
        assert reply.usage.completion_tokens == 2 and reply._hidden_params["archon"]["calls"] == 1
    assert fake.total_hits == 1
    with pytest.raises(litellm.BadRequestError, match="params.n_gen"):
        litellm.completion(
            model=f"archon/{arch_dir / 'tpl.arch'}",
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"params": {"n_gen": 7}},
        )
