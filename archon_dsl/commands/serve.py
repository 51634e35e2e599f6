"""CLI command that serves architectures as OpenAI-compatible models: `archonc serve`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .common import (
    EXIT_FINDINGS,
    EXIT_OK,
    add_cache_options,
    add_command,
    fail_usage,
    positive_int,
    print_findings,
)


def serve(args: argparse.Namespace) -> int:
    """Serve every architecture in the given files or directories as an OpenAI-compatible model.

    Each is a model named by its `archon "..."` name (or its file stem): GET /v1/models lists them
    with their plans, POST /v1/chat/completions answers (streaming too), GET /health reports. Every
    architecture is checked first as `archonc validate` checks it: an error is printed and nothing
    is served (exit 1). Ctrl-C or SIGTERM stops taking requests, lets those in flight finish and
    commits the cache. docs/serving.md has curl, openai SDK and litellm examples.
    """
    api_key = None
    if args.api_key_env is not None:
        api_key = os.environ.get(args.api_key_env)
        if not api_key:
            fail_usage(
                f"--api-key-env {args.api_key_env}: the variable is not set",
                f"export {args.api_key_env}=<the key clients must send as their bearer token>",
            )
    if args.no_cache and args.cache_dir is not None:
        fail_usage("--no-cache and --cache-dir contradict each other", "give one of them")
    if args.env_file is not None and not args.env_file.is_file():
        fail_usage(f"--env-file {args.env_file}: no such file")
    if args.log_requests is not None and args.log_requests.is_dir():
        fail_usage(f"--log-requests {args.log_requests} is a directory", "give a file, e.g. requests.jsonl")
    from ..serve.engine import Engine, Options
    from ..serve.http import create_app
    from ..serve.models import ModelsError, load_models

    try:
        models = load_models(args.paths, sim=args.sim)
    except ModelsError as e:
        if not e.results:
            fail_usage(str(e), e.hint)
        print_findings(e.results)
        sys.stderr.write(f"archonc: {e}\n")
        return EXIT_FINDINGS
    cache = False if args.no_cache else (args.cache_dir if args.cache_dir is not None else True)
    engine = Engine(
        models,
        Options(
            sim=args.sim,
            cache=cache,
            env_file=args.env_file if args.env_file is not None else ".env",
            max_requests=args.max_requests,
            timeout=args.timeout or None,
            concurrency=args.concurrency,
        ),
    )
    app = create_app(
        engine,
        api_key=api_key,
        log_requests=args.log_requests,
        max_body_bytes=args.max_body_bytes,
        keep_alive_s=args.keep_alive,
    )
    _run(app, args.host, args.port, [m.id for m in models], args.graceful_timeout)
    return EXIT_OK


KEEP_ALIVE_S = 75


def _run(app, host: str, port: int, names: list[str], graceful_timeout: float) -> None:
    """uvicorn on `host:port`; one line on stderr once it listens (with the port, when 0 asked for any)."""
    import uvicorn

    class Server(uvicorn.Server):
        async def startup(self, sockets=None) -> None:
            await super().startup(sockets)
            if self.started:
                bound = self.servers[0].sockets[0].getsockname()[1] if self.servers else port
                shown = f"[{host}]" if ":" in host else host
                sys.stderr.write(
                    f"archonc serve: {len(names)} model(s) at http://{shown}:{bound}/v1: {', '.join(names)}\n"
                )
                sys.stderr.flush()

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=max(1, round(graceful_timeout)),
        # Idle connections are kept longer than clients keep theirs (httpx: 5 s), so a client never
        # reuses one the server is closing that instant (a lost request, with no retry).
        timeout_keep_alive=KEEP_ALIVE_S,
        lifespan="on",
    )
    Server(config).run()


def add_commands(sub) -> None:
    """Add `serve` to `archonc`'s parser."""
    p = add_command(sub, "serve", serve)
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help=".arch files or directories of them")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)")
    p.add_argument(
        "--port",
        type=positive_int("--port", 0),
        default=8000,
        help="the port (default: 8000; 0: any free one)",
    )
    p.add_argument("--sim", action="store_true", help="answer offline: every model goes to the simulator")
    p.add_argument(
        "--api-key-env",
        metavar="VAR",
        help="require `Authorization: Bearer` with the value of VAR on /v1/ (401 otherwise)",
    )
    p.add_argument(
        "--log-requests",
        type=Path,
        metavar="FILE",
        help="append one JSON line per request here (no keys, no text)",
    )
    p.add_argument(
        "--max-requests",
        type=positive_int("--max-requests"),
        default=256,
        metavar="N",
        help="requests in flight at most; more are refused with 429 and Retry-After (default: 256)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="a request running longer is cancelled with 504 (default: 600; 0: no limit)",
    )
    p.add_argument(
        "--max-body-bytes",
        type=positive_int("--max-body-bytes"),
        default=1 << 20,
        metavar="N",
        help="a larger request body is refused with 413 (default: 1048576)",
    )
    p.add_argument(
        "--keep-alive",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="while a stream waits for earlier layers, an SSE comment this often (default: 10)",
    )
    p.add_argument(
        "--concurrency",
        "-j",
        type=positive_int("--concurrency", 0),
        metavar="N",
        help="calls in flight per architecture at most (default: the architecture's; 0: no bound)",
    )
    add_cache_options(p)
    p.add_argument(
        "--env-file",
        type=Path,
        metavar="FILE",
        help="read API keys from this file (default: .env, if present)",
    )
    p.add_argument(
        "--graceful-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="on Ctrl-C or SIGTERM, wait this long for requests in flight (default: 60)",
    )
