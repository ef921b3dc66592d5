"""The declared evaluator interface: what the algorithm tells an evaluator, and nothing by probing."""

import pickle

import pytest
from pymoo.optimize import minimize

from tests.conftest import StandInEvaluator
from tsenas_pymoo import IgnoresNotes, NetworkGenome, SearchEvaluator, TSENASProblem
from tsenas_pymoo.algorithm import TSENAS
from tsenas_pymoo.evaluation import TorchEvaluator
from tsenas_pymoo.evaluation.protocol import notes_for


class Listening(IgnoresNotes, StandInEvaluator):
    """The stand-in, told the notes it keeps: the generations, the parents, the repeats, the survivors."""

    def __init__(self):
        super().__init__()
        self.generations, self.parents, self.repeats, self.retained, self.ranked = [], {}, {}, [], []

    def note_generation(self, generation):
        self.generations.append(generation)

    def note_parents(self, parents):
        self.parents.update(parents)

    def note_repeats(self, repeats):
        self.repeats.update(repeats)

    def retain(self, genomes):
        self.retained.append([g.key() for g in genomes])
        return 0

    def update_store(self, population):
        self.ranked.append(list(population))
        return []


def test_the_algorithm_tells_a_search_evaluator_every_note():
    evaluator = Listening()
    assert isinstance(evaluator, SearchEvaluator)
    problem = TSENASProblem(evaluator, n_min=3, n_max=6)
    res = minimize(problem, TSENAS(pop_size=6, fine_size=2, stage1_gens=2, stage2_gens=2), seed=0)
    generations = len(res.algorithm.data["generations"])
    assert sorted(set(evaluator.generations)) == list(range(1, generations + 1))
    offspring = {g.key() for g in evaluator.seen[6:]}  # everything after the initial population
    assert offspring and offspring <= set(evaluator.parents)  # every child came with its parents
    assert all(parents for parents in evaluator.parents.values())
    assert evaluator.repeats and set(evaluator.repeats) <= {k for k, _ in res.algorithm.data["stage1_final"]} | {
        k for keys in evaluator.retained for k in keys
    }
    assert len(evaluator.retained) == generations and all(len(keys) in (2, 6) for keys in evaluator.retained)
    assert evaluator.ranked and all(len(pop) in (2, 6) for pop in evaluator.ranked)


def test_a_plain_callable_is_told_nothing_and_still_searches():
    problem = TSENASProblem(StandInEvaluator(), n_min=3, n_max=6)
    res = minimize(problem, TSENAS(pop_size=6, fine_size=2, stage1_gens=1, stage2_gens=1), seed=0)
    assert res.X is not None and isinstance(notes_for(problem.evaluator), IgnoresNotes)


def test_some_notes_but_not_all_is_one_clear_error():
    class Half(StandInEvaluator):
        def note_parents(self, parents):
            pass

    with pytest.raises(TypeError, match=r"has note_parents but not note_generation, .*rule: implement every"):
        notes_for(Half())


def test_torch_evaluator_is_a_search_evaluator_and_old_pickles_keep_their_notes(digits_small, tmp_path):
    ev = TorchEvaluator(digits_small, epochs=1, init_channels=4, device="cpu", store=tmp_path / "store")
    assert isinstance(ev, SearchEvaluator) and notes_for(ev) is ev
    parent, child = NetworkGenome.from_cells([3, 7, 3]), NetworkGenome.from_cells([3, 7, 1])
    state = dict(ev.__getstate__())  # as 0.4.0 pickled it: the notes on the evaluator itself
    del state["lineage"]
    state["parents"], state["repeats"] = {child.key(): (parent,)}, {parent.key(): parent.key() + "@2"}
    old = TorchEvaluator.__new__(TorchEvaluator)
    old.__setstate__(state)
    assert old.plan(child) == {"parents": (parent,), "eval_key": child.key()}
    assert old.eval_key(parent) == parent.key() + "@2" and old.lineage.store is old.store
    again = pickle.loads(pickle.dumps(old))
    assert again.plan(child)["parents"] == (parent,)
