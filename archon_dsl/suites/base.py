"""What every suite shares: reading a published file, rows, a per-row scorer the search can use, a summary."""

from __future__ import annotations

import gzip
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..datasets.reader import _error, read_jsonl
from ..evaluation.stats import bootstrap_mean
from ..itas.scorers import ScoreContext, Scorer


@dataclass
class RowScore:
    """One row's score (0..1, what a search maximises) and what the report shows about it."""

    score: float
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class SuiteScore:
    """A suite's headline number with its 95% interval, on the scale its leaderboard reports."""

    metric: str  # "pass@1", "accuracy", "MT-Bench score", "win rate", ...
    value: float
    low: float
    high: float
    unit: str  # "%" or "/10"
    n: int  # questions (problems) it is over
    extra: dict[str, Any] = field(default_factory=dict)  # other official numbers (pass@k, LC win rate)
    per_question: dict[str, float] = field(default_factory=dict)  # the paired comparisons' values

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "unit": self.unit,
            "n": self.n,
            "extra": self.extra,
        }


def read_records(path: str | Path) -> list[tuple[int, Any]]:
    """(line or item number, record) from a .jsonl, .jsonl.gz or .json (a list) file; errors name file:line."""
    path = Path(path)
    shown = str(path)
    if not path.is_file():
        raise _error(f"no suite data file '{shown}'", None, hint="give the published file with --data FILE")
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise _error(
                f"not a JSON file: {e}", shown, hint="a .json suite file holds one list of records"
            ) from None
        if isinstance(data, dict):  # {id: record} (MixEval's files): the key becomes the record's id
            data = [{"id": key, **value} if isinstance(value, dict) else value for key, value in data.items()]
        if not isinstance(data, list):
            raise _error("the file holds no list of records", shown, 1, "a .json suite file is a JSON list")
        return list(enumerate(data, 1))
    if path.name.endswith(".gz"):
        records = []
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if line.strip():
                    try:
                        records.append((number, json.loads(line)))
                    except json.JSONDecodeError as e:
                        raise _error(f"line {number} is not JSON: {e.msg}", shown, number) from None
        return records
    return list(read_jsonl(path))


def require_fields(
    record: Any, names: Sequence[str], where: str, number: int, suite: str
) -> Mapping[str, Any]:
    """The record as a mapping that holds every field of `names`, or a DatasetError naming the first missing."""
    if not isinstance(record, Mapping):
        raise _error(f"record {number} is not a JSON object", where, number, f"a {suite} record is an object")
    for name in names:
        if record.get(name) is None:
            raise _error(
                f"record {number} has no '{name}' field",
                where,
                number,
                f"{suite} records have the fields {', '.join(names)}: is this the published {suite} file?",
            )
    return record


class Suite(ABC):
    """A benchmark: its published file format, its rows, its official scoring and summary."""

    name = "suite"
    title = ""
    source = ""  # the paper or project whose scoring it follows
    data_format = ""  # the published file it reads
    metric = "accuracy"
    judged = False  # needs a judge model
    needs_sandbox = False  # runs generated code
    multi_turn = False

    def default_data(self) -> Path | None:
        """The file read when no --data is given (only suites that ship with a package have one)."""
        return None

    def load(self, data: str | Path | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """The suite's rows from `data` (or its default file), the first `limit` of them."""
        path = Path(data) if data is not None else self.default_data()
        if path is None:
            raise _error(
                f"the {self.name} suite needs its data file",
                None,
                hint=f"give --data FILE: {self.data_format}",
            )
        rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        for number, record in read_records(path):
            if limit is not None and len(rows) >= limit:
                break
            row = self.row(record, str(path), number)
            if row["id"] in seen:
                raise _error(f"record {number}: id '{row['id']}' is used twice", str(path), number)
            seen.add(row["id"])
            rows.append(row)
        if not rows:
            raise _error("the file holds no records", str(path), hint=self.data_format)
        return rows

    @abstractmethod
    def row(self, record: Any, where: str, number: int) -> dict[str, Any]:
        """One published record as a row: id, question (what the architecture is asked), answer, and the rest."""

    def scorer(self, judge_model: Any = None) -> SuiteScorer:
        return SuiteScorer(self, judge_model)

    async def score_rows(
        self, answers: Sequence[str | None], rows: Sequence[Mapping[str, Any]], ctx: ScoreContext, judge: Any
    ) -> list[RowScore]:
        """Each row's score; a missing answer (the architecture failed) scores 0."""
        return [
            RowScore(0.0, {"error": True}) if a is None else self.score_one(a, r)
            for a, r in zip(answers, rows, strict=True)
        ]

    def score_one(self, answer: str, row: Mapping[str, Any]) -> RowScore:
        """One answer's score, for suites scored row by row; judged and executed suites override score_rows."""
        raise TypeError(f"{type(self).__name__} scores in score_rows, not one answer at a time")

    def summarize(self, rows: Sequence[Mapping[str, Any]], scores: Sequence[RowScore]) -> SuiteScore:
        """The headline: mean row score in percent, with a bootstrap interval over questions."""
        values = [s.score * 100 for s in scores]
        value, low, high = bootstrap_mean(values)
        return SuiteScore(
            self.metric,
            value,
            low,
            high,
            "%",
            len(values),
            per_question={str(r["id"]): v for r, v in zip(rows, values, strict=True)},
        )


class SuiteScorer(Scorer):
    """A suite's scoring as a search scorer: the mean of the row scores is what the search maximises."""

    needs_sandbox = False

    def __init__(self, suite: Suite, judge_model: Any = None):
        self.suite = suite
        self.judge_model = judge_model
        self.name = suite.name
        self.description = f"the {suite.name} suite's scoring ({suite.source})"
        self.needs_sandbox = suite.needs_sandbox
        self.last: list[RowScore] = []  # the row scores of the last call, for the report

    async def row_scores(
        self, answers: Sequence[str | None], rows: Sequence[Mapping[str, Any]], ctx: ScoreContext
    ) -> list[RowScore]:
        scores = await self.suite.score_rows(answers, rows, ctx, self.judge_model)
        self.last = scores
        return scores

    async def ascore_all(self, answers, rows, ctx):
        return [s.score for s in await self.row_scores(answers, rows, ctx)]
