"""Swapping algorithms as a user does: pymoo's own algorithms on the TS-ENAS space.

``tsenas search --algorithm NAME`` (``SearchConfig.algorithm``) runs one of:

* ``tsenas``: Alg. 1 (``algorithm.TSENAS``), the default;
* ``ga``: pymoo's ``MixedVariableGA`` on :class:`~tsenas_pymoo.mixed_problem.TSENASMixedProblem`
  (cell codes as categories, free inputs bounded, the chain length explicit), with its
  duplicate elimination hashed (:class:`~tsenas_pymoo.operators.duplicates.HashedMixedVariableElimination`:
  the same survivors as pymoo's pairwise comparison, in linear time);
* ``nsga2``: the same with NSGA-II's rank-and-crowding survival (two objectives:
  ``--objectives error,params`` or ``error,macs``);
* ``de``: pymoo's ``DE`` on the integer vector with ``GenomeRepair`` (DE needs numbers);
* ``random``: pymoo's ``RandomSearch`` drawing Alg. 3 samples;
* ``re``: regularized (aging) evolution (:mod:`~tsenas_pymoo.regularized`, Real et al.
  2019) with S = P / 4 (their 25 of 100), mutation only.

Each keeps the run directory, archive, resume, progress, plots and
``best_genotype.json`` of a TS-ENAS run: :class:`GenerationLog` writes the same
per-generation records into ``algorithm.data["generations"]``, and
:class:`TrainingBudget` ends any of them after a number of networks trained, or
:class:`ComputeBudget` after an amount of compute (million MAC-epochs; archive answers
are free), counted from the run's archive so a resumed run counts what it did before.
"""

from __future__ import annotations

from pymoo.core.callback import Callback

from ..config import ALGORITHMS, BUDGET_UNITS, check_choice
from .algorithm import generation_record
from .budget import BudgetTermination, MacEpochs, TrainedNetworks, supernet_record


class GenerationLog(Callback):
    """Appends each generation's record (:func:`~tsenas_pymoo.algorithm.generation_record`)
    to ``algorithm.data["generations"]``, as TS-ENAS does itself, so the run
    directory's log, plots and resume treat every algorithm alike."""

    def notify(self, algorithm):
        records = algorithm.data.setdefault("generations", [])
        records.append(generation_record(algorithm))
        algorithm.data["best_accuracy"] = max(r["best_accuracy"] for r in records)


class TrainingBudget(BudgetTermination):
    """Done once ``budget`` networks were trained in this run (its archive's rows), or
    after ``stall`` generations that trained nothing new."""

    def __init__(self, archive_path, budget: int, stall: int = 30):
        super().__init__(TrainedNetworks(archive_path), int(budget), stall)

    def __setstate__(self, state):  # a checkpoint from 0.4.0 counted by its archive path
        if "used" not in state:
            state["used"] = TrainedNetworks(state.pop("archive_path"))
            state["budget"] = float(state["budget"])
        self.__dict__.update(state)


class ComputeBudget(BudgetTermination):
    """Done once the run's trainings (and SuperNet) cost ``budget`` million MAC-epochs
    (:class:`~tsenas_pymoo.budget.MacEpochs`), or after ``stall`` generations that trained
    nothing new."""

    def __init__(self, archive_path, budget: float, supernet_marker=None, stall: int = 30):
        super().__init__(MacEpochs(archive_path, supernet_marker), float(budget), stall)


def budget_termination(unit: str, budget, run_dir):
    """The termination ``--budget`` (in ``unit``) asks for, reading the run directory's
    archive and SuperNet record; None without a budget."""
    from pathlib import Path

    if budget is None:
        return None
    run_dir = Path(run_dir)
    if unit == "networks":
        return TrainingBudget(run_dir / "archive.sqlite", budget)
    if unit == "mmac-epochs":
        return ComputeBudget(run_dir / "archive.sqlite", budget, supernet_record(run_dir))
    raise ValueError(f"budget_unit={unit!r}; rule: one of {', '.join(BUDGET_UNITS)}")


def make_problem(algorithm: str, evaluator, **kwargs):
    """The problem an algorithm searches: the mixed-variable form for ga and nsga2, the
    integer vector for de and random (and TS-ENAS)."""
    if algorithm in ("ga", "nsga2"):
        from .mixed_problem import TSENASMixedProblem

        return TSENASMixedProblem(evaluator, **kwargs)
    from .problem import TSENASProblem

    return TSENASProblem(evaluator, **kwargs)


def make_algorithm(algorithm: str, pop_size: int):
    """pymoo's class for a stock algorithm, at population ``pop_size`` (pymoo's defaults
    for everything else: no tuning, for anyone)."""
    if algorithm in ("ga", "nsga2"):
        from pymoo.core.mixed import MixedVariableGA, MixedVariableMating
        from pymoo.operators.survival.rank_and_crowding import RankAndCrowding

        from ..operators.duplicates import HashedMixedVariableElimination

        more = {"survival": RankAndCrowding()} if algorithm == "nsga2" else {}
        return MixedVariableGA(
            pop_size=pop_size,
            mating=MixedVariableMating(eliminate_duplicates=HashedMixedVariableElimination()),
            eliminate_duplicates=HashedMixedVariableElimination(),
            **more,
        )
    if algorithm == "de":
        from pymoo.algorithms.soo.nonconvex.de import DE

        from ..operators.repair import GenomeRepair

        return DE(pop_size=pop_size, repair=GenomeRepair())
    if algorithm == "random":
        from pymoo.algorithms.soo.nonconvex.random_search import RandomSearch

        from ..operators.sampling import TSENASSampling

        return RandomSearch(n_points_per_iteration=pop_size, sampling=TSENASSampling())
    if algorithm == "re":
        from .regularized import RegularizedEvolution

        return RegularizedEvolution(pop_size=pop_size, sample_size=max(2, pop_size // 4))
    raise ValueError(f"algorithm={algorithm!r}; rule: one of {', '.join(a for a in ALGORITHMS if a != 'tsenas')}")


__all__ = [
    "ALGORITHMS",
    "ComputeBudget",
    "GenerationLog",
    "TrainingBudget",
    "budget_termination",
    "check_choice",
    "make_algorithm",
    "make_problem",
]
