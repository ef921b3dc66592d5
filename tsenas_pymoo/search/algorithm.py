"""TS-ENAS as one pymoo ``Algorithm``: the rough search (Alg. 2) then the fine search
(Alg. 4, :mod:`~tsenas_pymoo.search.fine_stage`), under one ``minimize`` call (Alg. 1)."""

from __future__ import annotations

from pymoo.core.algorithm import Algorithm
from pymoo.core.population import Population
from pymoo.operators.selection.tournament import TournamentSelection
from pymoo.termination.max_gen import MaximumGenerationTermination

from ..interface import SearchEvaluator, search_evaluator
from ..operators.duplicates import GenomeDuplicateElimination
from ..operators.sampling import TSENASSampling
from ..operators.survival import compare_by_alpha_level
from .fine_problem import FineSearchProblem
from .fine_stage import fine_offspring, fine_select, start_fine_search
from .options import (
    OPERATOR_SETTINGS,
    OPTION_NAMES,
    TSENASOptions,
    check_count,
    default_operators,
    deprecated_flat_keywords,
)
from .records import (  # noqa: F401  (their names here before 0.8.1)
    BestAccuracyCallback,
    GenerationRecorder,
    MultiObjectiveAccuracyOutput,
    SingleObjectiveAccuracyOutput,
    TSENASOutput,
    accuracy_output,
    best_first,
    generation_record,
    pareto_summary,
)
from .rough_stage import rough_offspring


class TSENAS(Algorithm):
    """Two-stage evolutionary NAS (Alg. 1).

    Stage 1 (rough search, Alg. 2) evaluates the Alg. 3 initial population, then runs
    ``stage1_gens`` (T0) offspring generations with population ``pop_size`` (P): each
    generation makes P new offspring, two by the Fig. 3a crossover with probability gamma
    and one by cell/connection mutation with probability beta from tournament-selected
    parents, and keeps P of parents + offspring by alpha-level density selection (Sec.
    IV-B4, alpha; "noise" sets it from the validation set's standard error). The
    evaluator's weight store is updated from the population (Steps 1-4, Sec. IV-B2).

    With two objectives (``TSENASProblem(objectives=("error", "params"))``) the alpha
    levels become non-dominated fronts (see ``AlphaLevelSurvival``), the best S and the
    fine-search winner are chosen by accuracy with the second objective breaking ties,
    each generation records its front and hypervolume, and ``res.X``/``res.F`` hold the
    final population's non-dominated set, best accuracy first (as NSGA2's do).

    Stage 2 (fine search, Alg. 4, :mod:`~tsenas_pymoo.search.fine_stage`) takes the best
    ``fine_size`` (S) genomes, expands them to the stage-2 encoding and runs
    ``stage2_gens`` (T1) generations: each parent s makes a node/edge-mutated child p1 and
    a pruned child p2; s is evaluated again under the same protocol (Alg. 4 line 7: with
    lineage inheritance it trains on from its own state as p1 and p2 train from it,
    without inheritance it is retrained under a seed of this generation), and the best of
    the three stays (s on ties).

    Operators, as pymoo's ``GA`` takes them: ``sampling`` (default Alg. 3,
    ``TSENASSampling``), ``selection`` (binary tournament on alpha levels), ``crossover``
    (Fig. 3a, ``CellCrossover(prob=0.8)``: gamma), ``mutation`` (Fig. 3b,
    ``CellMutation(prob=0.2)``: beta) and ``survival`` (``AlphaLevelSurvival(alpha=0.01)``).
    ``options`` (:class:`~tsenas_pymoo.search.options.TSENASOptions`): the store's update
    interval, the stage-1 variation switches, the stage-2 ablations. Flat settings (the
    CLI's: ``alpha``, ``crossover_prob``, ``prune``, ...) become these keywords by
    :func:`~tsenas_pymoo.search.options.tsenas_keywords`; passed to ``TSENAS`` itself they
    still work for one version, with a ``DeprecationWarning``.

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
        sampling=None,
        selection=None,
        crossover=None,
        mutation=None,
        survival=None,
        options: TSENASOptions | None = None,
        **kwargs,
    ):
        flat = deprecated_flat_keywords(kwargs)
        fine_size = flat.pop("n_fine", fine_size)
        operators = default_operators(
            {k: flat.pop(k) for k in OPERATOR_SETTINGS if k in flat},
            {"crossover": crossover, "mutation": mutation, "survival": survival},
        )
        self.options = (options or TSENASOptions()).replace(**flat)
        for name, value, low in (
            ("pop_size", pop_size, 2),
            ("fine_size", fine_size, 1),
            ("stage1_gens", stage1_gens, 1),
            ("stage2_gens", stage2_gens, 0),
        ):
            check_count(name, value, low)
        if fine_size > pop_size:
            raise ValueError(f"fine_size={fine_size}; rule: S <= pop_size={pop_size}")
        kwargs.setdefault("output", TSENASOutput())
        super().__init__(**kwargs)
        self.pop_size, self.fine_size = int(pop_size), int(fine_size)
        self.stage1_gens, self.stage2_gens = int(stage1_gens), int(stage2_gens)
        self.sampling = sampling or TSENASSampling()
        self.selection = selection or TournamentSelection(func_comp=compare_by_alpha_level)
        self.crossover, self.mutation = operators["crossover"], operators["mutation"]
        self.survival = operators["survival"]
        self.stage = 1
        self.stage1_end = self.stage1_gens + (0 if self.options.count_initial else 1)  # the last stage-1 generation
        self.stage2_start: list[str] = []  # keys of the S genomes that started stage 2
        self.known: set[str] = set()  # keys of every genome evaluated in this run (remake_known)
        if self.termination is None:
            self.termination = MaximumGenerationTermination(self.stage1_end + self.stage2_gens)

    def __setstate__(self, state):
        # a checkpoint written before these settings existed resumes as it ran
        if "n_fine" in state:  # S's name before 0.5.0
            state = {("fine_size" if k == "n_fine" else k): v for k, v in state.items()}
        if "options" not in state:  # before 0.8.1 the options were attributes
            old = {"reevaluate": False, "fine_cells": None, "mutate_offspring": False, "remake_known": False}
            fields = {**old, **{k: state.pop(k) for k in OPTION_NAMES if k in state}}
            state = {"stage1_end": state.get("stage1_gens"), "known": set(), **state}
            state["options"] = TSENASOptions(**{k: v for k, v in fields.items() if k in OPTION_NAMES})
            state.pop("alpha", None)
        self.__dict__.update(state)

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
        for _ in range(self.options.n_max_iterations):
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

    def _remember(self, pop) -> None:
        if self.options.remake_known:  # the set is only read by that option: no growth, no decoding otherwise
            self.known.update(self.problem.decode(x).key() for x in pop.get("X"))

    @property
    def notes(self) -> SearchEvaluator:
        """Where the algorithm's notes go: the problem's evaluator as the declared seam
        reads it (tsenas_pymoo/interface.py; a plain callable ignores them)."""
        return search_evaluator(getattr(self.problem, "evaluator", None))

    def note_parents(self, parents: dict[str, list]) -> None:
        """Tell the evaluator each child's parents (as genomes), for lineage inheritance."""
        self.notes.note_parents({key: [self.problem.decode(x) for x in xs] for key, xs in parents.items()})

    def _retain(self) -> None:
        """Tell the evaluator which individuals live on: their trained states are kept,
        the rest may go (the store stays bounded by the population)."""
        self.notes.retain([self.problem.decode(x) for x in self.pop.get("X")])

    def _update_store(self):
        """Sec. IV-B2 Steps 1-4 every ``update_every`` generations."""
        if self.n_iter % self.options.update_every == 0:
            self.notes.update_store(
                [(self.problem.decode(x), float(a)) for x, a in zip(self.pop.get("X"), self.pop.get("accuracy"))]
            )

    # -- the generation loop ------------------------------------------------------------
    def _infill(self):
        if self.stage == 1 and self.n_iter > self.stage1_end:
            start_fine_search(self)
        return rough_offspring(self) if self.stage == 1 else fine_offspring(self)

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
            self.pop = fine_select(self, infills)
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
