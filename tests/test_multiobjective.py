"""Two objectives: alpha levels become non-dominated fronts; fronts and hypervolume are
recorded and plotted."""

import itertools

import numpy as np
from PIL import Image
from pymoo.core.population import Population
from pymoo.optimize import minimize

from tests.conftest import StandInEvaluator
from tsenas_pymoo import TSENAS, AlphaLevelSurvival, NetworkGenome, TSENASProblem, plot_hypervolume, plot_pareto
from tsenas_pymoo.operators.survival import pareto_levels


def test_fronts_replace_alpha_levels_and_density_splits_the_overflow():
    F = np.array([[0.10, 5.0], [0.20, 1.0], [0.15, 3.0], [0.30, 6.0], [0.12, 4.0]])
    assert pareto_levels(F) == [[0, 4, 2, 1], [3]]
    problem = TSENASProblem(StandInEvaluator(), n_min=2, n_max=6, objectives=("error", "params"))
    genomes = [NetworkGenome.from_cells(c) for c in ([3, 3], [3, 3, 3], [2, 2], [1, 1, 1], [4, 4, 4, 4])]
    pop = Population.new("X", np.array([g.to_vector(6) for g in genomes]), "F", F)
    survivors = AlphaLevelSurvival(alpha=0.01).do(problem, pop, n_survive=3)
    # front 1 = {0 (N=2), 4 (N=4), 2 (N=2), 1 (N=3)}: depth density picks 0, then 4 and 1
    assert [problem.decode(x).n_cells for x in survivors.get("X")] == [2, 4, 3]


def test_tsenas_on_two_objectives_records_front_and_hypervolume(tmp_path):
    problem = TSENASProblem(StandInEvaluator(), n_min=3, n_max=8, objectives=("error", "params"))
    res = minimize(problem, TSENAS(pop_size=16, fine_size=4, stage1_gens=6, stage2_gens=3), seed=1)
    records = res.algorithm.data["generations"]
    hv = [r["hypervolume"] for r in records if r["stage"] == 1]
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(hv)) and hv[-1] > hv[0]
    front = np.array(records[-1]["front"])
    assert front.shape[1] == 2 and len(front) >= 1
    # res.X / res.F: the final non-dominated set, as pymoo's multi-objective algorithms give it
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    F = res.pop.get("F")
    expected = F[NonDominatedSorting().do(F, only_non_dominated_front=True)]
    assert res.F.ndim == 2 and sorted(map(tuple, res.F)) == sorted(map(tuple, expected))
    assert len(res.X) == len(res.F) and res.F[0][0] == F[:, 0].min()  # best accuracy first
    plot_pareto(res, {"hand-made": (0.4, 5000.0)}).savefig(tmp_path / "p.png")
    plot_hypervolume(res).savefig(tmp_path / "h.png")
    for name in ("p.png", "h.png"):
        Image.open(tmp_path / name).verify()
