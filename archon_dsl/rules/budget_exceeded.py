"""S010 budget-exceeded: an architecture's plan goes over a declared budget."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..diagnostics import Severity
from .base import Context, Report, Rule

if TYPE_CHECKING:
    from ..planner import Plan


def plan_figure(plan: Plan, metric: str) -> Any:
    """The plan figure a budget metric limits (calls: the most per query), or None if unknown."""
    data = plan.to_dict()
    if metric == "calls":
        return data["calls"]["max"]
    if metric == "cost":
        return data.get("cost_usd")
    if metric == "depth":
        return data.get("depth")
    if metric == "tokens":
        tokens = data.get("tokens") or {}
        return tokens.get("total") if isinstance(tokens, dict) else tokens
    return None


class BudgetExceeded(Rule):
    """Budgets are checked from the plan, before anything is spent."""

    code = "S010"
    name = "budget-exceeded"
    summary = "The plan's calls, cost, depth or tokens per query exceed a `budget`."
    docs = """\
## What it checks
Each `budget METRIC <= LIMIT` against the execution plan of one query:
`calls` (the most LLM calls per query), `cost` (dollars per query, from
litellm's price table or the models' `cost_in`/`cost_out`), `depth`
(sequential calls on the critical path) and `tokens`. In a template, a
budget restricts the space like a constraint: points over budget are left
out of the valid count and never evaluated by search; it is reported when
the architecture has no parameters. A cost budget over models with no
known price cannot be checked, and says so.

## Why
Cost and latency are known before any call is made; a configuration over
budget should fail in the editor, not on the invoice.

## Example
```
budget calls <= 20
layer generator { models = [a, b, c, d, e]; samples = 5 }   # 25 calls
layer fuser { model = a }
```

## Instead
```
budget calls <= 20
layer generator { models = [a, b, c, d, e]; samples = 3 }   # 15 calls
layer fuser { model = a }
```
"""

    def check(self, ctx: Context, report: Report) -> None:
        if not ctx.arch.budgets:
            return
        for budget in ctx.arch.budgets:
            value = plan_figure(ctx.plan, budget.metric)
            if value is None:
                unpriced = ctx.plan.to_dict().get("unpriced_models") or []
                report(
                    f"budget {budget.metric} {budget.op} {budget.limit:g} cannot be checked: "
                    + (f"no price for {', '.join(unpriced)}" if unpriced else "the plan has no such figure"),
                    budget.span,
                    "give the models `cost_in` and `cost_out` ($ per million tokens)",
                    Severity.WARNING,
                )
            elif not budget.allows(value):
                shown = f"${value:.4f}" if budget.metric == "cost" else f"{value:,}"
                report(
                    f"{budget.metric} per query is {shown}, over the budget {budget.metric} {budget.op} {budget.limit:g}",
                    budget.span,
                    "use fewer models or samples, or raise the budget",
                )
