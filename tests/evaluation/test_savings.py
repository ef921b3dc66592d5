"""What an inherited epoch is worth: interpolation, censoring, the two-level bootstrap."""

import numpy as np
import pytest

from tsenas_pymoo.analysis.savings import hierarchical_bootstrap, interval, scratch_equivalent

CURVE = {1: 0.70, 2: 0.75, 4: 0.80, 8: 0.85}


def test_a_measured_point_is_its_own_epochs_and_between_points_interpolates_on_log_epochs():
    assert scratch_equivalent(0.80, CURVE) == {"epochs": 4.0, "censored": None}
    assert scratch_equivalent(0.75, CURVE)["epochs"] == pytest.approx(2.0)
    # halfway between 2 and 4 epochs' accuracies: halfway in log2, 2 ** 1.5, not 3
    assert scratch_equivalent(0.775, CURVE)["epochs"] == pytest.approx(2**1.5)


def test_outside_the_measured_range_the_answer_is_censored_not_extrapolated():
    assert scratch_equivalent(0.60, CURVE) == {"epochs": 1.0, "censored": "below"}
    assert scratch_equivalent(0.70, CURVE) == {"epochs": 1.0, "censored": None}
    assert scratch_equivalent(0.95, CURVE) == {"epochs": 8.0, "censored": "above"}


def test_a_dip_in_the_scratch_curve_counts_as_flat_not_as_worse():
    dip = {1: 0.70, 2: 0.78, 4: 0.76, 8: 0.86}
    # 0.77 is first reached after 2 epochs' worth, between 1 and 2, not after the dip
    assert 1.0 < scratch_equivalent(0.77, dip)["epochs"] < 2.0
    assert scratch_equivalent(0.80, dip)["epochs"] == pytest.approx(2 ** (2 + 2 / 8))


def test_bad_curves_are_refused_with_the_rule():
    with pytest.raises(ValueError, match="at least 2"):
        scratch_equivalent(0.8, {1: 0.7})
    with pytest.raises(ValueError, match="positive"):
        scratch_equivalent(0.8, {0: 0.1, 1: 0.7})


def test_the_bootstrap_draws_seeds_first_so_seed_to_seed_spread_widens_the_interval():
    rng = np.random.default_rng(1)
    children = [rng.normal(0, 0.01, size=(16, 1)) for _ in range(3)]
    shifted = [c + shift for c, shift in zip(children, (-0.05, 0.0, 0.05))]

    def mean(t):
        return float(t.mean())

    within = hierarchical_bootstrap(children, mean, 1000, 0)
    across = hierarchical_bootstrap(shifted, mean, 1000, 0)
    pooled = hierarchical_bootstrap([np.vstack(shifted)], mean, 1000, 0)  # children as if independent
    assert np.ptp(np.percentile(across, [2.5, 97.5])) > 3 * np.ptp(np.percentile(within, [2.5, 97.5]))
    assert np.ptp(np.percentile(across, [2.5, 97.5])) > 1.5 * np.ptp(np.percentile(pooled, [2.5, 97.5]))


def test_the_bootstrap_is_seeded_and_one_group_resamples_its_rows():
    group = [np.arange(10.0).reshape(-1, 1)]
    a = hierarchical_bootstrap(group, lambda t: float(t.mean()), 200, 5)
    b = hierarchical_bootstrap(group, lambda t: float(t.mean()), 200, 5)
    assert np.array_equal(a, b) and a.std() > 0
    with pytest.raises(ValueError, match="none empty"):
        hierarchical_bootstrap([np.zeros((0, 1))], lambda t: 0.0)


def test_interval_p_is_small_only_when_the_resamples_stay_on_one_side_of_the_null():
    assert interval(np.full(100, 0.3), 0.3)["p"] == pytest.approx(0.01)
    assert interval(np.linspace(-1, 1, 101), 0.0)["p"] == pytest.approx(1.0)
    one_sided = interval(np.linspace(-0.1, 0.9, 101), 0.4)
    assert 0.1 < one_sided["p"] < 0.3 and one_sided["ci95"][0] < 0 < one_sided["ci95"][1]
    assert interval(np.full(10, 4.0), 4.0, null=1.0)["p"] == pytest.approx(0.1)
