"""Inference-time architecture search (ITAS) over .arch templates: space, strategies, evaluation, scorers."""

from __future__ import annotations

from .driver import STRATEGIES, SearchResult, load_rows, search, split_rows
from .evaluate import Evaluation, Evaluator, ExecutorEvaluator, FunctionEvaluator
from .pareto import pareto_front
from .scorers import Scorer, get_scorer
from .space import SearchSpace
from .trials import Trial

__all__ = [
    "STRATEGIES",
    "Evaluation",
    "Evaluator",
    "ExecutorEvaluator",
    "FunctionEvaluator",
    "Scorer",
    "SearchResult",
    "SearchSpace",
    "Trial",
    "get_scorer",
    "load_rows",
    "pareto_front",
    "search",
    "split_rows",
]
