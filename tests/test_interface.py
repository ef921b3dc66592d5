"""The declared seam (tsenas_pymoo/interface.py): what the search reads of an evaluator and
what the algorithm tells it, and nothing by probing."""

import pickle

import pytest
from pymoo.optimize import minimize

from tests.conftest import StandInEvaluator
from tsenas_pymoo import EvaluatorBase, NetworkGenome, SearchEvaluator, TSENASProblem
from tsenas_pymoo.evaluation import TorchEvaluator
from tsenas_pymoo.interface import CallableEvaluator, RunEvaluator, WorkerEvaluator, search_evaluator
from tsenas_pymoo.operators.survival import AlphaLevelSurvival
from tsenas_pymoo.search.algorithm import TSENAS


class Listening(EvaluatorBase, StandInEvaluator):
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
    assert res.X is not None and isinstance(search_evaluator(problem.evaluator), CallableEvaluator)


def test_some_notes_but_not_all_is_one_clear_error():
    class Half(StandInEvaluator):
        def note_parents(self, parents):
            pass

    with pytest.raises(TypeError, match=r"Half has note_parents but not note_generation, .*rule: implement every note"):
        search_evaluator(Half())
    with pytest.raises(TypeError, match=r"^evaluator 3 is not callable; rule: a callable genome -> mapping$"):
        search_evaluator(3)(NetworkGenome.from_cells([3, 7, 3]))


def test_torch_evaluator_is_a_search_evaluator_and_old_pickles_keep_their_notes(digits_small, tmp_path):
    ev = TorchEvaluator(digits_small, epochs=1, init_channels=4, device="cpu", store=tmp_path / "store")
    assert isinstance(ev, SearchEvaluator) and search_evaluator(ev) is ev
    assert isinstance(ev, WorkerEvaluator) and isinstance(ev, RunEvaluator)
    assert (
        ev.search_data()["search_data"]["dataset"] == "digits" and len(ev.search_data()["normalization"]["mean"]) == 1
    )
    parent, child = NetworkGenome.from_cells([3, 7, 3]), NetworkGenome.from_cells([3, 7, 1])
    state = dict(ev.__getstate__())  # as 0.4.0 pickled it: the notes on the evaluator itself
    inheriting = state.pop("inheriting")
    state.update(inheritance=inheriting.mode, store=inheriting.store, warm_start=inheriting.warm_start)
    state["parents"], state["repeats"] = {child.key(): (parent,)}, {parent.key(): parent.key() + "@2"}
    old = TorchEvaluator.__new__(TorchEvaluator)
    old.__setstate__(state)
    assert old.plan(child) == {"parents": (parent,), "eval_key": child.key()}
    assert old.eval_key(parent) == parent.key() + "@2" and old.lineage.store is old.store
    again = pickle.loads(pickle.dumps(old))
    assert again.plan(child)["parents"] == (parent,)


#: Every name the search may read of an evaluator: the declared members.
DECLARED = {n for n in dir(EvaluatorBase) if not n.startswith("_")} | {"__call__"}


class Watched(EvaluatorBase):
    """The stand-in behind a log of every name read from outside its own methods."""

    n_val = 500  # alpha = "noise" reads it

    def __init__(self):
        object.__setattr__(self, "read", set())
        object.__setattr__(self, "inner", StandInEvaluator())

    def __getattribute__(self, name):
        if not name.startswith("__") and name not in ("read", "inner"):
            object.__getattribute__(self, "read").add(name)
        return object.__getattribute__(self, name)

    def __call__(self, genome):
        return object.__getattribute__(self, "inner")(genome)


def test_the_search_reads_only_the_declared_members_of_an_evaluator():
    evaluator = Watched()
    problem = TSENASProblem(evaluator, n_min=3, n_max=6, objectives=("error", "params"))
    res = minimize(
        problem,
        TSENAS(pop_size=6, fine_size=2, stage1_gens=2, stage2_gens=2, survival=AlphaLevelSurvival(alpha="noise")),
        seed=0,
    )
    assert res.X is not None or res.algorithm.n_iter > 0
    assert evaluator.read and evaluator.read <= DECLARED, evaluator.read - DECLARED


def test_a_plain_callable_is_read_for_the_declared_members_it_has_and_nothing_else():
    class Shaped(StandInEvaluator):
        input_shape, n_val, batches = (3, 5, 5), 400, []

        def prefetch(self, genomes):
            self.batches.append(list(genomes))

    shaped = Shaped()
    seam = search_evaluator(shaped)
    assert isinstance(seam, CallableEvaluator) and seam.input_shape == (3, 5, 5) and seam.n_val == 400
    assert seam.num_classes is None and seam.archive_hits is None and seam.plan(NetworkGenome.from_cells([3])) == {}
    seam.prefetch(["g"])
    assert shaped.batches == [["g"]]
    assert TSENASProblem(Shaped(), n_min=3, n_max=4).input_shape == (3, 5, 5)
    assert search_evaluator(StandInEvaluator()).input_shape is None
    assert TSENASProblem(StandInEvaluator(), n_min=3, n_max=4).input_shape == (1, 8, 8)


def test_the_old_module_path_still_works_with_a_deprecation_warning():
    import importlib
    import sys

    sys.modules.pop("tsenas_pymoo.evaluation.protocol", None)
    with pytest.warns(DeprecationWarning, match="tsenas_pymoo.interface"):
        old = importlib.import_module("tsenas_pymoo.evaluation.protocol")
    assert old.IgnoresNotes is EvaluatorBase and old.notes_for is search_evaluator


def test_a_callable_with_all_six_notes_is_told_them_through_the_seam():
    class Noted(StandInEvaluator):
        def note_generation(self, generation):
            self.generation = generation

        def note_parents(self, parents):
            pass

        def note_repeats(self, repeats):
            pass

        def retain(self, genomes):
            return 7

        def update_store(self, population):
            return ["written"]

        def plan(self, genome):
            return {"parents": ()}

    noted = Noted()
    seam = search_evaluator(noted)
    seam.note_generation(4)
    assert isinstance(seam, CallableEvaluator) and noted.generation == 4
    assert seam.retain([]) == 7 and seam.update_store([]) == ["written"] and seam.plan(None) == {"parents": ()}
