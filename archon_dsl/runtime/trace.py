"""Accounting and traces: per-call records, per-layer and per-query totals, JSONL traces, run summaries."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from .keys import redact_data


def add_costs(costs: Iterable[float | None]) -> float | None:
    """Sum of dollar amounts; None as soon as one is unknown (an unknown price is never 0)."""
    total = 0.0
    for cost in costs:
        if cost is None:
            return None
        total += cost
    return total


def add_tokens(counts: Iterable[int | None]) -> int:
    return sum(c for c in counts if c)


@dataclass
class CallRecord:
    """One LLM call of a run, as written to the trace (never with credentials)."""

    query_id: str
    layer: int
    kind: str
    tag: str
    model: str
    sample: int
    cached: bool = False
    attempts: int = 0  # provider attempts (HTTP retries included) of the last ask
    reasks: int = 0  # extra asks because the reply did not parse
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    latency_s: float = 0.0
    error: str | None = None  # the provider failed (after its retries)
    parse_error: str | None = None  # the reply never parsed; the component degraded
    messages: list[dict[str, str]] | None = None  # only with include_messages
    response: str | None = None  # only with include_messages

    def to_dict(self) -> dict[str, Any]:
        """The trace line's fields, every known secret redacted."""
        data = asdict(self)
        texts = (
            ("tag", "error", "parse_error")
            if self.messages is None
            else ("tag", "error", "parse_error", "messages", "response")
        )
        if self.messages is None:
            data.pop("messages")
            data.pop("response")
        data.update(redact_data({name: data[name] for name in texts}))  # the rest are numbers and ids
        return data


@dataclass
class LayerStats:
    """Totals of one layer for one query."""

    index: int
    kind: str
    calls: int = 0
    cached_calls: int = 0
    failed_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0
    latency_s: float = 0.0  # wall time of the layer: its calls overlap
    candidates: int = 0  # candidates leaving the layer

    @classmethod
    def of(
        cls, index: int, kind: str, records: list[CallRecord], latency_s: float, candidates: int
    ) -> LayerStats:
        return cls(
            index=index,
            kind=kind,
            calls=len(records),
            cached_calls=sum(r.cached for r in records),
            failed_calls=sum(r.error is not None for r in records),
            input_tokens=add_tokens(r.input_tokens for r in records),
            output_tokens=add_tokens(r.output_tokens for r in records),
            cost_usd=add_costs(r.cost_usd for r in records),
            latency_s=latency_s,
            candidates=candidates,
        )


@dataclass
class QueryResult:
    """One query's answer and what it took: calls, tokens, dollars, time, what went wrong."""

    id: str
    question: str
    answer: str | None = None
    error: str | None = None
    reference: Any = None  # the expected answer, when the dataset row has one
    calls: int = 0
    cached_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0
    latency_s: float = 0.0
    layers: list[LayerStats] = field(default_factory=list)
    degradations: list[dict[str, Any]] = field(default_factory=list)
    records: list[CallRecord] = field(default_factory=list, repr=False)
    # A conversation's messages, ending in the user's turn `answer` replies to (None: a plain question).
    messages: list[dict[str, str]] | None = None
    # A multi-turn query's answer to each user turn, in order (None where a turn failed or did not run).
    turns: list[str | None] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def add_layer(self, stats: LayerStats) -> None:
        self.layers.append(stats)
        self.calls += stats.calls
        self.cached_calls += stats.cached_calls
        self.input_tokens += stats.input_tokens
        self.output_tokens += stats.output_tokens
        self.cost_usd = add_costs([self.cost_usd, stats.cost_usd])

    def to_dict(self) -> dict[str, Any]:
        """The output-file row: everything but the per-call records (those go to the trace).

        Every writer (--out, --json, the trace) writes this, so every known secret in a
        question, answer, error or reference is redacted here (keys.Redactor). `messages` and
        `turns` are written only when set, so a plain question's row is as it always was.
        """
        text = redact_data(
            {
                "question": self.question,
                "answer": self.answer,
                "error": self.error,
                "reference": self.reference,
                "degradations": self.degradations,
                "messages": self.messages,
                "turns": self.turns,
            }
        )
        data = {
            "id": self.id,
            "question": text["question"],
            "answer": text["answer"],
            "error": text["error"],
            "calls": self.calls,
            "cached_calls": self.cached_calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
            "latency_s": round(self.latency_s, 4),
            "layers": [asdict(layer) for layer in self.layers],
            "degradations": text["degradations"],
        }
        if self.reference is not None:
            data["reference"] = text["reference"]
        for name in ("messages", "turns"):
            if text[name] is not None:
                data[name] = text[name]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QueryResult:
        """A result read back from an output file (per-call records are not kept there)."""
        return cls(
            id=str(data["id"]),
            question=data.get("question", ""),
            answer=data.get("answer"),
            error=data.get("error"),
            reference=data.get("reference"),
            calls=data.get("calls", 0),
            cached_calls=data.get("cached_calls", 0),
            input_tokens=data.get("input_tokens", 0),
            output_tokens=data.get("output_tokens", 0),
            cost_usd=data.get("cost_usd"),
            latency_s=data.get("latency_s", 0.0),
            layers=[LayerStats(**layer) for layer in data.get("layers", [])],
            degradations=data.get("degradations", []),
            messages=data.get("messages"),
            turns=data.get("turns"),
        )


class TraceWriter:
    """Appends one JSON line per call, then one per query, to a trace file; flushed after every query.

    Prompts, replies, questions and answers are written only with `include_messages`; every
    known secret is redacted from every line (the records' `to_dict`).
    """

    def __init__(self, path: str | Path, include_messages: bool = False):
        self.path = Path(path)
        self.include_messages = include_messages
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = self.path.open("a", encoding="utf-8")

    def write_query(self, result: QueryResult) -> None:
        """Write the calls of one finished (or failed) query, then the query's own line."""
        if self._file is None:
            return
        lines = [
            json.dumps({"event": "call", **record.to_dict()}, ensure_ascii=False) for record in result.records
        ]
        summary = result.to_dict()  # redacted
        summary.pop("layers")
        if not self.include_messages:  # text stays out of a small trace; the output file has the answers
            summary.pop("question")
            summary.pop("answer")
            summary.pop("messages", None)
            summary.pop("turns", None)
        lines.append(json.dumps({"event": "query", **summary}, ensure_ascii=False))
        try:
            self._file.write("\n".join(lines) + "\n")
            self._file.flush()
        except OSError as e:  # name the file: "disk full" alone does not say which one
            raise OSError(e.errno, e.strerror, str(self.path)) from None

    def close(self) -> None:
        if self._file is not None:
            file, self._file = self._file, None
            try:
                file.close()
            except OSError as e:
                raise OSError(e.errno, e.strerror, str(self.path)) from None

    def __enter__(self) -> TraceWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_trace(path: str | Path) -> list[dict[str, Any]]:
    """The records of a trace file (a truncated last line, from a kill, is skipped)."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


@dataclass
class RunSummary:
    """Totals over the queries of a run, per layer and overall."""

    queries: int = 0
    failed: int = 0
    calls: int = 0
    cached_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0
    wall_s: float = 0.0
    layers: list[LayerStats] = field(default_factory=list)

    @classmethod
    def of(cls, results: Iterable[QueryResult], wall_s: float = 0.0) -> RunSummary:
        summary = cls(wall_s=wall_s)
        by_layer: dict[int, LayerStats] = {}
        for result in results:
            summary.queries += 1
            summary.failed += result.error is not None
            summary.calls += result.calls
            summary.cached_calls += result.cached_calls
            summary.input_tokens += result.input_tokens
            summary.output_tokens += result.output_tokens
            summary.cost_usd = add_costs([summary.cost_usd, result.cost_usd])
            for layer in result.layers:
                total = by_layer.setdefault(layer.index, LayerStats(layer.index, layer.kind))
                total.calls += layer.calls
                total.cached_calls += layer.cached_calls
                total.failed_calls += layer.failed_calls
                total.input_tokens += layer.input_tokens
                total.output_tokens += layer.output_tokens
                total.cost_usd = add_costs([total.cost_usd, layer.cost_usd])
                total.latency_s += layer.latency_s
                total.candidates += layer.candidates
        summary.layers = [by_layer[i] for i in sorted(by_layer)]
        return summary

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["wall_s"] = round(self.wall_s, 4)
        return data

    def table(self, title: str = "run summary"):
        """A rich Table: one row per layer (time is the mean per query), then the totals.

        The cached and failed columns appear only when some call was cached or failed.
        """
        from rich import box
        from rich.table import Table

        runs = max(self.queries, 1)
        failed_calls = sum(layer.failed_calls for layer in self.layers)
        columns = [
            ("#", lambda layer: str(layer.index), ""),
            ("kind", lambda layer: layer.kind, "all"),
            ("calls", lambda layer: str(layer.calls), str(self.calls)),
            ("cached", lambda layer: str(layer.cached_calls), str(self.cached_calls)),
            ("failed", lambda layer: str(layer.failed_calls), str(failed_calls)),
            ("tok in", lambda layer: f"{layer.input_tokens:,}", f"{self.input_tokens:,}"),
            ("tok out", lambda layer: f"{layer.output_tokens:,}", f"{self.output_tokens:,}"),
            ("cost", lambda layer: format_cost(layer.cost_usd), format_cost(self.cost_usd)),
            (
                "time",
                lambda layer: f"{layer.latency_s / runs:.2f}s",
                f"{sum(layer.latency_s for layer in self.layers) / runs:.2f}s",
            ),
        ]
        shown = [
            c
            for c in columns
            if (c[0] != "cached" or self.cached_calls) and (c[0] != "failed" or failed_calls)
        ]
        queries = f"{self.queries} quer{'y' if self.queries == 1 else 'ies'}"
        caption = f"{queries}, {self.failed} failed, {self.wall_s:.2f}s wall"
        table = Table(
            title=title,
            title_justify="left",
            caption=caption,
            caption_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            collapse_padding=True,
        )
        for header, _, _ in shown:
            table.add_column(header, justify="left" if header == "kind" else "right", no_wrap=True)
        for layer in self.layers:
            table.add_row(*(cell(layer) for _, cell, _ in shown))
        table.add_section()
        table.add_row(*(total for _, _, total in shown), style="bold")
        return table


def format_cost(cost: float | None) -> str:
    if cost is None:
        return "unknown"
    if cost == 0:
        return "$0"
    return f"${cost:.4f}" if cost >= 0.0001 else f"${cost:.2e}"
