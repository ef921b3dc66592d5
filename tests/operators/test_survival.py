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


def test_given_levels_replace_the_alpha_levels():
    acc = np.array([0.90, 0.50, 0.89])
    depth = np.array([3, 3, 3])
    # alpha levels would be [[0, 2], [1]]; the given levels (fronts) put 1 beside 0
    taken, level, _ = select_by_alpha_levels(acc, depth, 0.01, 2, levels=[[0, 1], [2]])
    assert taken == [0, 1] and level.tolist() == [0, 0, 1]


def test_levels_and_densities_are_integers_counted_across_every_taken_individual():
    taken, level, density = select_by_alpha_levels(np.array([0.9, 0.8, 0.7]), np.array([3, 3, 3]), 0.0, 3)
    assert taken == [0, 1, 2] and density.tolist() == [0, 1, 2]
    assert level.dtype.kind == "i" and density.dtype.kind == "i"


def test_in_the_overflowing_level_each_pick_raises_its_depths_count_by_one():
    # level 1 takes two depth-4 networks; level 2 overflows with depths 3, 3, 4 (room 2):
    # after one depth-3 pick the counts are 3: 1, 4: 2, so the second depth-3 goes before
    # the more accurate depth-4 one
    acc = np.array([0.99, 0.985, 0.80, 0.79, 0.798])
    depth = np.array([4, 4, 3, 3, 4])
    taken, _, density = select_by_alpha_levels(acc, depth, 0.01, 4)
    assert taken == [0, 1, 2, 3]
    assert density[[2, 3]].tolist() == [0, 1]


def test_survival_defaults_and_what_it_records():
    survival = AlphaLevelSurvival()
    assert survival.alpha == 0.01 and survival.last_alpha is None and survival.filter_infeasible is False
    assert AlphaLevelSurvival(alpha=0).alpha == 0  # no threshold: every accuracy its own level


def test_without_n_survive_everyone_survives_and_noise_alpha_reads_accuracy_as_one_minus_error(problem):
    class Evaluator:
        n_val = 100

    genomes = [NetworkGenome.from_cells(c) for c in ([3, 3, 3], [3, 3, 3, 3], [2, 2, 2])]
    pop = Population.new("X", np.array([g.to_vector(8) for g in genomes]), "F", np.array([[0.1], [0.3], [0.2]]))
    survival = AlphaLevelSurvival(alpha="noise")
    problem.evaluator = Evaluator()
    kept = survival._do(problem, pop)
    assert len(kept) == 3
    assert survival.last_alpha == pytest.approx(np.sqrt(0.9 * 0.1 / 100))
    assert pop.get("density").tolist() == [0, 0, 1]


def test_two_objectives_rank_by_fronts_not_by_accuracy_alone(problem):
    genomes = [NetworkGenome.from_cells(c) for c in ([3, 3, 3], [3, 3, 3, 3], [2, 2, 2])]
    # 0 and 1 are within alpha in error, but 1 is dominated (more params); 2 is worse in
    # error and cheaper: front 1 = {0, 2}, front 2 = {1}
    F = np.array([[0.100, 10.0], [0.101, 20.0], [0.300, 5.0]])
    pop = Population.new("X", np.array([g.to_vector(8) for g in genomes]), "F", F)
    kept = AlphaLevelSurvival(alpha=0.01).do(problem, pop, n_survive=2)
    assert [g.tolist() for g in kept.get("F")] == [[0.1, 10.0], [0.3, 5.0]]
    assert kept.get("rank").tolist() == [0, 0]


def test_noise_alpha_without_validation_images_names_the_rule():
    with pytest.raises(
        ValueError,
        match=r"^alpha='noise' needs the evaluator's number of validation images \(evaluator\.n_val\); "
        r"rule: a TorchEvaluator, or an evaluator with an n_val attribute$",
    ):
        AlphaLevelSurvival(alpha="noise").alpha_for(object(), np.array([0.9]))


def test_a_pick_adds_to_the_count_its_depth_already_has():
    # level 1: depths 3, 4, 4 -> counts 3: 1, 4: 2; level 2 overflows with 3, 3, 4 (room 2):
    # the first depth-3 pick makes 3: 2, tied with 4, so the more accurate depth-4 one wins
    acc = np.array([0.99, 0.988, 0.986, 0.80, 0.79, 0.795])
    depth = np.array([3, 4, 4, 3, 3, 4])
    taken, _, _ = select_by_alpha_levels(acc, depth, 0.01, 5)
    assert taken == [0, 1, 2, 3, 5]


def test_fronts_replace_alpha_levels_and_density_splits_the_overflow():
    from tests.conftest import StandInEvaluator
    from tsenas_pymoo import TSENASProblem
    from tsenas_pymoo.operators.survival import pareto_levels

    F = np.array([[0.10, 5.0], [0.20, 1.0], [0.15, 3.0], [0.30, 6.0], [0.12, 4.0]])
    assert pareto_levels(F) == [[0, 4, 2, 1], [3]]
    problem = TSENASProblem(StandInEvaluator(), n_min=2, n_max=6, objectives=("error", "params"))
    genomes = [NetworkGenome.from_cells(c) for c in ([3, 3], [3, 3, 3], [2, 2], [1, 1, 1], [4, 4, 4, 4])]
    pop = Population.new("X", np.array([g.to_vector(6) for g in genomes]), "F", F)
    survivors = AlphaLevelSurvival(alpha=0.01).do(problem, pop, n_survive=3)
    # front 1 = {0 (N=2), 4 (N=4), 2 (N=2), 1 (N=3)}: depth density picks 0, then 4 and 1
    assert [problem.decode(x).n_cells for x in survivors.get("X")] == [2, 4, 3]


def test_feasible_first_then_the_least_violation():
    """pymoo's feasibility rule inside alpha-level survival: an infeasible individual never
    displaces a feasible one, and infeasible ones survive by their constraint violation,
    whatever their error."""

    class Problem:
        def decode(self, x):
            return NetworkGenome.from_cells([1] * int(x[0]))

    X = np.array([[3], [4], [5], [6], [3]])
    F = np.array([[0.2], [0.0], [0.1], [0.3], [0.05]])
    CV = np.array([[0.0], [0.5], [0.0], [0.1], [0.9]])
    pop = Population.new("X", X, "F", F, "CV", CV)
    survivors = AlphaLevelSurvival(alpha=0.01)._do(Problem(), pop, n_survive=3)
    assert survivors.get("F")[:, 0].tolist() == [0.1, 0.2, 0.3]
    assert survivors.get("CV")[:, 0].tolist() == [0.0, 0.0, 0.1]


class _Depth:
    """A problem whose genome depth is the vector's first value."""

    def decode(self, x):
        return NetworkGenome.from_cells([1] * int(x[0]))


def test_a_level_that_fits_exactly_goes_in_in_its_order():
    taken, level, density = select_by_alpha_levels(np.array([0.9, 0.8, 0.7]), np.array([3, 3, 4]), 0.5, 3)
    assert taken == [0, 1, 2] and level.tolist() == [0, 0, 0] and density.tolist() == [0, 1, 0]


def test_survival_of_nobody_and_of_only_infeasible_individuals():
    survival = AlphaLevelSurvival(alpha=0.01)
    assert len(survival._do(_Depth(), Population.empty(), n_survive=2)) == 0
    X, F, CV = np.array([[3], [4], [5]]), np.array([[0.2], [0.1], [0.3]]), np.array([[0.3], [0.1], [0.2]])
    survivors = survival._do(_Depth(), Population.new("X", X, "F", F, "CV", CV), n_survive=2)
    assert survivors.get("CV")[:, 0].tolist() == [0.1, 0.2]
    assert survivors.get("rank").tolist() == [np.iinfo(np.int64).max] * 2
    assert survivors.get("density").tolist() == [np.inf, np.inf]


def test_more_feasible_than_places_leaves_every_infeasible_one_out():
    X = np.array([[3], [4], [5], [6], [3], [4]])
    F = np.array([[0.2], [0.0], [0.1], [0.3], [0.05], [0.4]])
    CV = np.array([[0.0], [0.5], [0.0], [0.0], [0.0], [0.2]])
    survivors = AlphaLevelSurvival(alpha=0.01)._do(_Depth(), Population.new("X", X, "F", F, "CV", CV), n_survive=3)
    assert survivors.get("F")[:, 0].tolist() == [0.05, 0.1, 0.2] and not survivors.get("CV").any()


def test_infeasible_ties_keep_their_order():
    n = 40
    X, F = np.full((n, 1), 3), np.linspace(0.0, 0.5, n)[:, None]
    CV = np.full((n, 1), 0.5)
    CV[0] = 0.0
    survivors = AlphaLevelSurvival(alpha=0.01)._do(_Depth(), Population.new("X", X, "F", F, "CV", CV), n_survive=30)
    assert survivors.get("F")[1:, 0].tolist() == F[1:30, 0].tolist()


def test_survival_reads_each_depth_from_the_vectors():
    X = np.array([[3], [3], [4]])
    F = np.array([[0.1], [0.1], [0.1]])
    survivors = AlphaLevelSurvival(alpha=0.01)._do(_Depth(), Population.new("X", X, "F", F), n_survive=2)
    assert sorted(int(x[0]) for x in survivors.get("X")) == [3, 4]
