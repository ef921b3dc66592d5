"""The surrogate evaluator: seeded, faithful to its table, refuses what it never saw, and
runs under pymoo's algorithms like the real evaluator."""

import numpy as np
import pytest
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.algorithms.soo.nonconvex.ga import GA
from pymoo.optimize import minimize
from scipy.stats import kendalltau

from tsenas_pymoo import TSENAS, NetworkGenome, TSENASProblem
from tsenas_pymoo.bench import Surrogate, SurrogateEvaluator, load_table
from tsenas_pymoo.bench.features import feature_names, features
from tsenas_pymoo.bench.surrogate import seed_sd
from tsenas_pymoo.operators import CellCrossover, CellMutation, GenomeDuplicateElimination, TSENASSampling
from tsenas_pymoo.space.genome import genome_from_key

from .conftest import known_accuracy, make_rows

G = NetworkGenome.from_cells([3, 7, 3, 4])


def test_features_have_one_name_each_and_tell_stage_2_edits_apart(table_path):
    table = load_table(table_path)
    keys = list(table.networks())
    vectors = {k: tuple(features(genome_from_key(k), 6)) for k in keys}
    assert len(feature_names(6)) == len(next(iter(vectors.values())))
    assert len(set(vectors.values())) > 0.9 * len(keys)
    stage2 = [k for k in keys if table.networks()[k]["stage"] == 2]
    assert all(features(genome_from_key(k), 6)[2] >= 1 for k in stage2)  # n_edited
    with pytest.raises(ValueError, match="at most n_max=3"):
        features(G, 3)


def test_held_out_networks_are_ranked_by_the_rule_the_table_follows(table_path):
    table = load_table(table_path)
    keys = list(table.networks())
    model = Surrogate(table, keys=keys[:120])
    held = [genome_from_key(k) for k in keys[120:]]
    tau = kendalltau(model.predict(held)["val"], [known_accuracy(g) for g in held]).statistic
    assert tau > 0.6
    assert model.noise_sd == pytest.approx(0.005, rel=0.5)


def test_the_fit_is_deterministic_and_the_noise_comes_from_the_repeated_networks(table_path):
    table = load_table(table_path)
    a, b = Surrogate(table), Surrogate(table)
    genomes = [genome_from_key(k) for k in list(table.networks())[:20]]
    assert np.array_equal(a.predict(genomes)["val"], b.predict(genomes)["val"])
    repeated = [n["val"] for n in table.networks().values()]
    assert a.noise_sd == a.seed_noise.pooled == seed_sd(repeated)


def test_a_draws_spread_is_the_noise_models_sd_at_the_genomes_mean(table_path, monkeypatch):
    ev = SurrogateEvaluator(table_path, seed=0)
    mean = ev(G)["mean_accuracy"]
    monkeypatch.setattr(ev.surrogate.seed_noise, "sd", lambda m: 0.02 if m == mean else 1.0)
    draws = [ev(G)["accuracy"] - mean for _ in range(400)]
    assert np.std(draws) == pytest.approx(0.02, rel=0.15)


def test_evaluations_are_seeded_and_a_re_evaluation_draws_anew(table_path):
    first = SurrogateEvaluator(table_path, seed=3)
    second = SurrogateEvaluator(table_path, seed=3)
    a = [first(G)["accuracy"] for _ in range(3)]
    b = [second(G)["accuracy"] for _ in range(3)]
    assert a == b and len(set(a)) == 3
    other = SurrogateEvaluator(table_path, seed=4)(G)["accuracy"]
    assert other != a[0]
    mean = SurrogateEvaluator(table_path, noise=False)
    r = mean(G)
    assert r["accuracy"] == r["mean_accuracy"] == mean(G)["accuracy"]
    assert abs(np.mean(a) - r["mean_accuracy"]) < 0.05
    assert r["params"] > 0 and r["macs"] > 0 and r["test_accuracy"] < r["mean_accuracy"]


def test_a_genome_outside_the_tables_space_is_refused_in_one_line(table_path):
    ev = SurrogateEvaluator(table_path)
    with pytest.raises(ValueError, match=r"N=7.*the surrogate's table covers N 3-6 at input \(1, 16, 16\)"):
        ev(NetworkGenome.from_cells([3, 7, 3, 7, 3, 7, 4]))
    with pytest.raises(ValueError, match="differs from the evaluator's"):
        TSENASProblem(ev, input_shape=(1, 28, 28))


def _problem(ev, **kw):
    return TSENASProblem(ev, n_min=3, n_max=6, **kw)


@pytest.mark.parametrize("name", ["tsenas", "ga", "nsga2"])
def test_the_surrogate_runs_under_pymoo_algorithms(table_path, name):
    ev = SurrogateEvaluator(table_path, seed=0)
    if name == "nsga2":
        problem = _problem(ev, objectives=("error", "macs"))
    else:
        problem = _problem(ev)
    ops = dict(
        sampling=TSENASSampling(),
        crossover=CellCrossover(),
        mutation=CellMutation(),
        eliminate_duplicates=GenomeDuplicateElimination(),
    )
    algorithm = {
        "tsenas": lambda: TSENAS(pop_size=8, fine_size=2, stage1_gens=3, stage2_gens=2),
        "ga": lambda: GA(pop_size=8, **ops),
        "nsga2": lambda: NSGA2(pop_size=8, **ops),
    }[name]()
    res = minimize(problem, algorithm, ("n_gen", 5) if name != "tsenas" else None, seed=1)
    assert np.all(np.atleast_2d(res.F)[:, 0] < 0.4)


def test_same_seed_same_search(table_path):
    def run():
        ev = SurrogateEvaluator(table_path, seed=0)
        res = minimize(_problem(ev), TSENAS(pop_size=8, fine_size=2, stage1_gens=3, stage2_gens=2), seed=2)
        return res.F.tolist(), res.X.tolist()

    assert run() == run()


def test_make_rows_is_reproducible():
    assert make_rows(n=12, repeated=2) == make_rows(n=12, repeated=2)
