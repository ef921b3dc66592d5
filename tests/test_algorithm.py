"""The two-stage TSENAS algorithm under one minimize call."""

import itertools
from typing import ClassVar

import numpy as np
import pytest
from pymoo.optimize import minimize

from tests.conftest import StandInEvaluator
from tsenas_pymoo import FineGenome, NetworkGenome, TSENASProblem
from tsenas_pymoo.evaluation import TorchEvaluator
from tsenas_pymoo.operators.crossover import CellCrossover
from tsenas_pymoo.operators.mutation import CellMutation
from tsenas_pymoo.search.algorithm import TSENAS, BestAccuracyCallback, GenerationRecorder
from tsenas_pymoo.search.options import TSENASOptions, tsenas_keywords


def check_two_stages(res, fine_size, stage1_gens, monotone=True):
    data = res.algorithm.data
    stage1 = sorted(data["stage1_final"], key=lambda kv: -kv[1])
    assert data["stage2_start"] == [k for k, _ in stage1[:fine_size]]  # stage 2 starts from stage 1's best S
    records = data["generations"]
    n1 = stage1_gens + 1  # the initial population, then T0 offspring generations (Alg. 2)
    assert [r["stage"] for r in records] == [1] * n1 + [2] * (len(records) - n1)
    best2 = [r["best_accuracy"] for r in records if r["stage"] == 2]
    if monotone:  # a deterministic evaluator: s evaluated again scores the same, so the best never drops
        assert all(b >= a for a, b in itertools.pairwise(best2))
    assert data["best_accuracy"] == max(r["best_accuracy"] for r in records)
    assert res.F[0] == pytest.approx(1 - records[-1]["best_accuracy"])


def test_both_stages_with_real_training(digits_small):
    ev = TorchEvaluator(digits_small, epochs=1, init_channels=4, device="cpu")
    problem = TSENASProblem(ev, n_min=2, n_max=4)
    res = minimize(problem, TSENAS(pop_size=4, fine_size=2, stage1_gens=2, stage2_gens=2), seed=0)
    check_two_stages(res, 2, 2, monotone=False)
    best = problem.decode(res.X)
    assert isinstance(best, FineGenome) and len(res.X) == 23 * 4
    assert ev.trained >= 4 + 4 + 4


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stage_two_with_stand_in(seed):
    problem = TSENASProblem(StandInEvaluator(), n_min=3, n_max=8)
    callback = GenerationRecorder()
    res = minimize(
        problem, TSENAS(pop_size=12, fine_size=4, stage1_gens=5, stage2_gens=6), seed=seed, callback=callback
    )
    check_two_stages(res, 4, 5)
    assert [r["n_gen"] for r in callback.records] == list(range(1, 13))
    for x in res.pop.get("X"):
        problem.decode(x).validate()


def test_termination_counts_across_both_stages():
    problem = TSENASProblem(StandInEvaluator(), n_min=3, n_max=8)
    res = minimize(problem, TSENAS(pop_size=8, fine_size=2, stage1_gens=3, stage2_gens=5), ("n_gen", 5), seed=0)
    assert [r["stage"] for r in res.algorithm.data["generations"]] == [1, 1, 1, 1, 2]


def test_count_initial_restores_the_earlier_generation_count():
    problem = TSENASProblem(StandInEvaluator(), n_min=3, n_max=8)
    res = minimize(
        problem,
        TSENAS(pop_size=8, fine_size=2, stage1_gens=3, stage2_gens=2, options=TSENASOptions(count_initial=True)),
        seed=0,
    )
    assert [r["stage"] for r in res.algorithm.data["generations"]] == [1, 1, 1, 2, 2]


def test_same_seed_same_result():
    runs = []
    for _ in range(2):
        problem = TSENASProblem(StandInEvaluator(), n_min=3, n_max=8)
        res = minimize(problem, TSENAS(pop_size=8, fine_size=3, stage1_gens=3, stage2_gens=3), seed=5)
        runs.append((res.X.tolist(), res.F.tolist()))
    assert runs[0] == runs[1]


def test_rough_offspring_are_unique_and_valid():
    problem = TSENASProblem(StandInEvaluator(), n_min=3, n_max=8)
    res = minimize(problem, TSENAS(pop_size=10, fine_size=2, stage1_gens=4, stage2_gens=0), seed=3)
    keys = [problem.decode(x).key() for x in res.pop.get("X")]
    assert len(keys) == len(set(keys)) == 10


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="fine_size=5; rule: S <= pop_size=4"):
        TSENAS(pop_size=4, fine_size=5)
    with pytest.raises(ValueError, match="crossover_prob"):
        TSENAS(**tsenas_keywords(crossover_prob=1.5))
    with pytest.raises(ValueError, match="stage1_gens"):
        TSENAS(stage1_gens=0)


def test_ablation_switches():
    problem = TSENASProblem(StandInEvaluator(), n_min=3, n_max=8)
    res = minimize(
        problem,
        TSENAS(
            pop_size=8,
            fine_size=3,
            stage1_gens=3,
            stage2_gens=3,
            crossover=CellCrossover(single_point=True),
            mutation=CellMutation(kinds=("cell",)),
            options=TSENASOptions(prune=False, fine_kinds=("edge",)),
        ),
        seed=2,
    )
    check_two_stages(res, 3, 3)
    records = res.algorithm.data["generations"]
    assert records[-1]["n_eval"] - records[-2]["n_eval"] == 6  # one child per parent without pruning, and s again
    res = minimize(
        problem,
        TSENAS(
            pop_size=8, fine_size=3, stage1_gens=3, stage2_gens=3, options=TSENASOptions(prune=False, reevaluate=False)
        ),
        seed=2,
    )
    records = res.algorithm.data["generations"]
    assert records[-1]["n_eval"] - records[-2]["n_eval"] == 3  # the children alone


class DriftingEvaluator(StandInEvaluator):
    """The stand-in's score minus 0.01 per earlier evaluation of the same genome: an
    evaluation made again differs from the first, as a real training's does."""

    def __init__(self):
        super().__init__()
        self.calls = {}

    def __call__(self, genome):
        result = super().__call__(genome)
        k = self.calls[genome.key()] = self.calls.get(genome.key(), 0) + 1
        return dict(result, accuracy=result["accuracy"] - 0.01 * (k - 1))


@pytest.mark.parametrize("reevaluate", [True, False])
def test_stage2_compares_children_with_s_evaluated_again(reevaluate):
    """Alg. 4 line 7: s is evaluated in each fine generation beside p1 and p2; the
    survivor's accuracy is that generation's measurement, not the stage-1 score."""
    ev = DriftingEvaluator()
    problem = TSENASProblem(ev, n_min=3, n_max=8)
    algorithm = TSENAS(
        pop_size=8, fine_size=3, stage1_gens=2, stage2_gens=3, options=TSENASOptions(reevaluate=reevaluate)
    )
    res = minimize(problem, algorithm, seed=4)
    records = res.algorithm.data["generations"]
    per_gen = [b["n_eval"] - a["n_eval"] for a, b in itertools.pairwise(records) if b["stage"] == 2]
    assert per_gen[1:] == [9 if reevaluate else 6] * 2
    for x, acc in zip(res.pop.get("X"), res.pop.get("accuracy")):
        key = problem.decode(x).key()
        latest = ev(problem.decode(x))["accuracy"] + 0.01  # what its last evaluation gave
        if reevaluate or ev.calls[key] == 2:
            assert float(acc) == pytest.approx(latest)


def test_fine_cells_limits_the_edited_cells():
    from tsenas_pymoo.operators.fine import mutate_fine

    rng = np.random.default_rng(0)
    genome = NetworkGenome.from_cells([3, 7, 3, 3, 7, 3]).expand()
    for n in (1, 2, 6):
        child = mutate_fine(genome, rng, n_cells=n)
        changed = sum(a != b for a, b in zip(genome.cells, child.cells))
        assert changed == n
    with pytest.raises(ValueError, match="n_cells=0"):
        mutate_fine(genome, rng, n_cells=0)


def test_remake_known_trains_new_networks_every_generation():
    for remake in (False, True):
        ev = StandInEvaluator()
        problem = TSENASProblem(ev, n_min=3, n_max=5)
        minimize(
            problem,
            TSENAS(pop_size=10, fine_size=2, stage1_gens=6, stage2_gens=0, options=TSENASOptions(remake_known=remake)),
            seed=1,
        )
        keys = [g.key() for g in ev.seen]
        if remake:
            assert len(keys) == len(set(keys)) == 10 * 7
        else:
            assert len(set(keys)) < len(keys)  # stage 1 re-made networks the run had seen (answered by an archive)


def test_mutate_offspring_mutates_crossover_children():
    from tsenas_pymoo.operators.mutation import CellMutation

    class Counting(CellMutation):
        calls: ClassVar[list[int]] = []

        def do(self, problem, pop, *args, **kwargs):
            Counting.calls.append(len(pop))
            return super().do(problem, pop, *args, **kwargs)

    calls = {}
    for flag in (False, True):
        Counting.calls = []
        algorithm = TSENAS(
            pop_size=9, fine_size=2, stage1_gens=1, stage2_gens=0, options=TSENASOptions(mutate_offspring=flag)
        )
        algorithm.mutation = Counting(prob=0.2)
        minimize(TSENASProblem(StandInEvaluator(), n_min=3, n_max=6), algorithm, seed=0)
        calls[flag] = Counting.calls
    assert calls[False][0] == 3  # three triples: the mutation sees the three singles
    assert calls[True][:2] == [6, 3]  # ... and, with the option, the six crossover children first


def test_alpha_noise_is_the_standard_error_of_the_best_accuracy():
    from pymoo.core.population import Population

    from tsenas_pymoo.operators.survival import AlphaLevelSurvival

    class WithValidation(StandInEvaluator):
        n_val = 400

    problem = TSENASProblem(WithValidation(), n_min=3, n_max=8)
    X = np.array([NetworkGenome.from_cells([c, 3, 3]).to_vector(8) for c in (1, 2, 3)])
    pop = Population.new("X", X, "F", np.array([[0.2], [0.25], [0.3]]))
    survival = AlphaLevelSurvival(alpha="noise")
    survival.do(problem, pop, n_survive=2)
    assert survival.last_alpha == pytest.approx(np.sqrt(0.8 * 0.2 / 400))
    with pytest.raises(ValueError, match="alpha='noise' needs"):
        AlphaLevelSurvival(alpha="noise").do(TSENASProblem(StandInEvaluator(), n_min=3, n_max=8), pop, n_survive=2)
    with pytest.raises(ValueError, match="alpha='loud'"):
        AlphaLevelSurvival(alpha="loud")


def test_a_checkpoint_from_before_the_newer_settings_resumes_as_it_ran():
    """TSENAS.__setstate__: a pickled algorithm that predates reevaluate, fine_cells,
    mutate_offspring, remake_known, the name fine_size and the options object (its
    settings were attributes before 0.8.1) gets the behaviour it ran with."""
    state = dict(TSENAS(pop_size=8, fine_size=3, stage1_gens=5, stage2_gens=2).__dict__)
    del state["options"], state["known"], state["stage1_end"]
    state.update(update_every=2, n_max_iterations=50, fine_kinds=("edge",), prune=False, alpha=0.01)
    state["n_fine"] = state.pop("fine_size")
    old = TSENAS.__new__(TSENAS)
    old.__setstate__(state)
    o = old.options
    assert (o.reevaluate, o.fine_cells, o.mutate_offspring, o.remake_known) == (False, None, False, False)
    assert (o.update_every, o.n_max_iterations, o.fine_kinds, o.prune) == (2, 50, ("edge",), False)
    assert old.known == set() and old.stage1_end == 5 and old.fine_size == 3 and not hasattr(old, "n_fine")
    assert not hasattr(old, "prune") and not hasattr(old, "alpha")
    current = TSENAS(pop_size=8, fine_size=3, stage1_gens=5, stage2_gens=2)
    assert (current.options.reevaluate, current.options.mutate_offspring, current.stage1_end) == (True, True, 6)


def test_the_flat_settings_of_before_0_9_still_work_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match=r"TSENAS\(alpha, prune=\.\.\.\) is deprecated"):
        algorithm = TSENAS(pop_size=8, fine_size=2, alpha=0.05, prune=False)
    assert algorithm.survival.alpha == 0.05 and algorithm.options.prune is False
    flat = tsenas_keywords(pop_size=8, fine_size=2, alpha=0.05, prune=False)
    assert flat["survival"].alpha == 0.05 and flat["options"] == TSENASOptions(prune=False)
    with pytest.raises(TypeError, match="prunes is not a setting it takes"):
        tsenas_keywords(prunes=False)


def test_the_old_name_of_s_still_works_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match="fine_size"):
        algorithm = TSENAS(pop_size=8, n_fine=3)
    assert algorithm.fine_size == 3
    with pytest.raises(ValueError, match=r"fine_size=9; rule: S <= pop_size=8"):
        TSENAS(pop_size=8, fine_size=9)


def test_the_old_callback_name_still_records_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match="GenerationRecorder"):
        callback = BestAccuracyCallback()
    problem = TSENASProblem(StandInEvaluator(), n_min=3, n_max=8)
    minimize(problem, TSENAS(pop_size=4, fine_size=2, stage1_gens=1, stage2_gens=1), seed=0, callback=callback)
    assert [r["stage"] for r in callback.records] == [1, 1, 2]


def test_operators_are_arguments_as_in_pymoos_ga_with_the_papers_as_defaults():
    from tsenas_pymoo.operators import CellCrossover, CellMutation, TSENASSampling

    def run(**operators):
        problem = TSENASProblem(StandInEvaluator(), n_min=3, n_max=6)
        algorithm = TSENAS(pop_size=6, fine_size=2, stage1_gens=2, stage2_gens=1, **operators)
        return minimize(problem, algorithm, seed=4).algorithm.data["generations"]

    paper = dict(sampling=TSENASSampling(), crossover=CellCrossover(prob=0.8), mutation=CellMutation(prob=0.2))
    assert run(**paper) == run()

    class Counting(CellMutation):
        calls = 0

        def _do(self, problem, X, *args, **kwargs):
            Counting.calls += 1
            return super()._do(problem, X, *args, **kwargs)

    run(mutation=Counting(prob=0.2))
    assert Counting.calls > 0
    with pytest.raises(ValueError, match=r"mutation=.* with settings of the default mutation; rule: one or the other"):
        TSENAS(**tsenas_keywords(mutation=CellMutation(), mutation_prob=0.5))
