"""Two objectives: alpha levels become non-dominated fronts; fronts and hypervolume are
recorded and plotted."""

import itertools

import numpy as np
from PIL import Image
from pymoo.optimize import minimize

from tests.conftest import StandInEvaluator
from tsenas_pymoo import TSENAS, TSENASProblem, plot_hypervolume, plot_pareto


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
