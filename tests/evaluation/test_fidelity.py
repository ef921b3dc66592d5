"""The fidelity statistics on synthetic data whose answer is known."""

import numpy as np
import pytest
from scipy import stats

from tsenas_pymoo.analysis.fidelity import (
    icc1,
    kendall_ceiling,
    paired_kendall,
    rank_fidelity,
    rescore_gain,
    winners_curse,
)


def test_icc_is_one_when_only_the_architecture_varies_and_near_zero_for_seed_noise_only():
    arch = np.linspace(0.5, 0.9, 30)
    assert icc1(np.repeat(arch[:, None], 3, axis=1))["icc1"] == pytest.approx(1.0)
    noise = np.random.default_rng(0).normal(0.7, 0.02, size=(200, 3))
    result = icc1(noise)
    assert abs(result["icc1"]) < 0.1 and result["seed_sd"] == pytest.approx(0.02, rel=0.1)


def test_icc_recovers_a_known_share_and_its_parts():
    rng = np.random.default_rng(1)
    arch = rng.normal(0, 0.03, size=(2000, 1))
    table = 0.7 + arch + rng.normal(0, 0.03, size=(2000, 3))  # equal variances: ICC 0.5
    result = icc1(table)
    assert result["icc1"] == pytest.approx(0.5, abs=0.04)
    assert result["architecture_sd"] == pytest.approx(0.03, rel=0.05)
    with pytest.raises(ValueError, match="rule"):
        icc1(table[:, :1])


def test_rank_fidelity_perfect_reversed_and_top_quarter():
    target = np.linspace(0, 1, 40)
    perfect = rank_fidelity(target * 2 + 1, target)
    assert perfect["kendall"] == pytest.approx(1) and perfect["recall_top10"] == 1
    reversed_ = rank_fidelity(-target, target)
    assert reversed_["kendall"] == pytest.approx(-1) and reversed_["recall_top10"] == 0
    # right order among the bad three quarters, scrambled among the top quarter
    proxy = target.copy()
    proxy[30:] = proxy[30:][::-1]
    mixed = rank_fidelity(proxy, target)
    assert mixed["kendall"] > 0.8 and mixed["kendall_top"] == pytest.approx(-1) and mixed["networks_top"] == 10


def test_winners_curse_is_zero_without_noise_and_positive_with_it():
    rng = np.random.default_rng(2)
    truth = rng.normal(0.8, 0.02, 100)
    exact = winners_curse(truth, truth, truth)
    assert exact["optimism"] == 0 and exact["regret"] == 0
    noisy = truth + rng.normal(0, 0.02, 100)
    cursed = winners_curse(noisy, truth, truth)
    assert cursed["optimism"] > 0.01 and cursed["regret"] > 0


def test_rescoring_gains_nothing_without_seed_noise_and_recovers_the_best_finalist_with_it():
    rng = np.random.default_rng(3)
    truth = rng.normal(0.8, 0.02, 60)
    exact = rescore_gain(np.repeat(truth[:, None], 3, axis=1), truth)
    assert exact["gain"] == 0 and exact["better_share"] == 0 and exact["added_trainings"] == 6
    # the search's score is noisy, the fresh trainings are exact: re-scoring picks the
    # truly best of the top three, never worse than the search's own pick
    table = np.column_stack([truth + rng.normal(0, 0.03, 60), truth, truth])
    result = rescore_gain(table, truth)
    assert result["gain"] > 0.005 and result["worse_share"] == 0 and result["better_share"] > 0.2
    assert result["rescored_target"] - result["search_pick_target"] == pytest.approx(result["gain"])
    # fresh trainings that are pure noise cannot be trusted to improve the pick
    useless = np.column_stack([truth, rng.normal(0.8, 0.05, (60, 2))])
    assert rescore_gain(useless, truth)["gain"] < 0
    with pytest.raises(ValueError, match="rule"):
        rescore_gain(table[:, :2], truth)


def test_kendall_ceiling_matches_a_noise_free_proxy_on_simulated_targets():
    rng = np.random.default_rng(4)
    arch = rng.normal(0, 0.02, 20000)
    one = arch + rng.normal(0, 0.02, 20000)  # ICC 0.5, one seed
    two = arch + rng.normal(0, 0.02, (20000, 2)).mean(axis=1)
    ceiling_one = kendall_ceiling(0.5, np.ones(20000))
    ceiling_two = kendall_ceiling(0.5, np.full(20000, 2))
    assert ceiling_one["kendall"] == pytest.approx(stats.kendalltau(arch, one).statistic, abs=0.01)
    assert ceiling_two["kendall"] == pytest.approx(stats.kendalltau(arch, two).statistic, abs=0.01)
    assert ceiling_one["kendall"] < ceiling_two["kendall"] < kendall_ceiling(1.0, [1])["kendall"] == 1.0
    with pytest.raises(ValueError, match="rule"):
        kendall_ceiling(0.0, [1])


def test_paired_kendall_tells_a_better_proxy_apart_and_not_an_equal_one():
    rng = np.random.default_rng(5)
    truth = rng.normal(0, 1, 200)
    good, bad = truth + rng.normal(0, 0.3, 200), truth + rng.normal(0, 2, 200)
    apart = paired_kendall(good, bad, truth, draws=300)
    assert apart["low"] > 0 and apart["p"] < 0.01 and apart["difference"] > 0.2
    twin = good + rng.normal(0, 1e-6, 200)  # the same ranking up to ties
    same = paired_kendall(good, twin, truth, draws=300)
    assert same["low"] <= 0 <= same["high"] and same["p"] > 0.5


def test_kendall_interval_holds_the_estimate_and_narrows_with_more_networks():
    from tsenas_pymoo.analysis.fidelity import kendall_interval

    rng = np.random.default_rng(0)
    truth = rng.normal(size=400)
    small = kendall_interval(truth[:20] + rng.normal(size=20), truth[:20])
    large = kendall_interval(truth + rng.normal(size=400), truth)
    assert small["low"] <= small["kendall"] <= small["high"] and large["low"] <= large["kendall"] <= large["high"]
    assert large["high"] - large["low"] < small["high"] - small["low"]


def test_simulated_ceiling_falls_with_seed_noise_and_rises_with_seeds():
    from tsenas_pymoo.analysis.fidelity import simulated_ceiling

    means = np.linspace(0.88, 0.92, 30)
    assert simulated_ceiling(means, 0.0, [1] * 30)["kendall"] == pytest.approx(1.0)
    noisy, averaged = simulated_ceiling(means, 0.01, [1] * 30), simulated_ceiling(means, 0.01, [4] * 30)
    assert noisy["kendall"] < averaged["kendall"] < 1.0


def test_finalist_gain_follows_the_rung_it_promotes_to():
    from tsenas_pymoo.analysis.fidelity import finalist_gain

    rng = np.random.default_rng(1)
    target = rng.normal(size=60)
    fitness = target + rng.normal(scale=2.0, size=60)
    perfect = finalist_gain(fitness, target, target, n=20, top=5)
    useless = finalist_gain(fitness, rng.normal(size=60), target, n=20, top=5)
    assert perfect["gain"] > 0 and perfect["worse_share"] == 0.0
    assert useless["gain"] < perfect["gain"]
    assert finalist_gain(fitness, target, target, n=20, top=1)["gain"] == 0.0
