"""The whole-space check (memoised per parameters read) against checking every point one by one,
and the logic operators (`not`, unary minus, `and`, `or`) in constraints and `if`."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from archon_dsl.checker import check_architecture, check_template
from archon_dsl.loader import load_text
from archon_dsl.template import EvalError, InstantiateError, evaluate

HEAD = """
model a = "openai/gpt-4o"
model b = "openai/gpt-4o-mini"
pool p = [a, b, a]
param n: int = 1 in 1..{high}
param k: int = 1 in 0..3
param f: bool = true
"""
CONSTRAINTS = [
    "not (n > 2)",
    "-n + 4 >= k",
    "n != 2 and k < 3",
    "f or k == 0",
    "not f or -k < 0",
    "n >= 1 or k > 9",
]
# Layers that hold at some points and fail at others (a slice past the pool, a zero count, ...).
FIRST = [
    "layer generator {{ models = p[:n]; samples = max(k, 1) }}",
    "layer generator {{ models = p[:n + k] }}",
    "layer generator {{ models = [a, b] }}",
]
LAYERS = [
    "layer critic {{ model = a }}",
    "layer ranker {{ model = a; top_k = k }}",
    "layer fuser {{ model = [a, b][k % 2] }}",
    "layer fuser {{ models = p[k:n] }}",
    "if f and n > 1 {{ layer critic {{ model = b }} }}",
    "if not f or k == 2 {{ layer ranker {{ model = a; top_k = 1 }} }} else {{ layer critic {{ model = a }} }}",
    "repeat -k + 3 {{ layer fuser {{ model = a }} }}",
    "repeat i in 0..k - 1 {{ layer fuser {{ models = p[:i + 1] }} }}",
]

_DIGITS = re.compile(r"\d+")


def _key(diagnostic) -> tuple:
    # The whole-space check reports findings that differ only in figures once.
    return diagnostic.code, diagnostic.span, _DIGITS.sub("#", diagnostic.message)


def _naive(template) -> tuple[int, set]:
    """Valid points and point findings, instantiating and checking every distinct architecture of the
    space (every point, when no parameter is conditional), no memo."""
    valid, found = 0, set()
    for point in template.distinct_points():
        try:
            # Every constraint in order up to the first that cannot be evaluated, as the whole-space
            # check does (constraints_hold stops at the first false one and would miss a later error).
            if not all(template.constraint_results(point)):
                continue
        except EvalError as e:
            found.add(_key(e.diagnostic(template.path)))
            continue
        try:
            arch = template.instantiate(point)
        except InstantiateError as e:
            diagnostics = e.diagnostics
        else:
            diagnostics = check_architecture(arch, template=template)
        found.update(_key(d) for d in diagnostics)
        valid += not any(d.is_error for d in diagnostics)
    return valid, found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    high=st.integers(1, 4),
    constraints=st.lists(st.sampled_from(CONSTRAINTS), max_size=2, unique=True),
    first=st.sampled_from(FIRST),
    layers=st.lists(st.sampled_from(LAYERS), max_size=4),
)
def test_memoised_whole_space_check_equals_checking_every_point(high, constraints, first, layers):
    text = HEAD.format(high=high) + "".join(f"constraint {c}\n" for c in constraints)
    text += "\n".join(layer.format() for layer in [first, *layers]) + "\nlayer fuser { model = a }\n"
    template = load_text(text, "t.arch")
    result = check_template(template)
    valid, found = _naive(template)
    # With no constraint-satisfying point, the space is reported unsatisfiable and has no valid point.
    assert result.valid == valid
    assert result.raw == high * 4 * 2 == result.checked
    whole_space = {_key(d) for d in result.diagnostics}
    assert found <= whole_space
    # Whatever else the whole-space check reports is about the template itself, found at no single point.
    template_wide = {key for key in whole_space - found if key[0] == "S006"}  # unused-name
    assert whole_space - found == template_wide


# Conditional parameters: k exists from n >= 2 on, f only where k does and k >= 1.
CONDITIONAL_HEAD = """
model a = "openai/gpt-4o"
model b = "openai/gpt-4o-mini"
pool p = [a, b, a]
param n: int = 1 in 1..{high}
param k: int = 1 in 0..3 when n >= 2
param f: bool = true when k >= 1
"""


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    high=st.integers(1, 4),
    constraints=st.lists(st.sampled_from(CONSTRAINTS), max_size=2, unique=True),
    first=st.sampled_from(FIRST),
    layers=st.lists(st.sampled_from(LAYERS), max_size=4),
)
def test_the_whole_space_check_over_conditional_parameters_equals_checking_each_architecture(
    high, constraints, first, layers
):
    text = CONDITIONAL_HEAD.format(high=high) + "".join(f"constraint {c}\n" for c in constraints)
    text += "\n".join(layer.format() for layer in [first, *layers]) + "\nlayer fuser { model = a }\n"
    template = load_text(text, "t.arch")
    result = check_template(template)
    valid, found = _naive(template)
    assert result.valid == valid
    # n = 1: one architecture; n >= 2: k = 0 (f absent) or k in 1..3 with f either way.
    assert result.raw == high * 4 * 2 and result.distinct == 1 + (high - 1) * 7 == result.checked
    whole_space = {_key(d) for d in result.diagnostics}
    assert found <= whole_space
    # Beyond the points: unused names, never-active params, and a space no point satisfies.
    assert {key[0] for key in whole_space - found} <= {"S006", "S009", "S017"}


# ---------------------------------------------------------------------------
# not, unary minus, and, or
# ---------------------------------------------------------------------------

LOGIC = (
    HEAD.format(high=4)
    + """
constraint not (n == 3) and (-k < -1 or f)
layer generator { models = p[:2] }
if not f or -n <= -3 {
  layer critic { model = a }
} else {
  layer ranker { model = a; top_k = 1 }
}
layer fuser { models = p[:min(n, 3)] }
"""
)


@pytest.fixture(scope="module")
def logic():
    return load_text(LOGIC, "logic.arch")


def test_constraints_with_not_unary_minus_and_or(logic):
    held = {(p["n"], p["k"], p["f"]) for p in logic.points() if logic.constraints_hold(p)}
    expected = {
        (n, k, f)
        for n in range(1, 5)
        for k in range(4)
        for f in (True, False)
        if not n == 3 and (-k < -1 or f)
    }
    assert held == expected
    assert (3, 3, True) not in held and (1, 0, False) not in held and (1, 2, False) in held
    assert check_template(logic).valid == len(expected)


@pytest.mark.parametrize(
    ("n", "f", "kind"),
    [
        (1, True, "ranker"),
        (2, True, "ranker"),
        (3, True, "critic"),
        (4, True, "critic"),
        (1, False, "critic"),
    ],
)
def test_if_with_not_unary_minus_and_or(logic, n, f, kind):
    arch = logic.instantiate({"n": n, "k": 2, "f": f})
    assert [layer.kind for layer in arch.layers] == ["generator", kind, "fuser"]


def _value(text: str, **scope):
    return evaluate(load_text(f"constraint {text}\n", "e.arch").constraints[0].expr, scope)


def test_operator_values():
    assert _value("-x", x=3) == -3 and _value("-(x - 5)", x=3) == 2 and _value("- -x", x=3) == 3
    assert _value("not x", x=False) is True and _value("not not x", x=False) is False
    assert _value("x and y", x=True, y=False) is False and _value("x or y", x=False, y=True) is True
    assert _value("not x and y or z", x=True, y=True, z=False) is False  # (not x and y) or z
    assert _value("x or y and z", x=True, y=False, z=False) is True  # x or (y and z)
    # and/or stop at the first value that decides: the second operand is not evaluated.
    assert _value("x or y", x=True, y=3) is True and _value("x and y", x=False, y=3) is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not x", "expected true or false, got int"),
        ("x and true", "expected true or false, got int"),
        ("false or x", "expected true or false, got int"),
        ("-f", "'-'"),
    ],
)
def test_operators_refuse_values_of_the_wrong_type(text, message):
    with pytest.raises(EvalError) as caught:
        _value(text, x=1, f=True)
    assert caught.value.code == "S012" and message in caught.value.message
