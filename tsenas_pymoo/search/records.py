"""What a search reports each generation, for TS-ENAS and any pymoo algorithm on our
problems: the generation record (Fig. 4a and 4b), its recorder callback, and the verbose
tables with accuracy beside pymoo's columns."""

from __future__ import annotations

import warnings

import numpy as np
from pymoo.core.algorithm import Algorithm
from pymoo.core.callback import Callback
from pymoo.util.display.column import Column
from pymoo.util.display.multi import MultiObjectiveOutput
from pymoo.util.display.output import Output
from pymoo.util.display.single import SingleObjectiveOutput

from ..interface import search_evaluator


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
