"""Model ranking (`archonc rank-models`): score each model of a pool alone, write the pool back best-first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..architecture import Architecture, Layer, ModelSpec
from ..diagnostics import ArchonError, Diagnostic, Severity, Span
from ..language import ast
from .evaluate import Evaluation, Evaluator, ExecutorEvaluator


def _error(
    message: str, path: str | None = None, span: Span | None = None, hint: str | None = None
) -> ArchonError:
    return ArchonError([Diagnostic("R030", "rank-models", Severity.ERROR, message, span, path, hint)])


@dataclass
class ModelScore:
    """One model of the pool, evaluated alone."""

    name: str
    id: str
    position: int  # where it stood in the pool before ranking
    evaluation: Evaluation

    @property
    def score(self) -> float:
        return self.evaluation.score


@dataclass
class Ranking:
    """The pool's models best-first, and where the new order was written (if anywhere)."""

    pool: str
    ranked: list[ModelScore]
    written: Path | None = None
    changed: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def order(self) -> list[str]:
        return [m.name for m in self.ranked]


def single_model(model: ModelSpec, base: Architecture | None = None) -> Architecture:
    """The architecture that asks `model` alone: one generator layer, one sample."""
    arch = Architecture(name=f"{model.name} alone", layers=[Layer(kind="generator", models=[model])])
    if base is not None:
        arch = arch.model_copy(update={"defaults": base.defaults, "providers": base.providers})
    return arch


def rank_models(
    file: str | Path,
    pool: str,
    data: Any,
    scorer: Any = "exact",
    *,
    sim: bool = False,
    sim_seed: int | None = None,
    split: float = 0.2,
    split_seed: int = 0,
    cache: Any = True,
    concurrency: int | None = None,
    evaluator: Evaluator | None = None,
    write: bool = True,
    on_model: Callable[[ModelScore, int, int], None] | None = None,
) -> Ranking:
    """Evaluate each model of `pool` alone on the development rows and write the pool back best-first.

    The paper orders generator and fuser pools by each model's own score on the task, so that
    `pool[:k]` is the top k. Ties keep the pool's order. The development rows are those `search`
    uses with the same split and split seed, so the held-out rows stay unseen. The pool is
    rewritten where it is declared: in `file`, or in the file it includes that declares it.
    sim_seed: the simulator's seed for every sim model scored, as for `search` (default: env
    ARCHON_SIM_SEED, else each model's own, else 0); not with `evaluator`, which runs as it was built.
    """
    from ..loader import load
    from .driver import _register_sim_answers, _sim_seed, load_rows, split_rows
    from .scorers import get_scorer

    template = load(str(file))
    errors = [d for d in template.diagnostics if d.is_error]
    if errors:
        raise ArchonError(errors)
    try:
        scope = template.scope(template.default_assignment())
    except Exception as e:
        raise _error(f"cannot evaluate the pools of {file}: {e}", str(file)) from None
    if pool not in {d.name for d in template.pool_decls}:
        from ..diagnostics import did_you_mean

        names = [d.name for d in template.pool_decls]
        guess = did_you_mean(pool, names)
        raise _error(
            f"no pool named '{pool}' in {file}",
            str(file),
            None,
            f"did you mean '{guess}'?" if guess else f"pools: {', '.join(names) or 'none'}",
        )
    models: list[ModelSpec] = scope[pool]
    sim_seed = _sim_seed(sim_seed, evaluator)
    rows = load_rows(data)
    dev, _ = split_rows(rows, split, split_seed)

    owned = evaluator is None
    if evaluator is None:
        if sim:
            _register_sim_answers(rows)
        evaluator = ExecutorEvaluator(
            get_scorer(scorer), sim=sim, sim_seed=sim_seed, cache=cache, concurrency=concurrency
        )
    try:  # the template's defaults and providers, when its default configuration instantiates
        base = template.instantiate({}) if template.body else None
    except ArchonError:
        base = None
    scored: list[ModelScore] = []
    try:
        for position, model in enumerate(models):
            entry = ModelScore(
                model.name, model.id, position, evaluator.evaluate(single_model(model, base), dev)
            )
            scored.append(entry)
            if on_model:
                on_model(entry, position + 1, len(models))
    finally:
        if owned:
            evaluator.close()
    ranked = sorted(scored, key=lambda m: (-m.score, m.evaluation.cost("calls"), m.position))
    result = Ranking(
        pool=pool, ranked=ranked, changed=[m.position for m in ranked] != list(range(len(ranked)))
    )
    if write and result.changed:
        result.written = write_pool_order(Path(file), pool, [m.position for m in ranked])
    return result


# ---------------------------------------------------------------------------
# Writing the pool back
# ---------------------------------------------------------------------------


def find_pool(path: Path, pool: str, seen: tuple[str, ...] = ()) -> tuple[Path, str, ast.PoolDecl] | None:
    """The file that declares `pool` (this one or one it includes), its text and the declaration."""
    from ..language.parser import parse

    resolved = str(path.resolve())
    if resolved in seen:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise _error(f"cannot read {path}: {e.strerror or e}", str(path)) from None
    module = parse(text, str(path))
    found = None
    for decl in module.of_type(ast.PoolDecl):
        if decl.name == pool:
            found = decl  # a later declaration wins, as in the loader
    if found is not None:
        return path, text, found
    for include in module.of_type(ast.Include):
        hit = find_pool(path.parent / include.path, pool, seen + (resolved,))
        if hit is not None:
            return hit
    return None


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    return sum(len(text_line) + 1 for text_line in lines[: line - 1]) + column - 1


def write_pool_order(path: Path, pool: str, order: list[int]) -> Path:
    """Reorder the items of `pool`'s list literal in place (the rest of the file is left as it is)."""
    from ..language.printer import LINE_WIDTH

    hit = find_pool(path, pool)
    if hit is None:
        raise _error(f"no declaration of pool '{pool}' in {path} or the files it includes", str(path))
    where, text, decl = hit
    value = decl.value
    if not isinstance(value, ast.ListExpr) or value.span is None:
        raise _error(
            f"pool '{pool}' is not a list literal, so its order cannot be rewritten",
            str(where),
            decl.span,
            "write the pool as [model, model, ...]",
        )
    if len(order) != len(value.items):
        raise _error(
            f"pool '{pool}' has {len(value.items)} items in {where}, but {len(order)} were ranked",
            str(where),
            decl.span,
        )
    assert value.span is not None  # a parsed pool has its span
    start = _offset(text, value.span.line, value.span.column)
    end = _offset(text, value.span.end_line, value.span.end_column)
    items = [
        text[_offset(text, i.span.line, i.span.column) : _offset(text, i.span.end_line, i.span.end_column)]  # type: ignore[union-attr]  # parsed items have spans
        for i in value.items
    ]
    inside = text[start:end]
    if "#" in "".join(inside.split('"')[0::2]):  # a comment among the items: it would lose its place
        raise _error(
            f"pool '{pool}' has comments inside its list; move them out to let rank-models reorder it",
            str(where),
            decl.span,
        )
    ordered = [items[i] for i in order]
    column = value.span.column
    one_line = "[" + ", ".join(ordered) + "]"
    if value.span.line == value.span.end_line or column + len(one_line) <= LINE_WIDTH:
        new = one_line
    else:  # it was wrapped: wrap again, items aligned after the bracket
        indent = " " * column
        lines, current, offset = [], "[", column - 1  # offset: columns before `current` on its line
        for k, item in enumerate(ordered):
            piece = item + ("," if k < len(ordered) - 1 else "]")
            joined = current + piece if current in ("[", indent) else current + " " + piece
            if current not in ("[", indent) and offset + len(joined) > LINE_WIDTH:
                lines.append(current)
                current, offset = indent + piece, 0
            else:
                current = joined
        lines.append(current)
        new = "\n".join(lines)
    updated = text[:start] + new + text[end:]
    _verify(updated, where, pool, ordered)
    tmp = where.with_name(where.name + ".tmp")
    tmp.write_text(updated, encoding="utf-8")
    tmp.replace(where)
    return where


def _verify(text: str, path: Path, pool: str, expected: list[str]) -> None:
    """The rewritten file parses and its pool lists the items in the new order."""
    from ..language.parser import parse

    module = parse(text, str(path))
    decl = next(d for d in reversed(module.of_type(ast.PoolDecl)) if d.name == pool)
    got = [
        text[_offset(text, i.span.line, i.span.column) : _offset(text, i.span.end_line, i.span.end_column)]
        for i in decl.value.items
    ]
    if got != expected:
        raise RuntimeError(f"rewriting pool '{pool}' in {path} went wrong: expected {expected}, got {got}")
