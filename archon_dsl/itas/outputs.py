"""A search's output directory: trials (JSONL, CSV), state for --resume, the best .arch, result, plots."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..architecture import Architecture
from ..diagnostics import ArchonError, Diagnostic, Severity
from .trials import Trial

STATE_VERSION = 1
FRONT_KEY = "archon-dsl pareto front"  # PNG text chunk of pareto.png: the front drawn, as JSON
# State entries that must match for --resume to continue a search (the trial budget may grow).
RESUME_KEYS = (
    "template_sha256",
    "data_sha256",
    "scorer",
    "strategy",
    "seed",
    "split",
    "split_seed",
    "objective",
    "sim_seed",  # the simulator's seed: trials scored at another seed are not comparable
    "draws",  # shared or per-architecture draws: the same architecture scores differently under each
)


def _usage(message: str, hint: str | None = None) -> ArchonError:
    return ArchonError([Diagnostic("R020", "search-output", Severity.ERROR, message, None, None, hint)])


class SearchDirectory:
    """Files of one search; trials.jsonl is the record a resumed search reads back."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.trials_path = self.path / "trials.jsonl"
        self.csv_path = self.path / "trials.csv"
        self.state_path = self.path / "state.json"
        self.best_path = self.path / "best.arch"
        self.result_path = self.path / "result.json"
        self.progress_plot = self.path / "best_so_far.png"
        self.front_plot = self.path / "pareto.png"
        self.front_dir = self.path / "front"

    # -- state and resume ----------------------------------------------------
    def holds_search(self) -> bool:
        return self.state_path.exists() or self.trials_path.exists()

    def read_state(self) -> dict[str, Any] | None:
        if not self.state_path.exists():
            return None
        try:
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise _usage(
                f"cannot read {self.state_path}: {e}", "remove the directory to start afresh"
            ) from None

    def write_state(self, state: dict[str, Any]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        _write_atomic(self.state_path, json.dumps({"version": STATE_VERSION, **state}, indent=2) + "\n")

    def prepare(self, state: dict[str, Any], resume: bool) -> list[Trial]:
        """Check the directory against this search; the trials of the run being resumed."""
        if not self.holds_search():
            # Only a new or empty directory takes a new search: its files would sit among (and
            # overwrite, say a best.arch) someone else's.
            if self.path.exists() and not self.path.is_dir():
                raise _usage(
                    f"--out {self.path} is a file, not a directory", "give a directory for the search"
                )
            if self.path.is_dir() and any(self.path.iterdir()):
                raise _usage(
                    f"--out {self.path} is not empty and holds no search; it was left untouched",
                    "give a new or empty directory (a search writes several files into it)",
                )
            return []
        if not resume:
            raise _usage(
                f"{self.path} already holds a search",
                "pass --resume to continue it, or choose another --out directory",
            )
        previous = self.read_state() or {}
        for key in RESUME_KEYS:
            if key in previous and previous[key] != state.get(key):
                raise _usage(
                    f"cannot resume: {self.path} holds a search with {key} = {previous[key]!r}, "
                    f"this one has {state.get(key)!r}",
                    "resume with the same template, data, scorer, strategy, seed, split, objective, "
                    "simulator seed and draws, or choose another --out directory",
                )
        return self.read_trials()

    def read_trials(self) -> list[Trial]:
        """The finished trials; a line cut short by an interruption is dropped."""
        if not self.trials_path.exists():
            return []
        trials = []
        lines = self.trials_path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                trials.append(Trial.from_dict(json.loads(line)))
            except (json.JSONDecodeError, TypeError):
                if number == len(lines):
                    break  # written when the run was killed
                raise _usage(
                    f"{self.trials_path}:{number}: not a trial record", "remove the line or the directory"
                ) from None
        return trials

    def rewrite_trials(self, trials: Sequence[Trial]) -> None:
        _write_atomic(self.trials_path, "".join(t.to_json() + "\n" for t in trials))

    def append_trial(self, trial: Trial) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.trials_path, "a", encoding="utf-8") as f:
            f.write(trial.to_json() + "\n")
            f.flush()
            os.fsync(f.fileno())

    # -- results -----------------------------------------------------------------
    def write_csv(self, trials: Sequence[Trial], param_names: Sequence[str]) -> None:
        fields = [
            "index",
            *param_names,
            "score",
            "held_out",
            "cost",
            "cost_usd",
            "calls",
            "tokens",
            "errors",
            "duration",
            "overhead",
            "source",
            "same_as",
        ]
        tmp = self.csv_path.with_suffix(".csv.tmp")
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(fields)
            for t in trials:
                row = t.to_dict()
                writer.writerow(
                    [
                        t.index,
                        *[t.params.get(n) for n in param_names],
                        *[_csv_value(row[k]) for k in fields[1 + len(param_names) :]],
                    ]
                )
        os.replace(tmp, self.csv_path)

    def write_arch(self, arch: Architecture, path: Path) -> str | None:
        """Write the architecture in canonical form; a note if it does not read back to itself.

        A mismatch would be a formatter bug: the file is written anyway (the trials hold the
        parameters), and the note says so rather than losing the end of a long search.
        """
        from ..loader import load_text

        text = arch.to_arch()
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, text)
        try:
            again = load_text(text, str(path)).instantiate({})
        except ArchonError as e:
            return f"{path.name} does not read back: {e}"
        if not again.same_as(arch):
            return f"{path.name} reads back as a different architecture"
        return None

    def write_result(self, result: dict[str, Any]) -> None:
        _write_atomic(self.result_path, json.dumps(result, indent=2, default=str) + "\n")

    # -- plots --------------------------------------------------------------------
    def plot_progress(self, trials: Sequence[Trial], title: str) -> None:
        """Best score so far against the number of evaluations, each evaluation's score behind it."""
        plt = _pyplot()
        evaluated = [t for t in trials if t.evaluated]
        fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
        if evaluated:
            xs = list(range(1, len(evaluated) + 1))
            best, running = [], float("-inf")
            for t in evaluated:
                running = max(running, t.score)
                best.append(running)
            ax.scatter(xs, [t.score for t in evaluated], s=14, color="#9aa5b1", label="evaluation", zorder=2)
            ax.step(xs, best, where="post", color="#1f6feb", linewidth=2, label="best so far", zorder=3)
            ax.legend(loc="lower right", frameon=False)
        ax.set_xlabel("evaluations")
        ax.set_ylabel("score (development split)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(self.progress_plot)
        plt.close(fig)

    def plot_front(
        self, trials: Sequence[Trial], front: Sequence[Trial], cost_label: str, title: str
    ) -> None:
        """Every evaluation as (cost, score), the given front joined as a staircase.

        The PNG carries the front it draws (trial, cost, score) as text metadata under FRONT_KEY,
        so what the picture shows can be checked against result.json.
        """
        plt = _pyplot()
        evaluated = [t for t in trials if t.evaluated]
        fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
        ax.scatter(
            [t.cost for t in evaluated],
            [t.score for t in evaluated],
            s=14,
            color="#9aa5b1",
            label="evaluation",
            zorder=2,
        )
        if front:
            ax.step(
                [t.cost for t in front],
                [t.score for t in front],
                where="post",
                color="#d1242f",
                linewidth=1.5,
                zorder=3,
            )
            ax.scatter(
                [t.cost for t in front],
                [t.score for t in front],
                s=30,
                color="#d1242f",
                label="Pareto front",
                zorder=4,
            )
        if evaluated:
            ax.legend(loc="lower right", frameon=False)
        ax.set_xlabel(cost_label)
        ax.set_ylabel("score (development split)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        drawn = [{"index": t.index, "cost": t.cost, "score": t.score} for t in front]
        fig.savefig(self.front_plot, metadata={FRONT_KEY: json.dumps(drawn)})
        plt.close(fig)


def plotted_front(path: str | Path) -> list[dict[str, Any]]:
    """The front a pareto.png draws, read back from its metadata: [{index, cost, score}, ...]."""
    from PIL import Image

    with Image.open(path) as image:
        return json.loads(image.text[FRONT_KEY])  # type: ignore[attr-defined]  # a PNG's text chunks


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window, work without a display
    import matplotlib.pyplot as plt

    return plt


def _csv_value(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "" if value is None else value


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
