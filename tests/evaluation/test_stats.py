"""The report's statistics against hand-computed values."""

import math

import pytest

from archon_dsl.evaluation.stats import (
    bootstrap_mean,
    bradley_terry,
    paired_difference,
    pass_at_k,
    significant,
    win_rate_from_ratings,
)


def test_pass_at_k_is_the_unbiased_estimator():
    assert pass_at_k(10, 0, 1) == 0.0
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_at_k(10, 3, 5) == pytest.approx(1 - math.comb(7, 5) / math.comb(10, 5))
    assert pass_at_k(5, 4, 2) == 1.0  # fewer failures than k: some pass in every draw of k
    with pytest.raises(ValueError):
        pass_at_k(2, 1, 5)


def test_bootstrap_interval_holds_the_mean_and_shrinks_with_more_data():
    small = [1.0, 0.0] * 10
    large = [1.0, 0.0] * 500
    m, low, high = bootstrap_mean(small)
    m2, low2, high2 = bootstrap_mean(large)
    assert m == m2 == 0.5 and low < 0.5 < high and low2 < 0.5 < high2
    assert high2 - low2 < (high - low) / 4


def test_paired_difference_sees_a_consistent_small_gain():
    a = [1.0] * 30 + [0.0] * 70
    b = [1.0] * 20 + [0.0] * 80  # b is a with ten questions lost
    diff = paired_difference(a, b)
    assert diff["difference"] == pytest.approx(0.1)
    assert diff["low"] > 0 and significant(diff["low"], diff["high"]) and diff["p_value"] < 0.05
    same = paired_difference(a, a)
    assert same["difference"] == 0 and same["p_value"] == 1.0 and not significant(same["low"], same["high"])


def test_bradley_terry_recovers_a_win_rate():
    battles = [("m", "base", 1.0, 1.0)] * 75 + [("m", "base", 0.0, 1.0)] * 25
    ratings = bradley_terry(battles, anchor="base")
    assert ratings["base"] == 1000.0
    assert win_rate_from_ratings(ratings["m"], ratings["base"]) == pytest.approx(0.75, abs=1e-3)
    ties = bradley_terry([("m", "base", 0.5, 1.0)] * 10, anchor="base")
    assert ties["m"] == pytest.approx(1000.0, abs=1e-6)
