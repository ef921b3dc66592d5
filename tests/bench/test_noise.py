"""The seed-noise model: pooled SD, and an SD that follows the network's mean."""

import numpy as np
import pytest

from tsenas_pymoo.bench.noise import PER_BIN, SeedNoise, seed_sd


def _repeated(rng, means, sd_of_mean, seeds=3):
    return [list(m + rng.normal(0.0, sd_of_mean(m), seeds)) for m in means]


def test_pooled_sd_pools_within_network_variance():
    assert seed_sd([[0.5, 0.7], [0.2], [0.1, 0.1, 0.4]]) == pytest.approx(np.sqrt((0.02 + 0.06) / 3))
    assert seed_sd([[0.5]]) == 0.0


def test_the_sd_falls_with_the_mean_where_good_networks_scatter_less():
    rng = np.random.default_rng(0)
    means = rng.uniform(0.3, 0.8, 300)
    noise = SeedNoise(_repeated(rng, means, lambda m: 0.06 - 0.06 * (m - 0.3)))  # 0.06 at 0.3, 0.03 at 0.8
    assert noise.sd(0.35) == pytest.approx(0.057, abs=0.012)
    assert noise.sd(0.75) == pytest.approx(0.033, abs=0.01)
    assert noise.sd(0.3) > noise.sd(0.55) > noise.sd(0.8)
    assert noise.sd(0.99) == noise.sd(0.9) and noise.sd(0.0) == noise.sd(0.2)  # the end bins' values beyond them
    deciles = np.percentile(means, [10, 30, 50, 70, 90])  # each bin's median: the middle of its fifth
    assert [b["mean"] for b in noise.table()] == pytest.approx(deciles, abs=0.02)
    assert noise.sd(0.75) < noise.pooled < noise.sd(0.35)


def test_constant_noise_gives_about_the_pooled_sd_everywhere():
    rng = np.random.default_rng(1)
    noise = SeedNoise(_repeated(rng, rng.uniform(0.3, 0.8, 300), lambda m: 0.02))
    for m in (0.35, 0.55, 0.75):
        assert noise.sd(m) == pytest.approx(0.02, abs=0.008)


def test_too_few_repeated_networks_fall_back_to_the_pooled_sd():
    rng = np.random.default_rng(2)
    few = _repeated(rng, rng.uniform(0.3, 0.8, 2 * PER_BIN - 1), lambda m: 0.1 - 0.1 * m) + [[0.9]]
    noise = SeedNoise(few)
    assert noise.sd(0.4) == noise.sd(0.7) == noise.pooled == seed_sd(few) and noise.table() == []
    assert len(SeedNoise(few[:-1] + few[:1]).table()) == 2  # two bins' worth: two bins
