"""The comparison statistics on synthetic results whose answer is known."""

import numpy as np
import pytest

from tsenas_pymoo.analysis.comparison import (
    cliffs_delta,
    compare_groups,
    detectable_shift,
    fewest_seeds,
    hodges_lehmann,
    holm,
    seeds_needed,
    smallest_p,
)


def test_holm_adjusts_step_down_and_keeps_the_order():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.001]) == pytest.approx([0.5, 0.002])
    assert holm([0.9, 0.8]) == pytest.approx([1.0, 1.0])  # 2 x 0.8 capped at 1; a later step never lower


def test_effect_sizes_in_units_and_as_probability():
    a, b = [3.0, 4.0, 5.0], [1.0, 2.0, 3.0]
    assert hodges_lehmann(a, b) == 2.0
    assert cliffs_delta(a, b) == pytest.approx((8 - 0) / 9)
    assert cliffs_delta(b, a) == pytest.approx(-8 / 9)
    assert cliffs_delta(a, a) == 0.0


def test_a_clear_winner_is_found_and_equal_methods_are_not():
    rng = np.random.default_rng(0)
    groups = {
        "best": rng.normal(0.80, 0.01, 30),
        "same_a": rng.normal(0.77, 0.01, 30),
        "same_b": rng.normal(0.77, 0.01, 30),
    }
    out = compare_groups(groups, n_resamples=300)
    assert out["omnibus"]["p"] < 1e-6 and out["n"] == {"best": 30, "same_a": 30, "same_b": 30}
    pairs = {(r["a"], r["b"]): r for r in out["pairs"]}
    win = pairs["best", "same_a"]
    assert win["p_holm"] < 1e-6 and win["shift"] == pytest.approx(0.03, abs=0.01)
    assert win["shift_ci95"][0] > 0.015 and win["cliffs_delta"] > 0.8
    tie = pairs["same_a", "same_b"]
    assert tie["p_holm"] > 0.05 and tie["shift_ci95"][0] < 0 < tie["shift_ci95"][1]


def test_against_a_control_only_its_pairs_are_tested_and_corrected():
    groups = {"tsenas": [5, 6, 7, 8], "ga": [1, 2, 3, 4], "random": [1, 2, 3, 5]}
    out = compare_groups(groups, control="tsenas", n_resamples=100)
    assert [(r["a"], r["b"]) for r in out["pairs"]] == [("tsenas", "ga"), ("tsenas", "random")]
    assert all(r["p_holm"] >= r["p"] for r in out["pairs"])
    with pytest.raises(ValueError, match="control='de'"):
        compare_groups(groups, control="de")
    with pytest.raises(ValueError, match="at least 2 methods"):
        compare_groups({"a": [1, 2]})
    flat = compare_groups({"a": [1, 1], "b": [1, 1]}, n_resamples=10)
    assert flat["omnibus"]["p"] == 1.0 and flat["pairs"][0]["p"] == 1.0


def test_seeds_needed_grows_with_noise_and_comparisons_and_matches_a_simulation():
    n = seeds_needed(0.01, 0.01)
    assert n == 17  # 2 (1.960 + 0.842)^2 / (3 / pi) = 16.4, rounded up
    assert seeds_needed(0.01, 0.02) > 3 * n and seeds_needed(0.01, 0.01, comparisons=5) > n
    from scipy.stats import mannwhitneyu

    rng = np.random.default_rng(1)
    hits = [mannwhitneyu(rng.normal(0.01, 0.01, n), rng.normal(0, 0.01, n)).pvalue < 0.05 for _ in range(400)]
    assert 0.72 < np.mean(hits) < 0.92
    with pytest.raises(ValueError, match="both positive"):
        seeds_needed(0.0, 0.01)


def test_detectable_shift_inverts_seeds_needed():
    assert detectable_shift(17, 0.01) <= 0.01 < detectable_shift(16, 0.01)  # 17 seeds are the first enough
    assert detectable_shift(10, 0.01, comparisons=4) > detectable_shift(10, 0.01)
    with pytest.raises(ValueError, match="seeds >= 2"):
        detectable_shift(1, 0.01)


def test_the_exact_tests_floor_bounds_what_few_seeds_can_detect():
    from scipy.stats import mannwhitneyu

    for n in (3, 4, 5):  # complete separation gives exactly the floor
        assert mannwhitneyu(range(n), range(n, 2 * n)).pvalue == pytest.approx(smallest_p(n, n))
    assert smallest_p(3, 3) == pytest.approx(0.1)
    assert detectable_shift(3, 0.001) == float("inf")  # no shift gives p < 0.05 with 3 seeds
    assert detectable_shift(4, 0.001, comparisons=4) == float("inf") > detectable_shift(5, 0.001, comparisons=4)
    assert seeds_needed(1.0, 0.001, comparisons=4) == 5  # a huge shift still needs the floor below 0.0125
    assert seeds_needed(1.0, 0.001) == 4
    assert fewest_seeds(comparisons=4) == 5 and fewest_seeds() == 4
