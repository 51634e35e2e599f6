"""A served app on loopback (uvicorn on a thread) over architectures whose models live on the fake OpenAI server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import openai
import pytest
import uvicorn
from support.openai_server import OpenAIServer

from archon_dsl.serve.engine import Engine, Options
from archon_dsl.serve.http import create_app
from archon_dsl.serve.models import load_models

API_KEY = "test-bearer-key"


def write_architectures(directory: Path, base_url: str) -> Path:
    """The served files: a one-call model, a two-layer one, a template, and one that times out fast."""
    models = "\n".join(
        f'model {name} = "openai/{name}" {{ api_base = "{base_url}" }}' for name in ("gen", "fuse", "slow")
    )
    files = {
        "echo.arch": f'archon "echo"\ndefaults {{ retries = 0 }}\n{models}\nlayer generator {{ model = gen }}\n',
        "fused.arch": f"defaults {{ retries = 0 }}\n{models}\n"
        "layer generator { model = gen; samples = 2 }\nlayer fuser { model = fuse }\n",
        "tpl.arch": f'archon "tpl"\ndefaults {{ retries = 0 }}\n{models}\n'
        "param n_gen: int = 1 in 1..3\nlayer generator { model = gen; samples = n_gen }\n"
        "layer fuser { model = fuse }\n",
        "slow.arch": f'archon "slow"\ndefaults {{ retries = 0; timeout = 0.3 }}\n{models}\n'
        "layer generator { model = slow }\n",
        "hang.arch": f'archon "hang"\ndefaults {{ retries = 0; timeout = 60 }}\n{models}\n'
        "layer generator { model = slow }\n",
    }
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


class Served:
    """uvicorn serving an app on 127.0.0.1, on a thread of its own."""

    def __init__(self, app):
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(20)

    def engine_in_flight(self) -> int:
        return self.server.config.app.state.engine.in_flight

    def client(self, api_key: str = API_KEY, **options) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.base_url, api_key=api_key, max_retries=0, **options)


@pytest.fixture(scope="package")
def fake():
    with OpenAIServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh(fake):
    fake.reset()


@pytest.fixture(scope="package")
def arch_dir(fake, tmp_path_factory) -> Path:
    return write_architectures(tmp_path_factory.mktemp("served"), fake.base_url)


def serve(arch_dir: Path, tmp: Path, **options):
    """A Served app over `arch_dir` with a cache in `tmp` (keyword options: Options' and create_app's)."""
    app_options = {
        k: options.pop(k)
        for k in ("api_key", "log_requests", "max_body_bytes", "keep_alive_s")
        if k in options
    }
    options.setdefault("cache", tmp / "cache")
    options.setdefault("env_file", None)
    engine = Engine(load_models([arch_dir]), Options(**options))
    return Served(create_app(engine, **app_options))


@pytest.fixture(scope="package")
def _served(arch_dir, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serve")
    with serve(
        arch_dir, tmp, api_key=API_KEY, log_requests=tmp / "requests.jsonl", keep_alive_s=0.05
    ) as running:
        running.log = tmp / "requests.jsonl"
        running.engine = running.server.config.app.state.engine
        yield running


@pytest.fixture
def served(_served):
    """The package's server, its cache emptied: each test sees its own calls reach the fake server."""
    _served.engine.provider.cache.clear()
    return _served
