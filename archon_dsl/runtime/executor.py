"""The executor: runs queries through an architecture layer by layer, every call of a layer at once."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import anyio

from ..architecture import Architecture, Defaults, Layer
from ..components.base import CallSpec, Component, Degradation, OutputError, State
from ..conversation import Message, check_messages, check_turns, split_last
from .keys import REDACTOR, redact
from .trace import CallRecord, LayerStats, QueryResult, TraceWriter, add_costs

# Extra asks when a reply does not parse, before the component degrades (the first ask excluded).
OUTPUT_RETRIES = 2


class Completer(Protocol):
    """What the executor needs from runtime.provider.Provider."""

    async def complete(
        self,
        spec: CallSpec,
        *,
        defaults: Defaults | None = None,
        metadata: dict | None = None,
        refresh: bool = False,
    ) -> Any: ...


@dataclass(frozen=True)
class Query:
    """One question to run: its id (unique in a run), its position in the dataset, the expected answer.

    A plain question is one user turn. `messages`, when given, is a checked conversation ending in
    the user's turn `question` (build it with `Query.of`). `turns`, when given, are MT-Bench-style
    user turns answered one after another, each asked with the earlier turns and the architecture's
    own answers to them; `question` is then the last turn.
    """

    question: str
    id: str = "0"
    index: int = 0
    reference: Any = None
    messages: tuple[Message, ...] = ()
    turns: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        value: str | Sequence[Mapping[str, Any]],
        id: str = "0",
        index: int = 0,
        reference: Any = None,
        *,
        turns: bool = False,
    ) -> Query:
        """A query from a question string or OpenAI-style messages (or, with `turns`, a list of user
        turns); bad messages raise conversation.MessagesError naming the field."""
        if turns:
            asked = check_turns(value)
            return cls(asked[-1], id, index, reference, turns=asked)
        if isinstance(value, str):
            return cls(value, id, index, reference)
        messages = check_messages(value)
        return cls(messages[-1]["content"], id, index, reference, messages=messages)


class QueryFailed(Exception):
    """A query cannot go on (every call of a layer failed, or no candidate is left)."""


@dataclass
class _Outcome:
    """What one call of a layer produced for `combine`, and its trace record."""

    value: Any = None
    record: CallRecord | None = None
    bug: BaseException | None = None  # an exception from our own code (parse raising a non-OutputError)
    earlier: list[CallRecord] = field(default_factory=list)  # the steps before `record` (CallSpec.then)


class Executor:
    """Runs one architecture against a provider; one instance belongs to one event loop.

    `concurrency` bounds the calls in flight over all queries (None: the architecture's
    `defaults.concurrency`; 0: no bound). `query_concurrency` bounds the queries in flight
    in `run_many` (None: the same as `concurrency`, or 256 when calls are unbounded), so
    queries finish roughly in order and a killed run leaves few half-done. `unsafe_exec`
    lets execute mode run generated code unisolated when no sandbox (bwrap) is available.
    """

    def __init__(
        self,
        arch: Architecture,
        provider: Completer,
        *,
        components: Mapping[str, Component] | None = None,
        concurrency: int | None = None,
        query_concurrency: int | None = None,
        output_retries: int = OUTPUT_RETRIES,
        include_messages: bool = False,
        trace: TraceWriter | None = None,
        unsafe_exec: bool = False,
    ):
        if components is None:
            from ..components import COMPONENTS

            components = COMPONENTS
        missing = sorted({layer.kind for layer in arch.layers} - set(components))
        if missing:
            raise ValueError(f"no component implements layer kind(s): {', '.join(missing)}")
        from ..limits import refuse_over_limits

        refuse_over_limits(arch)  # even unchecked (--no-check): a billion samples is never scheduled
        self.arch = arch
        REDACTOR.protect(
            arch
        )  # the keys it names (api_key = env("...")) are redacted from everything written
        self.provider = provider
        self.components = components
        self.concurrency = arch.defaults.concurrency if concurrency is None else concurrency
        self.query_concurrency = query_concurrency or self.concurrency or 256
        self.output_retries = max(0, output_retries)
        self.include_messages = include_messages
        self.trace = trace
        self._limiter: anyio.CapacityLimiter | None = None
        self._sandboxes: anyio.CapacityLimiter | None = None
        self._transports_ready = False
        self.unsafe_exec = unsafe_exec
        from .isolation import require_for

        require_for(arch, unsafe_exec)  # execute mode without a sandbox fails here, before any call

    # -- many queries ----------------------------------------------------------------

    async def run_many(
        self,
        queries: Iterable[Query],
        on_result: Callable[[QueryResult], Awaitable[None] | None] | None = None,
    ) -> list[QueryResult]:
        """Run `queries` concurrently; `on_result` sees each result as it finishes.

        Results come back in input order. A failed query records its error and the rest go
        on; cancelling the caller cancels every query in flight (none is left running).
        """
        results: dict[int, QueryResult] = {}
        slots = anyio.Semaphore(self.query_concurrency)

        async def one(position: int, query: Query) -> None:
            try:
                result = await self.run_query(query)
                results[position] = result
                if on_result is not None:
                    outcome = on_result(result)
                    if outcome is not None:
                        await outcome
            finally:
                slots.release()

        async with anyio.create_task_group() as group:
            for position, query in enumerate(queries):
                # Back-pressure: no task is created for a query until a slot is free.
                await slots.acquire()
                group.start_soon(one, position, query)
        return [results[i] for i in sorted(results)]

    # -- one query -------------------------------------------------------------------

    async def run_query(self, query: Query | str | Sequence[Mapping[str, Any]]) -> QueryResult:
        """One query through every layer; errors are recorded in the result, never raised.

        A string is one user turn; a list of messages is a conversation whose last (user) message
        is answered (bad messages raise conversation.MessagesError before anything runs). A Query
        with `turns` is answered turn by turn: the result's `turns` holds each turn's answer.
        """
        if not isinstance(query, Query):
            query = Query.of(query)
        result = QueryResult(
            id=query.id,
            question=query.question,
            reference=query.reference,
            messages=[dict(m) for m in query.messages] or None,
        )
        self._load_transports()
        start = time.perf_counter()
        try:
            if query.turns:
                await self._answer_turns(query, result)
            else:
                history, text = split_last(query.messages) if query.messages else ((), query.question)
                result.answer = await self._answer(State(query=text, history=history), query, result)
        except QueryFailed as e:
            result.error = str(e)
        except Exception as e:  # a component bug fails this query only; the run goes on
            result.error = redact(f"{type(e).__name__}: {e}")
        finally:
            result.latency_s = time.perf_counter() - start
        if self.trace is not None:
            self.trace.write_query(result)
        return result

    async def _answer_turns(self, query: Query, result: QueryResult) -> None:
        """Each user turn in order, asked with the earlier turns and this architecture's answers to them.

        A failed turn fails the query, naming the turn; the later turns are not asked. The result's
        layers are summed over the turns, one entry per layer.
        """
        answers: list[str | None] = [None] * len(query.turns)
        result.turns = answers
        conversation: list[Message] = []
        try:
            for turn, text in enumerate(query.turns, 1):
                history = tuple(conversation)
                conversation.append({"role": "user", "content": text})
                result.messages = list(conversation)  # what this turn's answer replies to
                try:
                    answer = await self._answer(State(query=text, history=history), query, result)
                except QueryFailed as e:
                    raise QueryFailed(f"turn {turn}: {e}") from None
                except Exception as e:  # a component bug, as in run_query, with its turn named
                    raise QueryFailed(redact(f"turn {turn}: {type(e).__name__}: {e}")) from None
                answers[turn - 1] = result.answer = answer
                conversation.append({"role": "assistant", "content": answer})
        except QueryFailed:
            result.answer = None
            raise
        finally:
            result.layers = _per_layer(result.layers)

    async def _answer(self, state: State, query: Query, result: QueryResult) -> str:
        """The answer to one turn: `state` through every layer, the first candidate left."""
        for index, layer in enumerate(self.arch.layers):
            state = await self._run_layer(index, layer, state, query, result)
        if not state.candidates:
            raise QueryFailed("no candidate is left after the last layer")
        return state.candidates[0].text

    def _load_transports(self) -> None:
        """Load every model's transport once, before any clock starts: an SDK's import (seconds for
        litellm) is no query's or call's latency."""
        if self._transports_ready:
            return
        self._transports_ready = True
        load = getattr(self.provider, "transport", None)  # the runtime Provider; other Completers have none
        if load is None:
            return
        from .keys import api_base_of
        from .provider import transport_for

        for model in {m.id: m for layer in self.arch.layers for m in layer.models}.values():
            try:
                load(transport_for(model, api_base_of(model, self.arch.providers)))
            except Exception:  # e.g. an SDK that is not installed: the call itself reports it, in its record
                pass

    async def _run_layer(
        self, index: int, layer: Layer, state: State, query: Query, result: QueryResult
    ) -> State:
        component = self.components[layer.kind]
        start = time.perf_counter()
        if layer.kind == "unit_test_evaluator" and _needs_execution(layer):
            values = await self._execute_tests(state)
            new_state, degradations = component.combine(layer, state, index, values)
            result.degradations.extend(_degradation_dict(d) for d in degradations)
            took = time.perf_counter() - start
            result.add_layer(LayerStats.of(index, layer.kind, [], took, len(new_state.candidates)))
            return new_state
        specs = component.calls(layer, state, index)
        outcomes = [_Outcome() for _ in specs]
        if len(specs) == 1:  # no task group needed for a lone call
            await self._call_steps(index, layer, specs[0], query, outcomes[0])
        elif specs:
            async with anyio.create_task_group() as group:
                for spec, outcome in zip(specs, outcomes, strict=True):
                    group.start_soon(self._call_steps, index, layer, spec, query, outcome)
        for outcome in outcomes:
            if outcome.bug is not None:
                raise outcome.bug
        records = [r for o in outcomes if o.record is not None for r in (*o.earlier, o.record)]
        result.records.extend(records)
        failed = [o.record for o in outcomes if o.record is not None and o.record.error is not None]
        if specs and len(failed) == len(specs):
            result.add_layer(LayerStats.of(index, layer.kind, records, time.perf_counter() - start, 0))
            raise QueryFailed(
                f"layer {index} ({layer.kind}): all {len(specs)} call(s) failed; first error: {failed[0].error}"
            )
        new_state, degradations = component.combine(layer, state, index, [o.value for o in outcomes])
        result.degradations.extend(_degradation_dict(d) for d in degradations)
        took = time.perf_counter() - start
        result.add_layer(LayerStats.of(index, layer.kind, records, took, len(new_state.candidates)))
        return new_state

    async def _call_steps(
        self, index: int, layer: Layer, spec: CallSpec, query: Query, outcome: _Outcome
    ) -> None:
        """A call and the calls that follow from its reply (CallSpec.then), one after another."""
        await self._call(index, layer, spec, query, outcome)
        while spec.then is not None and outcome.bug is None and outcome.value is not None:
            try:
                spec = spec.then(outcome.value)
            except Exception as e:  # a bug in the component, as in _call
                outcome.bug = e
                return
            step = _Outcome()
            await self._call(index, layer, spec, query, step)
            if outcome.record is not None:  # always set by _call; said for the type checker
                outcome.earlier.append(outcome.record)
            outcome.record, outcome.value, outcome.bug = step.record, step.value, step.bug

    async def _call(self, index: int, layer: Layer, spec: CallSpec, query: Query, outcome: _Outcome) -> None:
        """One call, re-asked while its reply does not parse; fills `outcome`, never raises (but cancels)."""
        record = CallRecord(
            query_id=query.id,
            layer=index,
            kind=layer.kind,
            tag=spec.tag,
            model=spec.model.id,
            sample=spec.sample,
        )
        outcome.record = record
        # The sim provider reads kind, sample and attempt (a re-ask must be a new draw); the
        # provider passes metadata on to sim models only.
        archon = {"kind": layer.kind, "sample": spec.sample, "attempt": 0, "layer": index, "query": query.id}
        cached = True
        costs: list[float | None] = []
        try:
            for ask in range(self.output_retries + 1):
                # A re-ask must reach the model again: the cached (unusable) reply is replaced.
                archon["attempt"] = ask
                reply = await self._complete(spec, {"archon": dict(archon)}, refresh=ask > 0)
                record.attempts = reply.attempts
                record.input_tokens += reply.input_tokens or 0
                record.output_tokens += reply.output_tokens or 0
                costs.append(_paid(spec.model, reply))
                record.cost_usd = add_costs(costs)
                record.latency_s += reply.latency_s or 0.0
                cached = cached and bool(reply.cached)
                record.reasks = ask
                if self.include_messages:  # redacted when written (CallRecord.to_dict)
                    record.messages = [dict(m) for m in spec.messages]
                    record.response = reply.text
                if reply.error is not None:
                    record.error = redact(str(reply.error))
                    return
                try:
                    outcome.value = spec.parse(reply.text)
                    record.parse_error = None
                    return
                except OutputError as e:
                    record.parse_error = redact(str(e)) or "output did not parse"
            outcome.value = None  # the component degrades; the trace keeps parse_error
        except Exception as e:
            outcome.bug = e
        finally:
            record.cached = cached and record.error is None

    async def _execute_tests(self, state: State) -> list[Any]:
        """Each candidate's code against the state's tests in the sandbox, off the event loop.

        One entry per candidate: a tuple of bools per test, or None if the sandbox could not
        run it. At most one sandbox per CPU runs at a time, over all queries: tests have time
        limits, and starved processes would fail them.
        """
        import functools
        import os

        from ..components.unit_test_evaluator import execution_jobs
        from .sandbox import SandboxError, run_tests

        if self._sandboxes is None:
            self._sandboxes = anyio.CapacityLimiter(os.cpu_count() or 1)
        jobs = execution_jobs(state)
        values: list[Any] = [None] * len(jobs)

        async def one(position: int, code: str, tests: tuple[str, ...]) -> None:
            try:
                run = functools.partial(run_tests, code, tests, unsafe_exec=self.unsafe_exec)
                passed = await anyio.to_thread.run_sync(run, limiter=self._sandboxes)
                values[position] = tuple(passed)
            except SandboxError:
                values[position] = None

        async with anyio.create_task_group() as group:
            for position, (code, tests) in enumerate(jobs):
                group.start_soon(one, position, code, tests)
        return values

    async def _complete(self, spec: CallSpec, metadata: dict | None, refresh: bool) -> Any:
        defaults = self.arch.defaults
        if self.concurrency:
            if self._limiter is None:
                self._limiter = anyio.CapacityLimiter(self.concurrency)
            async with self._limiter:
                return await self.provider.complete(
                    spec, defaults=defaults, metadata=metadata, refresh=refresh
                )
        return await self.provider.complete(spec, defaults=defaults, metadata=metadata, refresh=refresh)


def _paid(model, reply: Any) -> float | None:
    """What one ask cost: its price when it answered; a failed ask costs nothing unless usage came back.

    None (unknown) only when tokens were used on a model with no price.
    """
    if reply.error is None or reply.cost_usd is not None:
        return reply.cost_usd
    if not (reply.input_tokens or reply.output_tokens):
        return 0.0
    from ..pricing import model_info, spec_info

    info = spec_info(model) if getattr(reply, "model", model.id) == model.id else model_info(reply.model)
    return info.cost(reply.input_tokens, reply.output_tokens) if info is not None else None


def _per_layer(layers: list[LayerStats]) -> list[LayerStats]:
    """One LayerStats per layer index, summed over the turns of a multi-turn query (candidates: the last turn's)."""
    merged: dict[int, LayerStats] = {}
    for stats in layers:
        total = merged.get(stats.index)
        if total is None:
            merged[stats.index] = LayerStats(**{**vars(stats)})
            continue
        total.calls += stats.calls
        total.cached_calls += stats.cached_calls
        total.failed_calls += stats.failed_calls
        total.input_tokens += stats.input_tokens
        total.output_tokens += stats.output_tokens
        total.cost_usd = add_costs([total.cost_usd, stats.cost_usd])
        total.latency_s += stats.latency_s
        total.candidates = stats.candidates
    return [merged[i] for i in sorted(merged)]


def _needs_execution(layer: Layer) -> bool:
    from ..components.unit_test_evaluator import needs_execution

    return needs_execution(layer)


def _degradation_dict(d: Degradation) -> dict[str, Any]:
    return {"layer": d.layer, "kind": d.kind, "call": d.call, "reason": redact(d.reason), "action": d.action}
