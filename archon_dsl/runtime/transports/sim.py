"""The transport for `sim/<name>` models: the offline simulator, called directly (no litellm, no network)."""

from __future__ import annotations

from typing import Any

from ...architecture import ModelSpec
from . import Reply, Request


class SimTransport:
    """Answers from runtime/sim: the reply, its tokens and its simulated latency (slept only with `sleep = true`)."""

    name = "sim"

    async def send(self, request: Request) -> Reply:
        from ..sim import model, simulator

        archon: Any = (request.metadata or {}).get("archon") if request.metadata else None
        archon = archon if isinstance(archon, dict) else {}
        params = request.params
        config = simulator.SimConfig.for_model(request.model.id.removeprefix("sim/"), params)
        text = simulator.complete(
            request.model.id,
            request.messages,
            sample=int(archon.get("sample", 0) or 0),
            kind=archon.get("kind"),
            response_format=request.response_format,
            attempt=int(archon.get("attempt", 0) or 0),
            params=params,
            config=config,
        )
        if request.max_tokens and simulator.tokens(text) > request.max_tokens:
            text = text[: request.max_tokens * 4]
        prompt = simulator.prompt_tokens(request.messages)
        completion = simulator.tokens(text)
        jitter = model.uniform(f"latency|{config.seed}|{request.model.id}|{prompt}|{text}")
        latency = config.latency_for(completion, prompt, jitter)
        if config.sleep and latency > 0:
            import anyio

            await anyio.sleep(latency)
        return Reply(text, prompt, completion, latency_s=latency)

    def takes_response_format(self, model: ModelSpec) -> bool:
        # As litellm-backed sim calls had it: no schema is sent, so the simulator answers in the
        # prose forms the components' tolerant parsers read (runs stay comparable).
        return False
