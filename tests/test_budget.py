"""Budgets every algorithm is held to alike: network-epochs charged by a meter, networks counted in an archive."""

import json
import pickle

import pytest
from pymoo.optimize import minimize

from tests.conftest import StandInEvaluator
from tsenas_pymoo import TSENASProblem
from tsenas_pymoo.evaluation.archive import Archive
from tsenas_pymoo.search.algorithm import TSENAS
from tsenas_pymoo.search.budget import BudgetTermination, ComputeMeter, MacEpochs, TrainedNetworks
from tsenas_pymoo.space.genome import NetworkGenome


class TwoEpochs(StandInEvaluator):
    """The stand-in, reporting 2 epochs per training and answering repeats as archived."""

    def __call__(self, genome):
        archived = genome.key() in {g.key() for g in self.seen}
        return dict(super().__call__(genome), epochs=2, archived=archived)


def test_the_meter_charges_fresh_trainings_and_the_search_stops_at_the_budget():
    meter = ComputeMeter(TwoEpochs(), budget=40, used=5.0)  # 5 units spent before (a SuperNet)
    problem = TSENASProblem(meter, n_min=3, n_max=6)
    minimize(problem, TSENAS(pop_size=6, fine_size=2, stage1_gens=50, stage2_gens=50), meter.termination(), seed=0)
    fresh = len({g.key() for g in meter.evaluator.seen})
    assert meter.used == 5.0 + 2 * fresh  # archive answers are free
    assert 40 <= meter.used < 40 + 2 * 6  # ends at the first generation past the budget
    used = [c for c, _, _ in meter.curve]
    assert used == sorted(used) and used[-1] <= 40 and used[0] == 7.0  # only evaluations within the budget
    best = [b for _, b, _ in meter.curve]
    assert best == sorted(best) and meter.best[0] == best[-1]


def test_a_budget_that_stops_growing_ends_after_stall_generations():
    spent = iter([1, 2, 2, 2, 2, 2])
    termination = BudgetTermination(lambda: next(spent), budget=100, stall=3)
    progress = [termination._update(None) for _ in range(6)]
    assert progress == [0.01, 0.02, 0.02, 0.02, 1.0, 1.0]  # the third generation without growth ends it
    with pytest.raises(ValueError, match=r"budget=0; rule: a positive amount of work"):
        BudgetTermination(lambda: 0, budget=0)


def test_trained_networks_counts_the_archive_without_rescoring_rows(tmp_path):
    archive = Archive(tmp_path / "a.sqlite")
    genomes = [NetworkGenome.from_cells(c) for c in ([3, 3, 3], [3, 7, 3], [1, 5, 1])]
    for g in genomes:
        archive.put(g.key(), g, {"accuracy": 0.5, "status": "ok"})
    archive.put(genomes[0].key() + "#1", genomes[0], {"accuracy": 0.5, "status": "ok"})  # a re-scoring
    count = TrainedNetworks(tmp_path / "a.sqlite")
    assert count() == 3 and pickle.loads(pickle.dumps(count))() == 3


def test_mac_epochs_charge_every_training_its_macs_times_epochs_and_the_supernet_once_it_is_recorded(tmp_path):
    archive = Archive(tmp_path / "a.sqlite")
    genomes = [NetworkGenome.from_cells(c) for c in ([3, 3, 3], [3, 7, 3])]
    archive.put(genomes[0].key(), genomes[0], {"accuracy": 0.5, "status": "ok", "macs": 2_000_000, "epochs": 2})
    archive.put(genomes[1].key(), genomes[1], {"accuracy": 0.5, "status": "ok", "macs": 500_000, "epochs": 3})
    archive.put(genomes[0].key() + "#1", genomes[0], {"accuracy": 0.5, "status": "ok", "macs": 9_000_000, "epochs": 9})
    marker = tmp_path / "supernet.json"
    work = MacEpochs(tmp_path / "a.sqlite", marker)
    assert work() == pytest.approx(4.0 + 1.5)  # the re-scoring row aside; no SuperNet yet
    marker.write_text(json.dumps({"macs": 3_000_000, "epochs": 2, "status": "ok"}))
    assert work() == pytest.approx(5.5 + 6.0) and pickle.loads(pickle.dumps(work))() == pytest.approx(11.5)
