"""Serve architectures as OpenAI-compatible models: the ASGI app (`app`), `archonc serve`, a litellm provider.

    import archon_dsl.serve
    asgi = archon_dsl.serve.app(["examples/"], sim=True)       # mount it, or: uvicorn.run(asgi)

    archon_dsl.serve.register_litellm()                          # then, in this process:
    litellm.completion(model="archon/examples/best_of_n.arch", messages=[...])

FastAPI, uvicorn and litellm are imported only by the functions that need them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["app", "register_litellm"]


def app(
    paths: list[str | Path] | str | Path,
    *,
    sim: bool = False,
    cache: Any = True,
    env_file: str | Path | None = ".env",
    api_key: str | None = None,
    log_requests: str | Path | None = None,
    max_requests: int = 256,
    timeout: float | None = 600.0,
    concurrency: int | None = None,
    max_body_bytes: int | None = None,
    keep_alive_s: float | None = None,
) -> Any:
    """The ASGI app (FastAPI) serving every architecture in `paths` (files, or directories' *.arch) as
    an OpenAI-compatible model, each checked as `archonc validate` checks it first (ModelsError with
    the findings otherwise). Options as for `archonc serve` (docs/serving.md)."""
    from .engine import Engine, Options
    from .http import KEEP_ALIVE_S, MAX_BODY_BYTES, create_app
    from .models import load_models

    if isinstance(paths, (str, Path)):
        paths = [paths]
    engine = Engine(
        load_models(list(paths), sim=sim),
        Options(
            sim=sim,
            cache=cache,
            env_file=env_file,
            max_requests=max_requests,
            timeout=timeout,
            concurrency=concurrency,
        ),
    )
    return create_app(
        engine,
        api_key=api_key,
        log_requests=log_requests,
        max_body_bytes=MAX_BODY_BYTES if max_body_bytes is None else max_body_bytes,
        keep_alive_s=KEEP_ALIVE_S if keep_alive_s is None else keep_alive_s,
    )


def register_litellm(provider: str = "archon", **options: Any) -> Any:
    """Make `litellm.completion(model="archon/PATH.arch", messages=...)` run that architecture in this
    process; `options` (sim, cache, env_file, ...) apply to every architecture it runs. Returns the handler."""
    from .litellm_provider import register

    return register(provider, **options)
