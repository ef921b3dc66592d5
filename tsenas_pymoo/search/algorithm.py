"""TS-ENAS as one pymoo ``Algorithm``: the rough search (Alg. 2) then the fine search
(Alg. 4), under one ``minimize`` call (Alg. 1)."""

from __future__ import annotations

import logging
import math
import warnings

import numpy as np
from pymoo.core.algorithm import Algorithm
from pymoo.core.callback import Callback
from pymoo.core.population import Population
from pymoo.operators.selection.tournament import TournamentSelection
from pymoo.termination.max_gen import MaximumGenerationTermination
from pymoo.util.display.column import Column
from pymoo.util.display.multi import MultiObjectiveOutput
from pymoo.util.display.output import Output
from pymoo.util.display.single import SingleObjectiveOutput

from ..interface import SearchEvaluator, search_evaluator
from ..operators.crossover import CellCrossover
from ..operators.duplicates import GenomeDuplicateElimination
from ..operators.fine import mutate_fine, prune_fine
from ..operators.mutation import CellMutation
from ..operators.sampling import TSENASSampling
from ..operators.survival import AlphaLevelSurvival, compare_by_alpha_level
from .fine_problem import FineSearchProblem

log = logging.getLogger(__name__)


def generation_record(algorithm) -> dict:
    """One generation's summary: stage, generation, evaluations, best and mean accuracy,
    and the population's (accuracy, params) pairs (for Fig. 4a and 4b)."""
    pop = algorithm.pop
    accuracy = pop.get("accuracy").astype(float) if pop.get("accuracy")[0] is not None else 1 - pop.get("F")[:, 0]
    params = pop.get("params")
    params = [None if p is None or not np.isfinite(float(p)) else float(p) for p in params]
    evaluator = search_evaluator(getattr(algorithm.problem, "evaluator", None))
    extra = {}
    F = pop.get("F")
    if F.shape[1] > 1:  # multi-objective: the front and its hypervolume
        extra = pareto_summary(algorithm, F)
    survival = getattr(algorithm, "survival", None)
    if getattr(survival, "last_alpha", None) is not None:
        extra["alpha"] = survival.last_alpha
    return {
        **extra,
        "stage": getattr(algorithm, "stage", 1),
        "n_gen": int(algorithm.n_iter),
        "n_eval": int(algorithm.evaluator.n_eval),
        "archive_hits": evaluator.archive_hits,
        "trained": evaluator.trained,
        "best_accuracy": float(np.max(accuracy)),
        "mean_accuracy": float(np.mean(accuracy)),
        "population": [[float(a), p] for a, p in zip(accuracy, params)],
    }


def pareto_summary(algorithm, F: np.ndarray) -> dict:
    """The non-dominated front of F and its hypervolume against a reference point fixed at
    the first generation (error 1, 1.1 x the largest second objective seen then)."""
    from pymoo.indicators.hv import HV
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    data = algorithm.data
    if "hv_ref" not in data:
        data["hv_ref"] = [1.0, 1.1 * float(np.max(F[:, 1]))]
    front = F[NonDominatedSorting().do(F, only_non_dominated_front=True)]
    ref = np.array(data["hv_ref"])
    hv = HV(ref_point=np.ones(2))(np.clip(front / ref, 0, 1)) if len(front) else 0.0
    return {"front": front.tolist(), "hypervolume": float(hv), "hv_ref": data["hv_ref"]}


class GenerationRecorder(Callback):
    """Records :func:`generation_record` (stage, evaluations, best and mean accuracy, the
    population's accuracy and params) every generation, for any pymoo algorithm (GA,
    NSGA2, DE, TS-ENAS) on a ``TSENASProblem``: ``callback.records``."""

    def __init__(self):
        super().__init__()
        self.records: list[dict] = []

    def notify(self, algorithm):
        self.records.append(generation_record(algorithm))


class BestAccuracyCallback(GenerationRecorder):
    """Deprecated name (before 0.5.0) of :class:`GenerationRecorder`."""

    def __init__(self):
        warnings.warn("BestAccuracyCallback is now GenerationRecorder", DeprecationWarning, stacklevel=2)
        super().__init__()


class TSENASOutput(Output):
    """Verbose columns: stage, generation, evaluations, archive hits, best and mean accuracy."""

    def __init__(self):
        super().__init__()
        self.stage = Column("stage", width=5)
        self.hits = Column("hits", width=6)
        self.best = Column("acc_best", width=9)
        self.mean = Column("acc_mean", width=9)
        self.columns = [self.stage] + self.columns + [self.hits, self.best, self.mean]

    def update(self, algorithm):
        super().update(algorithm)
        accuracy = algorithm.pop.get("accuracy").astype(float)
        self.stage.set(algorithm.stage)
        hits = search_evaluator(getattr(algorithm.problem, "evaluator", None)).archive_hits
        self.hits.set("-" if hits is None else hits)
        self.best.set(float(np.max(accuracy)))
        self.mean.set(float(np.mean(accuracy)))


class _AccuracyColumns:
    """The population's best and mean accuracy appended to a pymoo output's columns."""

    def _add_accuracy(self):
        self.acc_best, self.acc_mean = Column("acc_best", width=9), Column("acc_mean", width=9)

    def initialize(self, algorithm):
        super().initialize(algorithm)
        self.columns += [self.acc_best, self.acc_mean]

    def update(self, algorithm):
        super().update(algorithm)
        accuracy = np.asarray(algorithm.pop.get("accuracy"), dtype=float)
        self.acc_best.set(float(np.nanmax(accuracy)))
        self.acc_mean.set(float(np.nanmean(accuracy)))


class SingleObjectiveAccuracyOutput(_AccuracyColumns, SingleObjectiveOutput):
    """pymoo's single-objective verbose table, plus accuracy: for any algorithm on our problems."""

    def __init__(self):
        super().__init__()
        self._add_accuracy()


class MultiObjectiveAccuracyOutput(_AccuracyColumns, MultiObjectiveOutput):
    """pymoo's multi-objective verbose table, plus accuracy."""

    def __init__(self):
        super().__init__()
        self._add_accuracy()


def accuracy_output(algorithm: Algorithm, n_obj: int) -> Algorithm:
    """``algorithm`` with a verbose table that shows accuracy (``verbose=True``), not only F."""
    algorithm.output = MultiObjectiveAccuracyOutput() if n_obj > 1 else SingleObjectiveAccuracyOutput()
    return algorithm


def best_first(pop) -> np.ndarray:
    """Indices by accuracy, best first (ties: the lower second objective, then index)."""
    accuracy = pop.get("accuracy").astype(float)
    F = pop.get("F")
    second = F[:, 1] if F.shape[1] > 1 else np.zeros(len(pop))
    return np.lexsort((np.arange(len(pop)), second, -accuracy))


class TSENAS(Algorithm):
    """Two-stage evolutionary NAS (Alg. 1).

    Stage 1 (rough search, Alg. 2) evaluates the Alg. 3 initial population, then runs
    ``stage1_gens`` (T0) offspring generations with population ``pop_size`` (P): each
    generation makes P new offspring, two by the Fig. 3a crossover with probability
    ``crossover_prob`` (gamma) and one by cell/connection mutation with probability
    ``mutation_prob`` (beta) from tournament-selected parents, and keeps P of parents +
    offspring by alpha-level density selection (Sec. IV-B4, ``alpha``; "noise" sets it
    from the validation set's standard error). Every ``update_every`` generations the
    evaluator's weight store is updated from the population (Steps 1-4, Sec. IV-B2),
    when the evaluator has ``update_store``. ``count_initial=True`` counts the initial
    population as one of the T0 generations (before 0.3; one offspring generation fewer).

    Stage-1 variation options (the paper's behaviour: all False): ``mutate_offspring``
    (on by default since 0.3, chosen on development seeds, see the README) also mutates
    each crossover child with probability beta (as pymoo's GA does);
    ``carry_connections`` swaps each cell with its free input in crossover;
    ``remake_known`` makes again any offspring evaluated earlier in the run (the archive
    would answer it without training), so each generation trains P new networks.

    With two objectives (``TSENASProblem(objectives=("error", "params"))``) the alpha
    levels become non-dominated fronts (see ``AlphaLevelSurvival``), the best S and the
    fine-search winner are chosen by accuracy with the second objective breaking ties,
    each generation records its front and hypervolume, and ``res.X``/``res.F`` hold the
    final population's non-dominated set, best accuracy first (as NSGA2's do).

    Stage 2 (fine search, Alg. 4) takes the best ``fine_size`` (S) genomes, expands them to
    the stage-2 encoding and runs ``stage2_gens`` generations: each parent s makes a
    node/edge-mutated child p1 (every cell edited, or ``fine_cells`` random cells) and a
    pruned child p2; s is evaluated again under the same protocol (Alg. 4 line 7: with
    lineage inheritance it trains on from its own state as p1 and p2 train from it,
    without inheritance it is retrained under a seed of this generation), and the best
    of the three stays (s on ties). ``reevaluate=False`` compares the children with s's
    earlier score instead.

    Ablation switches: ``single_point_crossover``, ``mutation_kinds`` (a subset of cell,
    connection), ``fine_kinds`` (a subset of node, edge) and ``prune=False`` (each parent
    then makes only the mutated child).

    Operators, as pymoo's ``GA`` takes them: ``sampling`` (default Alg. 3,
    ``TSENASSampling``), ``selection`` (binary tournament on alpha levels), ``crossover``
    (Fig. 3a, ``CellCrossover`` from ``crossover_prob``, ``single_point_crossover`` and
    ``carry_connections``), ``mutation`` (Fig. 3b, ``CellMutation`` from ``mutation_prob`` and
    ``mutation_kinds``) and ``survival`` (``AlphaLevelSurvival`` from ``alpha``). An operator
    passed replaces the paper's; passing one together with the settings that shape its
    default is refused (one or the other).

    A termination passed to ``minimize`` counts generations across both stages; without
    one the run lasts ``stage1_gens + stage2_gens`` generations. Defaults are the paper's
    (Sec. V-C) except ``mutate_offspring``.
    """

    def __init__(
        self,
        pop_size: int = 100,
        fine_size: int = 30,
        stage1_gens: int = 100,
        stage2_gens: int = 50,
        crossover_prob: float = 0.8,
        mutation_prob: float = 0.2,
        alpha: float = 0.01,
        update_every: int = 1,
        n_max_iterations: int = 100,
        single_point_crossover: bool = False,
        mutation_kinds: tuple[str, ...] = ("cell", "connection"),
        fine_kinds: tuple[str, ...] = ("node", "edge"),
        prune: bool = True,
        reevaluate: bool = True,
        fine_cells: int | None = None,
        mutate_offspring: bool = True,
        carry_connections: bool = False,
        remake_known: bool = False,
        count_initial: bool = False,
        sampling=None,
        selection=None,
        crossover=None,
        mutation=None,
        survival=None,
        **kwargs,
    ):
        if "n_fine" in kwargs:  # the name before 0.5.0
            warnings.warn("TSENAS(n_fine=...) is now fine_size=...", DeprecationWarning, stacklevel=2)
            fine_size = kwargs.pop("n_fine")
        for name, value, low in (
            ("pop_size", pop_size, 2),
            ("fine_size", fine_size, 1),
            ("stage1_gens", stage1_gens, 1),
            ("stage2_gens", stage2_gens, 0),
            ("update_every", update_every, 1),
        ):
            if not (isinstance(value, (int, np.integer)) and value >= low):
                raise ValueError(f"{name}={value}; rule: an integer >= {low}")
        if fine_cells is not None and not (isinstance(fine_cells, (int, np.integer)) and fine_cells >= 1):
            raise ValueError(f"fine_cells={fine_cells}; rule: an integer >= 1, or None for every cell")
        if fine_size > pop_size:
            raise ValueError(f"fine_size={fine_size}; rule: S <= pop_size={pop_size}")
        for name, value in (("crossover_prob", crossover_prob), ("mutation_prob", mutation_prob)):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}={value}; rule: a probability in [0, 1]")
        shaped = {
            "crossover": (crossover, crossover_prob != 0.8 or single_point_crossover or carry_connections),
            "mutation": (mutation, mutation_prob != 0.2 or tuple(mutation_kinds) != ("cell", "connection")),
            "survival": (survival, alpha != 0.01),
        }
        for name, (operator, settings) in shaped.items():
            if operator is not None and settings:
                raise ValueError(f"{name}={operator!r} with settings of the default {name}; rule: one or the other")
        kwargs.setdefault("output", TSENASOutput())
        super().__init__(**kwargs)
        self.pop_size, self.fine_size = int(pop_size), int(fine_size)
        self.stage1_gens, self.stage2_gens = int(stage1_gens), int(stage2_gens)
        self.update_every, self.n_max_iterations = int(update_every), n_max_iterations
        self.alpha = alpha
        self.sampling = sampling or TSENASSampling()
        self.selection = selection or TournamentSelection(func_comp=compare_by_alpha_level)
        self.crossover = crossover or CellCrossover(
            prob=crossover_prob, single_point=single_point_crossover, carry_connections=carry_connections
        )
        self.mutation = mutation or CellMutation(prob=mutation_prob, kinds=tuple(mutation_kinds))
        self.fine_kinds, self.prune, self.reevaluate, self.fine_cells = tuple(fine_kinds), prune, reevaluate, fine_cells
        self.mutate_offspring, self.remake_known = mutate_offspring, remake_known
        self.survival = survival or AlphaLevelSurvival(alpha=alpha)
        self.stage = 1
        self.stage1_end = self.stage1_gens + (0 if count_initial else 1)  # the last stage-1 generation
        self.stage2_start: list[str] = []  # keys of the S genomes that started stage 2
        self.known: set[str] = set()  # keys of every genome evaluated in this run (remake_known)
        if self.termination is None:
            self.termination = MaximumGenerationTermination(self.stage1_end + self.stage2_gens)

    def __setstate__(self, state):
        # a checkpoint written before these settings existed resumes as it ran
        old = {
            "stage1_end": state.get("stage1_gens"),
            "reevaluate": False,
            "fine_cells": None,
            "mutate_offspring": False,
            "remake_known": False,
            "known": set(),
        }
        if "n_fine" in state:  # S's name before 0.5.0
            state = {("fine_size" if k == "n_fine" else k): v for k, v in state.items()}
        self.__dict__.update({**{k: v for k, v in old.items() if k not in state}, **state})

    # -- set-up -------------------------------------------------------------------------
    def _setup(self, problem, **kwargs):
        if not hasattr(problem, "decode") or not hasattr(problem, "n_max"):
            raise ValueError("TSENAS: the problem must be a TSENASProblem (it needs decode, n_min, n_max)")
        self.fine_problem = FineSearchProblem(problem)
        self.eliminate = GenomeDuplicateElimination(problem.decode)

    def next(self):
        infills = self.infill()
        if infills is not None:
            problem = self.fine_problem if self.stage == 2 else self.problem
            self.evaluator.eval(problem, infills, algorithm=self)
            self.advance(infills=infills)
        else:
            self.advance()

    # -- stage 1 ------------------------------------------------------------------------
    def _initialize_infill(self):
        pop = self.sampling.do(self.problem, self.pop_size, random_state=self.random_state)
        pop = self.eliminate.do(pop)
        for _ in range(self.n_max_iterations):
            if len(pop) >= self.pop_size:
                break
            extra = self.sampling.do(self.problem, self.pop_size - len(pop), random_state=self.random_state)
            pop = Population.merge(pop, self.eliminate.do(extra, pop))
        return pop

    def _initialize_advance(self, infills=None, **kwargs):
        self._remember(infills)
        self.pop = self.survival.do(self.problem, infills, n_survive=len(infills), random_state=self.random_state)
        self._update_store()
        self._retain()

    def _rough_offspring(self) -> Population:
        """Alg. 2 lines 7-19: q1, q2 by crossover (gamma), q3 by mutation (beta); duplicates
        of the population or of earlier offspring are dropped and made again. Each
        child's parents are noted for the evaluator (lineage inheritance)."""
        off = Population.empty()
        rs = self.random_state
        parents: dict[str, list] = {}
        for _ in range(self.n_max_iterations):
            n_triples = math.ceil((self.pop_size - len(off)) / 3)
            pairs = self.selection.do(self.problem, self.pop, n_triples, 2, to_pop=False, random_state=rs)
            q12 = self.crossover.do(self.problem, self.pop, pairs, random_state=rs)
            if self.mutate_offspring:
                q12 = self.mutation.do(self.problem, q12, random_state=rs)
            singles = self.selection.do(self.problem, self.pop, n_triples, 1, to_pop=False, random_state=rs)
            q3 = self.mutation.do(self.problem, Population.new("X", self.pop.get("X")[singles[:, 0]]), random_state=rs)
            # pymoo orders crossover children (child o of mating m) at o * n_matings + m
            sources = [pairs[c % len(pairs)] for c in range(len(q12))] + [singles[i] for i in range(len(q3))]
            for child, idx in zip(Population.merge(q12, q3), sources):
                parents.setdefault(self.problem.decode(child.X).key(), [self.pop[i].X for i in idx])
            new = self.eliminate.do(Population.merge(q12, q3), self.pop, off)
            if self.remake_known and len(new):
                new = new[[self.problem.decode(x).key() not in self.known for x in new.get("X")]]
            off = Population.merge(off, new)
            if len(off) >= self.pop_size:
                break
        off = off[: self.pop_size]
        self._note_parents({key: parents[key] for key in (self.problem.decode(x).key() for x in off.get("X"))})
        return off

    def _remember(self, pop) -> None:
        if self.remake_known:  # the set is only read by that option: no growth, no decoding otherwise
            self.known.update(self.problem.decode(x).key() for x in pop.get("X"))

    @property
    def notes(self) -> SearchEvaluator:
        """Where the algorithm's notes go: the problem's evaluator as the declared seam
        reads it (tsenas_pymoo/interface.py; a plain callable ignores them)."""
        return search_evaluator(getattr(self.problem, "evaluator", None))

    def _note_parents(self, parents: dict[str, list]) -> None:
        """Tell the evaluator each child's parents (as genomes), for lineage inheritance."""
        self.notes.note_parents({key: [self.problem.decode(x) for x in xs] for key, xs in parents.items()})

    def _retain(self) -> None:
        """Tell the evaluator which individuals live on: their trained states are kept,
        the rest may go (the store stays bounded by the population)."""
        self.notes.retain([self.problem.decode(x) for x in self.pop.get("X")])

    def _update_store(self):
        """Sec. IV-B2 Steps 1-4 every ``update_every`` generations."""
        if self.n_iter % self.update_every == 0:
            self.notes.update_store(
                [(self.problem.decode(x), float(a)) for x, a in zip(self.pop.get("X"), self.pop.get("accuracy"))]
            )

    # -- stage 2 ------------------------------------------------------------------------
    def _start_fine_search(self):
        """Alg. 1 line 9 / Alg. 4 line 1: the best S, in the stage-2 encoding."""
        self.data["stage1_final"] = [
            (self.problem.decode(x).key(), float(a)) for x, a in zip(self.pop.get("X"), self.pop.get("accuracy"))
        ]
        best = self.pop[best_first(self.pop)[: self.fine_size]]
        n_max = self.problem.n_max
        X = np.array([self.problem.decode(x).expand().to_vector(n_max) for x in best.get("X")])
        pop = Population.new("X", X)
        for key in ("F", "accuracy", "params", "macs", "flops"):
            pop.set(key, best.get(key))
        pop.set("evaluated", [set(ind.evaluated) for ind in best])
        self.stage2_start = [self.problem.decode(x).key() for x in X]
        log.info("stage 2 (fine search) starts from the best %d of generation %d", len(X), self.n_iter - 1)
        self.stage = 2
        self.pop = pop

    def _fine_offspring(self) -> Population:
        """Alg. 4 lines 5-7: per parent s, a node/edge-mutated child p1 and a pruned child
        p2, then (``reevaluate``) every s again, after all children. Each is noted with
        its parent s; the evaluator is told which are evaluations of s again."""
        rs = self.random_state
        n_max = self.problem.n_max
        X, parents, keys = [], {}, []
        for x in self.pop.get("X"):
            genome = self.problem.decode(x)
            keys.append(genome.key())
            children = [mutate_fine(genome, rs, self.fine_kinds, self.fine_cells)]
            children += [prune_fine(genome, rs)] if self.prune else []
            for child in children:
                X.append(child.to_vector(n_max))
                parents.setdefault(child.key(), [x])
        if self.reevaluate:
            repeats = {}
            for x, key in zip(self.pop.get("X"), keys):
                X.append(np.array(x))
                parents.setdefault(key, [x])
                repeats[key] = int(self.n_iter)
            self.notes.note_repeats(repeats)
        self._note_parents(parents)
        return Population.new("X", np.array(X))

    def _fine_select(self, off: Population) -> Population:
        """Alg. 4 line 8: the best of {s, p1, p2} takes s's place (s on ties); s is its
        evaluation of this generation when ``reevaluate``, else its earlier one."""
        winners = []
        per = 2 if self.prune else 1  # children per parent
        n = len(self.pop)
        for i, parent in enumerate(self.pop):
            parent = off[per * n + i] if self.reevaluate else parent
            trio = [parent] + [off[per * i + c] for c in range(per)]
            accuracy = [float(ind.get("accuracy")) for ind in trio]
            second = [float(ind.F[1]) if len(ind.F) > 1 else 0.0 for ind in trio]
            winners.append(trio[max(range(len(trio)), key=lambda k: (accuracy[k], -second[k], -k))])
        return Population.create(*winners)

    # -- the generation loop ------------------------------------------------------------
    def _infill(self):
        if self.stage == 1 and self.n_iter > self.stage1_end:
            self._start_fine_search()
        return self._rough_offspring() if self.stage == 1 else self._fine_offspring()

    def _advance(self, infills=None, **kwargs):
        self._remember(infills)
        if self.stage == 1:
            self.pop = self.survival.do(
                self.problem,
                Population.merge(self.pop, infills),
                n_survive=self.pop_size,
                random_state=self.random_state,
            )
            self._update_store()
        else:
            self.pop = self._fine_select(infills)
        self._retain()

    def _set_optimum(self):
        """One objective: the best individual. Several: the non-dominated set of the
        population (as pymoo's multi-objective algorithms report it), best accuracy first."""
        order = best_first(self.pop)
        F = self.pop.get("F")
        if F.shape[1] == 1:
            self.opt = self.pop[order[:1]]
            return
        from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

        front = set(NonDominatedSorting().do(F, only_non_dominated_front=True).tolist())
        self.opt = self.pop[[i for i in order if i in front]]

    def _post_advance(self):
        record = generation_record(self)
        self.data.setdefault("generations", []).append(record)
        self.data["best_accuracy"] = max(r["best_accuracy"] for r in self.data["generations"])
        self.data["stage2_start"] = self.stage2_start
        super()._post_advance()
