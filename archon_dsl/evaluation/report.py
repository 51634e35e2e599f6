"""The report of an evaluation: a table per suite, paired comparisons, report.json, and score against cost."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .runner import ArchitectureRun
from .stats import paired_difference, significant


def comparisons(runs: Sequence[ArchitectureRun]) -> list[dict[str, Any]]:
    """Every pair of architectures on the questions both were scored on: mean difference (first minus
    second, in the suite's unit), its 95% paired-bootstrap interval, p-value, and whether it is significant."""
    out = []
    for i, a in enumerate(runs):
        for b in runs[i + 1 :]:
            shared = [q for q in a.score.per_question if q in b.score.per_question]
            diff = paired_difference(
                [a.score.per_question[q] for q in shared], [b.score.per_question[q] for q in shared]
            )
            out.append(
                {
                    "a": a.label,
                    "b": b.label,
                    "questions": len(shared),
                    **diff,
                    "significant": significant(diff["low"], diff["high"]),
                }
            )
    return out


def _clean(value: Any) -> Any:
    """JSON without NaN (null instead), so every JSON reader takes report.json."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else round(value, 6)
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def build_report(
    suite: Any, runs: Sequence[ArchitectureRun], *, data: str | None, sim: bool, judge_model: str | None
) -> dict[str, Any]:
    """The machine-readable report (report.json)."""
    return _clean(
        {
            "suite": suite.name,
            "title": suite.title,
            "source": suite.source,
            "metric": suite.metric,
            "data": data,
            "questions": runs[0].queries if runs else 0,
            "sim": sim,
            "judge_model": judge_model if suite.judged else None,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "architectures": [
                {
                    "label": run.label,
                    "name": run.name,
                    "path": run.path,
                    "score": run.score.to_dict(),
                    **run.totals(),
                    "resumed": run.resumed,
                    "judge": run.judge,
                }
                for run in runs
            ],
            "comparisons": comparisons(runs),
        }
    )


def _number(value: Any, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _money(value: Any) -> str:
    if value is None:
        return "unknown"
    return f"${value:.4f}" if value < 1 else f"${value:.2f}"


def markdown(report: dict[str, Any]) -> str:
    """The report as Markdown: the suite's table and the paired comparisons."""
    unit = report["architectures"][0]["score"]["unit"] if report["architectures"] else ""
    lines = [
        f"# {report['title']}: {report['metric']} ({report['questions']} questions)",
        "",
        f"Scoring: {report['source']}."
        + (f" Judge: {report['judge_model']}." if report["judge_model"] else "")
        + (" Simulated models (--sim)." if report["sim"] else ""),
        "",
        "| architecture | score | 95% interval | calls | tokens | dollars | latency/query |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for arch in report["architectures"]:
        score = arch["score"]
        lines.append(
            f"| {arch['label']} | {_number(score['value'])}{unit} | {_number(score['low'])} - {_number(score['high'])} "
            f"| {arch['calls']} | {arch['tokens']} | {_money(arch['cost_usd'])} | {_number(arch['latency_per_query_s'], 2)} s |"
        )
    if report["comparisons"]:
        lines += [
            "",
            "Paired comparisons (first minus second, same questions):",
            "",
            "| a | b | difference | 95% interval | p | significant |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for c in report["comparisons"]:
            lines.append(
                f"| {c['a']} | {c['b']} | {_number(c['difference'], 2)} | {_number(c['low'], 2)} - {_number(c['high'], 2)} "
                f"| {_number(c['p_value'], 3)} | {'yes' if c['significant'] else 'no'} |"
            )
    lines += ["", *[f"- {line}" for line in notes(report)]]
    return "\n".join(lines) + "\n"


def notes(report: dict[str, Any]) -> list[str]:
    """One line per architecture: the suite's other numbers, what this run paid, the judge's share."""
    lines = []
    for arch in report["architectures"]:
        parts = []
        for key, value in (arch["score"].get("extra") or {}).items():
            if isinstance(value, dict):
                value = ", ".join(f"{k} {v}" for k, v in value.items())
            elif isinstance(value, float):
                value = _number(value)
            parts.append(f"{key} {'-' if value is None else value}")
        if arch["errors"]:
            parts.append(f"{arch['errors']} questions failed (scored 0; rerun to retry them)")
        run = arch["this_run"]
        parts.append(
            f"this run: {run['queries']} answered, {arch['resumed']} resumed, "
            f"{run['paid_calls']} calls paid ({_money(run['spent_usd'])})"
        )
        if arch.get("judge"):
            judge = arch["judge"]
            parts.append(
                f"judge {judge['calls']} calls ({judge['cached_calls']} cached, {_money(judge['cost_usd'])})"
            )
        lines.append(f"{arch['label']}: " + "; ".join(parts))
    return lines


def rich_tables(report: dict[str, Any]) -> list[Any]:
    """The report's tables for the terminal (Rich)."""
    from rich.table import Table

    unit = report["architectures"][0]["score"]["unit"] if report["architectures"] else ""
    title = f"{report['title']} - {report['metric']}, {report['questions']} questions"
    if report["judge_model"]:
        title += f", judge {report['judge_model']}"
    table = Table(title=title)
    for column in ("architecture", "score", "95% interval", "calls", "tokens", "dollars", "latency/query"):
        table.add_column(column, justify="left" if column == "architecture" else "right")
    for arch in report["architectures"]:
        score = arch["score"]
        table.add_row(
            arch["label"],
            f"{_number(score['value'])}{unit}",
            f"{_number(score['low'])} - {_number(score['high'])}",
            str(arch["calls"]),
            str(arch["tokens"]),
            _money(arch["cost_usd"]),
            f"{_number(arch['latency_per_query_s'], 2)} s",
        )
    tables = [table]
    if report["comparisons"]:
        pairs = Table(title="paired comparisons (a - b on the same questions)")
        for column in ("a", "b", "difference", "95% interval", "p", "significant"):
            pairs.add_column(column, justify="left" if column in ("a", "b") else "right")
        for c in report["comparisons"]:
            pairs.add_row(
                c["a"],
                c["b"],
                _number(c["difference"], 2),
                f"{_number(c['low'], 2)} - {_number(c['high'], 2)}",
                _number(c["p_value"], 3),
                "yes" if c["significant"] else "no",
            )
        tables.append(pairs)
    return tables


def plot(report: dict[str, Any], path: Path) -> Path:
    """A PNG of each architecture's score (with its interval) against its dollars per query (calls per
    query when some price is unknown)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    archs = report["architectures"]
    dollars = all(a["cost_per_query"] is not None for a in archs)
    xs = [a["cost_per_query"] if dollars else a["calls"] / max(a["queries"], 1) for a in archs]
    ys = [a["score"]["value"] if a["score"]["value"] is not None else float("nan") for a in archs]
    lows = [
        y - (a["score"]["low"] if a["score"]["low"] is not None else y)
        for a, y in zip(archs, ys, strict=True)
    ]
    highs = [
        (a["score"]["high"] if a["score"]["high"] is not None else y) - y
        for a, y in zip(archs, ys, strict=True)
    ]
    fig, ax = plt.subplots(figsize=(6.4, 4.4), dpi=120)
    ax.errorbar(xs, ys, yerr=[lows, highs], fmt="o", capsize=4)
    for x, y, a in zip(xs, ys, archs, strict=True):
        ax.annotate(a["label"], (x, y), textcoords="offset points", xytext=(6, 6), fontsize=8)
    ax.set_xlabel("dollars per query" if dollars else "calls per query")
    unit = archs[0]["score"]["unit"] if archs else ""
    ax.set_ylabel(f"{report['metric']} ({unit.strip('/') and unit})")
    ax.set_title(f"{report['title']}: score against cost ({report['questions']} questions)")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_report(report: dict[str, Any], out_dir: Path, *, draw: bool = True) -> dict[str, Path]:
    """report.json, report.md and score_vs_cost.png in `out_dir`; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {"json": out_dir / "report.json", "markdown": out_dir / "report.md"}
    written["json"].write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    written["markdown"].write_text(markdown(report), encoding="utf-8")
    if draw:
        written["plot"] = plot(report, out_dir / "score_vs_cost.png")
    return written
