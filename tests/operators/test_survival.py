import numpy as np
import pytest
from pymoo.core.population import Population

from tsenas_pymoo import AlphaLevelSurvival, NetworkGenome
from tsenas_pymoo.operators.survival import alpha_levels, compare_by_alpha_level, select_by_alpha_levels


def test_levels_are_within_alpha_of_each_levels_best():
    acc = np.array([0.90, 0.895, 0.88, 0.70, 0.875, 0.69])
    assert alpha_levels(acc, 0.01) == [[0, 1], [2, 4], [3, 5]]
    assert alpha_levels(acc, 0.0) == [[0], [1], [2], [4], [3], [5]]
    assert alpha_levels(acc, 1.0) == [[0, 1, 2, 4, 3, 5]]


def test_overflow_level_prefers_least_common_depth():
    acc = np.array([0.90, 0.899, 0.898, 0.897, 0.896, 0.50])
    depth = np.array([5, 5, 5, 6, 7, 5])
    taken, level, _density = select_by_alpha_levels(acc, depth, 0.01, 3)
    # one depth-5 (the most accurate), then the depth-6 and depth-7 ones
    assert taken == [0, 3, 4]
    assert level.tolist() == [0, 0, 0, 0, 0, 1]


def test_density_counts_earlier_levels_and_ties_go_to_accuracy():
    acc = np.array([0.95, 0.80, 0.799, 0.798])
    depth = np.array([4, 4, 5, 5])
    taken, _, density = select_by_alpha_levels(acc, depth, 0.01, 3)
    # level 1 = {0} (depth 4); in level 2 depth 5 has density 0 < depth 4's 1
    # -> 2 (more accurate of the depth-5 pair), then 1 and 3 tie at density 1 -> 1
    assert taken == [0, 2, 1]
    assert density[[0, 2, 1]].tolist() == [0, 0, 1]


def test_whole_levels_go_in_when_they_fit():
    acc = np.array([0.9, 0.5, 0.4, 0.3])
    taken, _, _ = select_by_alpha_levels(acc, np.array([3, 3, 3, 3]), 0.01, 2)
    assert taken == [0, 1]


def test_pymoo_survival_sets_rank_and_density(problem):
    genomes = [NetworkGenome.from_cells(c) for c in ([3, 3, 3], [3, 3, 3, 3], [2, 2, 2], [1, 1, 1, 1, 1])]
    pop = Population.new(
        "X", np.array([g.to_vector(8) for g in genomes]), "F", np.array([[0.10], [0.105], [0.102], [0.3]])
    )
    surv = AlphaLevelSurvival(alpha=0.01).do(problem, pop, n_survive=2)
    assert [problem.decode(x).n_cells for x in surv.get("X")] == [3, 4]
    assert surv.get("rank").tolist() == [0, 0]
    winners = compare_by_alpha_level(pop, np.array([[0, 3], [3, 2]]), random_state=np.random.default_rng(0))
    assert winners[:, 0].tolist() == [0, 2]


def test_negative_alpha_is_rejected():
    import pytest

    with pytest.raises(ValueError, match="alpha"):
        AlphaLevelSurvival(alpha=-0.1)


def test_alpha_is_the_given_number_or_the_noise_of_the_best_accuracy():
    class Evaluator:
        n_val = 600

    class Problem:
        evaluator = Evaluator()

    assert AlphaLevelSurvival(alpha=0.02).alpha_for(None, np.array([0.9])) == 0.02
    noise = AlphaLevelSurvival(alpha="noise")
    # the binomial standard error of the best accuracy on n_val images: sqrt(0.9 * 0.1 / 600)
    assert noise.alpha_for(Problem(), np.array([0.5, 0.9, 0.7])) == pytest.approx(0.0122474, rel=1e-5)
    assert noise.alpha_for(Problem(), np.array([0.5, 1.3])) == 0.0  # clipped to [0, 1]
    assert noise.alpha_for(Problem(), np.array([-0.2, -0.1])) == 0.0
    with pytest.raises(ValueError, match=r"alpha='noise' needs the evaluator's number of validation images"):
        noise.alpha_for(object(), np.array([0.9]))
