"""A configuration's exact expected score on the simulator, over all seeds: the ground truth a search is judged against.

For one question the simulator's randomness over seeds is: each generator model's mood (five
levels), each sample's right/wrong and which mistake, each critic's verdict per answer, each
ranker's and fuser's sees/lured/coin/solves draws (model.py). Given the question they are
independent, so the distribution of what the candidates are after each layer - counts of right
(R), tempting-wrong (W) and other (O) answers, with the critiques' net verdict on R and on W - is
carried through the layers exactly: generators by convolving each model's (mood-mixed)
trinomial, critics by their verdict distribution, a ranker by its chance to put R before W and
its top_k, fusers by convolving each call's (P(R), P(W), P(O)) (model.fused_chances). The
result is exact up to float rounding (no sampling error); tests check it against the mean of
many seeds of the fast path, which gives the executor's very answers.

Scope (as fast.py): generator (first layer only), critic, ranker (one model), fuser layers, ending
with one candidate (a single fuser, or a ranker with top_k = 1). Distributions are memoised per
question (forward up to the first fuser, backward values after it), so the architectures of a space that share
prefixes cost little: the 5,928 distinct architectures of examples/itas_sim.arch on 60 rows took
about three minutes on this busy 2-core machine (benchmarks/bench_search_quality.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...architecture import Architecture, Layer
from . import model as M
from .fast import UnsupportedLayer, check_supported, configs
from .simulator import SimConfig, Truth, _Draw as Draw, _present, truth_from_row

# What a layer is shown: r right, w tempting-wrong, o other candidates; the critiques' net verdict on R and on W.
State = tuple[int, int, int, int, int]


def _trinomial(n: int, p: tuple[float, float, float]) -> dict[tuple[int, int], float]:
    """P(r right, w tempting-wrong) among n independent samples with class chances p."""
    out: dict[tuple[int, int], float] = {(0, 0): 1.0}
    for _ in range(n):
        nxt: dict[tuple[int, int], float] = {}
        for (r, w), q in out.items():
            for (dr, dw), pk in (((1, 0), p[0]), ((0, 1), p[1]), ((0, 0), p[2])):
                if pk:
                    key = (r + dr, w + dw)
                    nxt[key] = nxt.get(key, 0.0) + q * pk
        out = nxt
    return out


def _convolve(
    a: dict[tuple[int, int], float], b: dict[tuple[int, int], float]
) -> dict[tuple[int, int], float]:
    out: dict[tuple[int, int], float] = {}
    for (r1, w1), p1 in a.items():
        for (r2, w2), p2 in b.items():
            key = (r1 + r2, w1 + w2)
            out[key] = out.get(key, 0.0) + p1 * p2
    return out


Probabilities = tuple[float, float, float]  # P(R), P(W), P(O) of the final answer


class QuestionModel:
    """The exact distributions for one question: the answer's class chances from any state before any layers.

    `value(suffix, state)` is (P(R), P(W), P(O)) of the final answer when the layers of `suffix`
    run on candidates in `state`; memoised per (suffix, state), so architectures that share their
    later layers (most of a search space) share the work, whatever their generators.
    """

    def __init__(self, truth: Truth):
        self.truth = truth
        self.hardness = truth.hardness
        self.common = M.COMMON_MISTAKE if truth.others else 1.0
        if not truth.wrong:
            self.common = 0.0  # a "mistake" with nothing to give is an other answer
        self.values: dict[tuple[int, State], Probabilities] = {}
        self.generated: dict[tuple, dict[tuple[int, int], float]] = {}
        self.fused: dict[tuple, dict[tuple[int, int], float]] = {}
        self.net: dict[tuple, dict[int, float]] = {}
        self.forward: dict[tuple, dict[State, float]] = {}
        self.finals: dict[tuple, Probabilities] = {}
        self.steps: dict[tuple, list[tuple[float, State]]] = {}
        self.fuser_chances: dict[tuple, tuple[float, float]] = {}

    def generators(self, signature: tuple) -> tuple[int, dict[tuple[int, int], float]]:
        """(candidates, P(r right, w tempting-wrong)) after a generator layer (its signature: _signature)."""
        _, models, samples, _ = signature
        per_name: dict[str, tuple[float, str, int]] = {}
        for _id, skill, family in models:
            name = _id.removeprefix("sim/")
            _, _, count = per_name.get(name, (skill, family, 0))
            per_name[name] = (skill, family, count + samples)
        n = sum(count for _, _, count in per_name.values())
        found = self.generated.get(signature)
        if found is None:
            total: dict[tuple[int, int], float] = {(0, 0): 1.0}
            for name, (skill, family, count) in per_name.items():
                chances = M.solve_chances(skill, name, family, self.truth.question, self.hardness)
                mixed: dict[tuple[int, int], float] = {}
                for weight, p in zip(M.MOOD_WEIGHTS, chances, strict=True):
                    wrong = 1.0 - p
                    for key, q in _trinomial(
                        count, (p, wrong * self.common, wrong * (1 - self.common))
                    ).items():
                        mixed[key] = mixed.get(key, 0.0) + weight * q
                total = _convolve(total, mixed)
            found = self.generated[signature] = total
        return n, found

    def value(self, suffix: Suffix, state: State) -> Probabilities:
        key = (suffix.id, state)
        found = self.values.get(key)
        if found is None:
            found = self.values[key] = self._value(suffix, state)
        return found

    def _value(self, suffix: Suffix, state: State) -> Probabilities:
        r, w, o, sr, sw = state
        n = r + w + o
        if suffix.layer is None:
            if n > 1:
                raise UnsupportedLayer(
                    "the exact expectation needs an architecture that ends with one candidate "
                    "(a single fuser, or a ranker with top_k = 1)"
                )
            return (float(r), float(w), float(o)) if n else (0.0, 0.0, 1.0)
        rest = suffix.rest
        assert rest is not None
        right = wrong = other = 0.0
        for q, nxt in self.transitions(suffix.layer, state):
            a, b, c = self.value(rest, nxt)
            right, wrong, other = right + q * a, wrong + q * b, other + q * c
        return right, wrong, other

    def transitions(self, layer: tuple, state: State) -> list[tuple[float, State]]:
        """[(probability, state after)] of one layer (its signature) run on candidates in `state`."""
        key = (layer, state)
        found = self.steps.get(key)
        if found is None:
            found = self.steps[key] = self._transitions(layer, state)
        return found

    def _transitions(self, layer: tuple, state: State) -> list[tuple[float, State]]:
        kind, models, samples, top_k = layer
        r, w, o, sr, sw = state
        n = r + w + o
        if n == 0:
            return [(1.0, state)]
        parts: list[tuple[float, State]] = []
        if kind == "critic":
            net = self._net(models)
            # On R, +1 per right judgement; on W, -1 per right judgement; an absent class has none.
            for vr, pr in net.items() if r else ((0, 1.0),):
                for vw, pw in net.items() if w else ((0, 1.0),):
                    parts.append((pr * pw, (r, w, o, vr, -vw)))
        elif kind == "ranker":
            if len(models) != 1:
                raise UnsupportedLayer("the exact expectation takes rankers of one model")
            keep = n if top_k is None else max(0, min(top_k, n))
            if n <= 1:
                parts.append((1.0, state if keep >= n else (0, 0, 0, 0, 0)))
            else:
                sees = M.discernment(models[0][1], self.hardness)
                right_first = M.prefers_right_chance(r, w, sr, sw, sees) if r and w else 1.0
                for first, q in (("R", right_first), ("W", 1.0 - right_first)):
                    if q:
                        kr = min(r, keep) if first == "R" else min(r, max(0, keep - w))
                        kw = min(w, keep) if first == "W" else min(w, max(0, keep - r))
                        ko = min(o, keep - kr - kw)
                        parts.append((q, (kr, kw, ko, sr if kr else 0, sw if kw else 0)))
        else:  # fuser
            calls = len(models) * samples
            for (fr, fw), q in self._fusion(layer, state).items():
                parts.append((q, (fr, fw, calls - fr - fw, 0, 0)))
        return parts

    def _net(self, models: tuple) -> dict[int, float]:
        """The distribution of the critics' net verdict on an answer: +1 per critic that judges it rightly."""
        found = self.net.get(models)
        if found is None:
            found = {0: 1.0}
            for _id, skill, _family in models:
                judge = M.judging(skill, self.hardness)
                nxt: dict[int, float] = {}
                for s, q in found.items():
                    nxt[s + 1] = nxt.get(s + 1, 0.0) + q * judge
                    nxt[s - 1] = nxt.get(s - 1, 0.0) + q * (1 - judge)
                found = nxt
            self.net[models] = found
        return found

    def _fusion(self, layer: tuple, state: State) -> dict[tuple[int, int], float]:
        """P(r right, w tempting-wrong) among a fuser layer's answers, given what it is shown."""
        key = (layer, state)
        found = self.fused.get(key)
        if found is None:
            r, w, o, sr, sw = state
            _, models, samples, _ = layer
            found = {(0, 0): 1.0}
            for model in models:
                sees, solve = self._fuser_chances(model)
                chances = M.fused_chances(r, w, o, sr, sw, sees, solve)
                for _ in range(samples):
                    found = _convolve(found, _trinomial(1, chances))
            self.fused[key] = found
        return found

    def _fuser_chances(self, model: tuple) -> tuple[float, float]:
        """(discernment, chance to solve all-wrong candidates) of a fuser model (id, skill, family) here."""
        found = self.fuser_chances.get(model)
        if found is None:
            _id, skill, family = model
            name, question = _id.removeprefix("sim/"), self.truth.question
            solve = M.SOLVE * M.mean_solve_chance(skill, name, family, question, self.hardness)
            found = self.fuser_chances[model] = (M.discernment(skill, self.hardness), solve)
        return found

    def final(self, prefix: tuple, rest: Suffix) -> Probabilities:
        """(P(R), P(W), P(O)) of the answer of an architecture: its layers' signatures up to the first fuser, then the rest.

        Forward from the generators up to the first fuser (many states, few distinct prefixes),
        then backward values from there (few states, suffixes shared by many architectures).
        """
        key = (prefix, rest.id)
        found = self.finals.get(key)
        if found is not None:
            return found
        dist = self.forward.get(prefix)
        if dist is None:
            n, generated = self.generators(prefix[0])
            dist = {(r, w, n - r - w, 0, 0): p for (r, w), p in generated.items()}
            for layer in prefix[1:]:
                nxt: dict[State, float] = {}
                for state, p in dist.items():
                    for q, after in self.transitions(layer, state):
                        nxt[after] = nxt.get(after, 0.0) + p * q
                dist = nxt
            self.forward[prefix] = dist
        right = wrong = other = 0.0
        for state, p in dist.items():
            a, b, c = self.value(rest, state)
            right, wrong, other = right + p * a, wrong + p * b, other + p * c
        self.finals[key] = (right, wrong, other)
        return right, wrong, other


class Suffix:
    """The layers after some point of an architecture, interned (one object, one id per distinct suffix)."""

    _interned: dict[tuple, Suffix] = {}

    def __init__(self, layer: tuple | None, rest: Suffix | None):
        self.layer, self.rest, self.id = layer, rest, len(Suffix._interned)

    @classmethod
    def of(cls, signatures: tuple) -> Suffix:
        found = cls._interned.get(signatures)
        if found is None:
            rest = cls.of(signatures[1:]) if signatures else None
            found = cls._interned[signatures] = cls(signatures[0] if signatures else None, rest)
        return found


def _signature(layer: Layer, cfgs: dict[str, SimConfig]) -> tuple:
    """What the exact model reads of a layer: kind, (id, skill, family) per model, samples, top_k."""
    models = tuple((m.id, cfgs[m.id].skill, cfgs[m.id].family) for m in layer.models)
    return (layer.kind, models, layer.samples, layer.top_k)


_MODELS: dict[tuple, QuestionModel] = {}


def question_model(row: Mapping[str, Any]) -> QuestionModel:
    """The memoised exact model of a row's question (shared by every architecture asked about it)."""
    key = (
        str(row["question"]),
        str(row.get("answer")),
        str(row.get("distractors")),
        str(row.get("difficulty")),
    )
    found = _MODELS.get(key)
    if found is None:
        found = _MODELS[key] = QuestionModel(truth_from_row(row))
    return found


_CLASS_SCORES: dict[tuple, tuple[float, float, float]] = {}


def _class_scores(truth: Truth, row: Mapping[str, Any], scorer: Any) -> tuple[float, float, float]:
    """What the scorer gives an answer of each class: the truth, the tempting mistake, the first other mistake."""
    key = (truth.question, truth.answer, getattr(scorer, "name", id(scorer)), str(row.get("answer")))
    found = _CLASS_SCORES.get(key)
    if found is None:
        rng = Draw("expected-score")
        shown = (truth.shown, truth.wrong[0] if truth.wrong else "", truth.others[0] if truth.others else "")
        a, b, c = (float(scorer.score(_present(truth, s, rng), row)) if s else 0.0 for s in shown)
        found = _CLASS_SCORES[key] = (a, b, c)
    return found


def expected_scores(
    architecture: Architecture, rows: Sequence[Mapping[str, Any]], scorer: Any = "numeric"
) -> list[float]:
    """Each row's expected score for `architecture` over all simulator seeds (exact; see the module doc)."""
    from ...itas.scorers import get_scorer

    scorer = get_scorer(scorer)
    check_supported(architecture)
    if architecture.layers and architecture.layers[0].kind != "generator":
        raise UnsupportedLayer("the exact expectation needs a generator as the first layer")
    cfgs = configs(architecture, None)
    signatures = [_signature(layer, cfgs) for layer in architecture.layers]
    split = next((i for i, sig in enumerate(signatures) if sig[0] == "fuser"), len(signatures))
    prefix, rest = tuple(signatures[:split]), Suffix.of(tuple(signatures[split:]))
    out = []
    for row in rows:
        qm = question_model(row)
        probabilities = qm.final(prefix, rest)
        scores = _class_scores(qm.truth, row, scorer)
        out.append(sum(p * s for p, s in zip(probabilities, scores, strict=True)))
    return out


def expected_score(
    architecture: Architecture, rows: Sequence[Mapping[str, Any]], scorer: Any = "numeric"
) -> float:
    """The mean score over `rows` that `architecture` gets on the simulator, in expectation over seeds.

    Exact (no sampling error): the probability of each row's answer being right is carried through
    the layers analytically (module doc). This is the ground truth to judge a search by: a search
    on the simulator observes `SimEvaluator(scorer, seed).evaluate(arch, rows).score` (the executor's
    score at that seed, `archonc search --sim-seed N`), whose mean over seeds is this.

    architecture: an instantiated Architecture of sim models (simulate() real ones first);
        generator, critic, ranker and fuser layers, ending with one candidate, else
        fast.UnsupportedLayer (a ValueError) says what is not covered.
    rows: dataset rows with "question" and "answer" (and optional "distractors", "difficulty").
    scorer: a scorer name (numeric, exact, mc, ...) or a Scorer; an answer of each class (right,
        tempting mistake, another mistake) is scored once per row.

    >>> from archon_dsl.loader import load
    >>> from archon_dsl.datasets import load_dataset
    >>> t = load("examples/itas_sim.arch")
    >>> round(expected_score(t.instantiate(t.default_assignment()), load_dataset("arithmetic"), "numeric"), 3)
    0.748
    """
    scores = expected_scores(architecture, rows, scorer)
    return sum(scores) / len(scores) if scores else 0.0
