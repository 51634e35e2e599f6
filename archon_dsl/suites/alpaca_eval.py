"""AlpacaEval 2.0 (Dubois et al. 2024, "Length-Controlled AlpacaEval"): 805 instructions, each answer
judged against a reference model's output; win rate and length-controlled win rate.

Reads the published alpaca_eval.json ([{instruction, output, generator, dataset}], `output` being the
reference model's answer, GPT-4 Turbo's in 2.0). Each answer is compared with the reference by the
judge in both orders (the project's pairwise judge, itas.scorers.PairwiseJudge: win 1, tie 0.5, loss
0, averaged over the two orders). The win rate is the mean preference in percent. The
length-controlled win rate fits, as AlpacaEval does, a logistic model of the preference on
tanh(length difference / its spread) and reports the win rate with the length term set to zero;
AlpacaEval's own fit also has a per-instruction difficulty learnt across many models, which one
run cannot estimate, and its judge reads a token's probabilities rather than asking twice.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..evaluation.stats import bootstrap_mean, logistic_fit, percentile_interval, sigmoid
from ..itas.scorers import PairwiseJudge
from .base import RowScore, Suite, SuiteScore, require_fields
from .judging import judge_spec

BOOTSTRAP_ROUNDS = 200


def length_controlled(preferences: Sequence[float], length_diffs: Sequence[float]) -> float:
    """The win rate (0..1) a logistic fit of preference ~ 1 + tanh(diff / sd) gives at zero length difference."""
    sd = math.sqrt(sum(d * d for d in length_diffs) / len(length_diffs)) or 1.0
    features = [[1.0, math.tanh(d / sd)] for d in length_diffs]
    beta = logistic_fit(features, list(preferences), l2=1e-3)
    return sigmoid(beta[0])


class AlpacaEval(Suite):
    name = "alpaca_eval"
    title = "AlpacaEval 2.0"
    source = "Dubois et al. 2024, Length-Controlled AlpacaEval (tatsu-lab/alpaca_eval)"
    data_format = "alpaca_eval.json: [{instruction, output (the reference answer), generator, dataset}]"
    metric = "LC win rate"
    judged = True

    def row(self, record: Any, where: str, number: int) -> dict[str, Any]:
        r = require_fields(record, ("instruction", "output"), where, number, self.name)
        digest = hashlib.sha256(str(r["instruction"]).encode("utf-8")).hexdigest()[:12]
        return {
            "id": str(r.get("id") or f"{number}-{digest}"),
            "question": str(r["instruction"]),
            "baseline": str(r["output"]),
            "baseline_model": r.get("generator"),
        }

    async def score_rows(self, answers, rows, ctx, judge) -> list[RowScore]:
        judge_ = PairwiseJudge(judge_spec(judge).id)
        scores = await judge_.ascore_all(answers, rows, ctx)
        return [
            RowScore(0.0, {"error": True})
            if a is None
            else RowScore(s, {"length": len(a), "baseline_length": len(r["baseline"])})
            for a, r, s in zip(answers, rows, scores, strict=True)
        ]

    def summarize(self, rows: Sequence[Mapping[str, Any]], scores: Sequence[RowScore]) -> SuiteScore:
        import random

        prefs = [s.score for s in scores]
        diffs = [
            float(s.detail.get("length", 0) - s.detail.get("baseline_length", len(r["baseline"])))
            for r, s in zip(rows, scores, strict=True)
        ]
        win, win_low, win_high = bootstrap_mean([100 * p for p in prefs])
        lc = 100 * length_controlled(prefs, diffs)
        rng = random.Random(0)
        draws = []
        for _ in range(BOOTSTRAP_ROUNDS):
            picks = rng.choices(range(len(prefs)), k=len(prefs))
            draws.append(100 * length_controlled([prefs[i] for i in picks], [diffs[i] for i in picks]))
        low, high = percentile_interval(draws)
        extra = {"win rate": win, "win rate low": win_low, "win rate high": win_high}
        per_question = {str(r["id"]): 100 * p for r, p in zip(rows, prefs, strict=True)}
        return SuiteScore(self.metric, lc, low, high, "%", len(prefs), extra, per_question)
