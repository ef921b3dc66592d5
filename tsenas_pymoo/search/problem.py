"""The pymoo problem of TS-ENAS: minimize validation error over stage-1 genomes."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from pymoo.core.problem import ElementwiseProblem

from ..interface import search_evaluator
from ..space.cost import cost_by_parts
from ..space.genome import (
    STAGE1_CELL_LEN,
    STAGE2_CELL_LEN,
    AnyGenome,
    FineGenome,
    NetworkGenome,
    input_reduction_cap,
    max_free_input,
)
from ..space.width import Budget, Skeleton

OBJECTIVES = ("error", "params", "macs", "flops")
Evaluator = Callable[[AnyGenome], Mapping[str, Any]]


def note_generation(evaluator, algorithm) -> None:
    """Tell an evaluator that records generations (its archive does) the current one; the
    algorithm itself is not passed on, as a parallel runner would ship it to every worker."""
    if algorithm is not None:
        search_evaluator(evaluator).note_generation(algorithm.n_iter)


def prefetch(problem, X) -> None:
    """Hand a batch's genomes first to the evaluator's ``prefetch`` (one that answers a
    batch faster than one by one: a surrogate); pymoo then evaluates them one by one."""
    batch = search_evaluator(problem.evaluator).prefetch
    genomes = []
    for x in X:
        try:
            genomes.append(problem.decode(x))
        except ValueError:
            continue  # infeasible (the mixed-variable form): never evaluated
    batch(genomes)


def upgrade_dask_runner(problem) -> None:
    """pymoo's ``DaskParallelization(client)`` becomes our ``DaskRunner(client)``, which
    answers archive hits on the driver and writes the archive there (the evaluator a worker
    receives carries no archive)."""
    runner = problem.elementwise_runner
    if type(runner).__name__ == "DaskParallelization" and getattr(runner, "client", None) is not None:
        from ..evaluation.distributed import DaskRunner

        problem.elementwise_runner = DaskRunner(runner.client)


class BatchProblem(ElementwiseProblem):
    """An element-wise problem that readies each batch before pymoo evaluates it one by
    one: the evaluator hears the generation, pymoo's Dask runner becomes ours, and an
    evaluator that answers batches gets the batch first."""

    def _evaluate_elementwise(self, X, out, *args, algorithm=None, **kwargs):
        note_generation(self.evaluator, algorithm)
        upgrade_dask_runner(self)
        prefetch(self, X)
        super()._evaluate_elementwise(X, out, *args, **kwargs)


class ProblemView(BatchProblem):
    """The stage-1 problem (``self.base``, a :class:`TSENASProblem`) in another encoding:
    what the view does not define (N_min, N_max, input shape, evaluator, objectives,
    checks of results) is the base's."""

    def __getattr__(self, name):
        if name == "base":  # not set yet (unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.base, name)


def _setting(evaluator, name: str, value, default):
    """An explicit value, else the evaluator's (declared in :class:`SearchEvaluator`), else
    the default; explicit must match."""
    known = getattr(search_evaluator(evaluator), name)
    if value is None:
        return default if known is None else known
    if known is not None and tuple(np.atleast_1d(value)) != tuple(np.atleast_1d(known)):
        raise ValueError(f"{name}={value} differs from the evaluator's {known}; rule: leave it unset or equal")
    return value


def _deprecated_num_classes(kwargs: dict) -> int | None:
    """``num_classes=`` given to the problem (before 0.8.1): the evaluator declares it."""
    if "num_classes" not in kwargs:
        return None
    warnings.warn(
        "TSENASProblem(num_classes=...) is deprecated; rule: the evaluator declares num_classes "
        "(a TorchEvaluator's dataset, or an attribute of a plain callable)",
        DeprecationWarning,
        stacklevel=4,
    )
    return kwargs.pop("num_classes")


def _budget(max_params, max_macs, width, min_use) -> Budget:
    """The problem's budget: the limits given, else a width rule's own."""
    if max_params is None and max_macs is None:
        budget = getattr(width, "budget", None) or Budget()
        max_params, max_macs = budget.max_params, budget.max_macs
    return Budget(max_params, max_macs, min_use)


def _decode(x, n_min: int, n_max: int, input_shape: tuple) -> AnyGenome:
    cls = FineGenome if np.shape(x)[-1] == STAGE2_CELL_LEN * n_max else NetworkGenome
    return cls.from_vector(x, n_min=n_min, n_max=n_max, input_shape=input_shape)


@functools.lru_cache(maxsize=100_000)
def _decode_cached(dtype: str, data: bytes, n_min: int, n_max: int, input_shape: tuple) -> AnyGenome:
    """Decoded vectors, remembered (genomes are immutable): an algorithm's survival,
    duplicate checks and operators decode each individual many times a generation."""
    return _decode(np.frombuffer(data, dtype=dtype), n_min, n_max, input_shape)


class TSENASProblem(BatchProblem):
    """Search over chains of N_min..N_max Table II cells (Sec. III-B, first layer).

    The decision vector is ``3 * n_max`` integers, (free input, previous input, cell code)
    per cell with absent cells all zeros (codes of cells 1..N_min are at least 1). The
    ``evaluator`` is any callable ``genome -> {"accuracy": float in [0, 1], ...}``,
    optionally with ``params``, ``macs`` and ``flops``; ``F[0] = 1 - accuracy`` and
    ``objectives=("error", "params")``, ``("error", "macs")`` (multiply-adds: the
    paper's "FLOPs") or ``("error", "flops")`` (2 x MACs) adds a second objective
    (computed from the decoded network when the evaluator does not report it).
    ``input_shape`` and ``init_channels`` default to the evaluator's own (a
    ``TorchEvaluator``'s dataset and width), else to 1x8x8 and 16; the number of classes
    is the evaluator's (declared ``num_classes``), else 10.
    Each evaluation also sets the individual's ``accuracy``, ``params`` and ``flops``.
    Evaluation is element-wise: pass ``elementwise_runner=`` for a parallel runner.

    Budgets: ``max_params`` and ``max_macs`` become pymoo inequality constraints
    ``G = cost / limit - 1`` (feasible when <= 0), counted from the genome at the width
    it is built with (``init_channels``, or a width rule such as ``BudgetWidth``, whose
    budget is then the default). A genome over budget is never trained: it gets the worst
    error and its cost. ``min_budget_use`` (a share, e.g. 0.9) adds a constraint per limit:
    the network must use at least that share of it. ``skeleton`` (a :class:`~tsenas_pymoo.space.width.Skeleton` or
    ``"8:3,6"``) fixes N and the reduction positions: the bounds then keep each cell code
    in its type's range (1-4 normal, 5-8 reduction).
    """

    def __init__(
        self,
        evaluator: Evaluator,
        n_min: int = 4,
        n_max: int = 10,
        input_shape: Sequence[int] | None = None,
        init_channels: int | None = None,
        objectives: Sequence[str] = ("error",),
        max_params: int | None = None,
        max_macs: int | None = None,
        skeleton: Skeleton | str | None = None,
        min_budget_use: float | None = None,
        **kwargs,
    ):
        if not callable(evaluator):
            raise ValueError(f"evaluator: {evaluator!r} is not callable; rule: a callable genome -> mapping")
        # defaults: what the evaluator knows (a TorchEvaluator), else 1x8x8 digits at width 16
        input_shape = _setting(evaluator, "input_shape", input_shape, (1, 8, 8))
        num_classes = _setting(evaluator, "num_classes", _deprecated_num_classes(kwargs), 10)
        init_channels = _setting(evaluator, "init_channels", init_channels, 16)
        if not (isinstance(n_min, (int, np.integer)) and n_min >= 1):
            raise ValueError(f"n_min={n_min}; rule: an integer N_min >= 1")
        if not (isinstance(n_max, (int, np.integer)) and n_max >= n_min):
            raise ValueError(f"n_max={n_max}; rule: an integer N_max >= N_min={n_min}")
        if len(input_shape) != 3 or min(input_shape) < 1:
            raise ValueError(f"input_shape={tuple(input_shape)}; rule: (channels, height, width), all >= 1")
        objectives = tuple(objectives)
        if (
            not objectives
            or objectives[0] != "error"
            or len(objectives) > 2
            or any(o not in OBJECTIVES for o in objectives)
            or len(set(objectives)) != len(objectives)
        ):
            raise ValueError(
                f"objectives={objectives}; rule: ('error',), ('error', 'params'), "
                f"('error', 'macs') or ('error', 'flops')"
            )
        self.evaluator = evaluator
        self.n_min, self.n_max = int(n_min), int(n_max)
        self.input_shape = tuple(int(v) for v in input_shape)
        self.num_classes, self.init_channels = num_classes, init_channels
        self.objectives = objectives
        self.reduction_cap = input_reduction_cap(self.input_shape)
        self.budget = _budget(max_params, max_macs, init_channels, min_budget_use)
        self.skeleton = self._skeleton(skeleton)
        xl, xu = [], []
        for j in range(1, self.n_max + 1):
            xl += [0, 0, 1 if j <= self.n_min else 0]
            xu += [max_free_input(j), j - 1, 8]
            if self.skeleton is not None:  # the code's range is its position's type
                xl[-1], xu[-1] = (5, 8) if self.skeleton.is_reduction(j) else (1, 4)
        kwargs.setdefault("requires_kwargs", True)  # to read the generation from the running algorithm
        super().__init__(
            n_var=STAGE1_CELL_LEN * self.n_max,
            n_obj=len(objectives),
            n_ieq_constr=self.budget.n_constraints,
            xl=np.array(xl),
            xu=np.array(xu),
            vtype=int,
            **kwargs,
        )

    def _skeleton(self, skeleton) -> Skeleton | None:
        if skeleton is None:
            return None
        skeleton = Skeleton.parse(skeleton) if isinstance(skeleton, str) else skeleton
        if not self.n_min == self.n_max == skeleton.n_cells:
            raise ValueError(
                f"skeleton={skeleton}; rule: n_min = n_max = its N ({skeleton.n_cells}), got {self.n_min}..{self.n_max}"
            )
        skeleton.check_capacity(self.input_shape)
        return skeleton

    def cost(self, genome: AnyGenome) -> dict[str, int]:
        """Parameters, MACs and FLOPs of ``genome``'s network at the width it is built with."""
        return cost_by_parts(genome, self.input_shape, self.num_classes, self.init_channels)

    def constraint_values(self, genome: AnyGenome) -> list[float]:
        """pymoo's G of ``genome``: ``cost / limit - 1`` per budget (empty: no budget)."""
        return self.budget.violations(self.cost(genome)) if self.budget else []

    def over_budget(self, genome: AnyGenome) -> dict[str, Any] | None:
        """What an evaluation sets on a genome over budget (never trained: the worst error,
        its cost and G); None for a genome within budget."""
        if not self.budget:
            return None
        cost = self.cost(genome)
        G = self.budget.violations(cost)
        if max(G) <= 0:
            return None
        costs = {k: float(cost[k]) for k in ("params", "macs", "flops")}
        F = [1.0] + [costs[k] for k in self.objectives[1:]]
        return {"F": F, "G": G, "accuracy": 0.0, **costs}

    def decode(self, x) -> AnyGenome:
        """The genome of a stage-1 vector (``3 * n_max``) or stage-2 vector (``23 * n_max``).

        Raises ``ValueError`` naming the position and rule when ``x`` is not a valid genome.
        """
        arr = np.asarray(x)
        if arr.dtype.kind not in "iuf" or arr.ndim != 1:
            return _decode(arr, self.n_min, self.n_max, self.input_shape)
        return _decode_cached(arr.dtype.str, arr.tobytes(), self.n_min, self.n_max, self.input_shape)

    def evaluate_genome(self, genome: AnyGenome) -> dict[str, Any]:
        """Run the evaluator on ``genome`` and check what it returns."""
        return self.check_result(genome, self.evaluator(genome))

    def check_result(self, genome: AnyGenome, result: Mapping[str, Any]) -> dict[str, Any]:
        """Validate an evaluator's result; add a missing second objective."""
        result = dict(result)
        accuracy = result.get("accuracy")
        if accuracy is None or not 0.0 <= float(accuracy) <= 1.0:
            raise ValueError(f"evaluator returned accuracy={accuracy!r} for {genome}; rule: a number in [0, 1]")
        missing = [k for k in self.objectives[1:] if result.get(k) is None]
        if missing:
            cost = self.cost(genome)  # counted by parts, exactly network_cost's numbers
            result.update({k: cost[k] for k in missing})
        return result

    def objective_values(self, result: Mapping[str, Any]) -> list[float]:
        """F of one evaluation result."""
        return [1.0 - float(result["accuracy"])] + [float(result[k]) for k in self.objectives[1:]]

    def outputs(self, result: Mapping[str, Any], genome: AnyGenome | None = None) -> dict[str, Any]:
        """What one evaluation sets on its individual: F, accuracy, params, macs, flops
        (counted from ``genome`` where the evaluator reported none) and, under a budget, G."""
        missing = [k for k in ("params", "macs", "flops") if not result.get(k)]
        if genome is not None and missing:
            cost = self.cost(genome)
            result = {**result, **{k: cost[k] for k in missing}}

        def number(name):
            return float(result.get(name, np.nan) or np.nan)

        out = {
            "F": self.objective_values(result),
            "accuracy": float(result["accuracy"]),
            "params": number("params"),
            "macs": number("macs"),
            "flops": number("flops"),
        }
        if self.budget:
            if genome is None:
                raise ValueError("outputs under a budget need the genome (its constraint values)")
            out["G"] = self.constraint_values(genome)
        return out

    def evaluate_checked(self, genome: AnyGenome) -> dict[str, Any]:
        """The outputs of one genome: over budget without training, else trained."""
        return self.over_budget(genome) or self.outputs(self.evaluate_genome(genome), genome)

    def _evaluate(self, x, out, *args, **kwargs):
        try:
            genome = self.decode(x)
        except ValueError as err:  # TS-ENAS's operators make valid genomes: a stock algorithm's vector
            raise ValueError(
                f"{err}; a stock pymoo algorithm (GA, DE, ...) proposed it: pass it repair=GenomeRepair(), "
                f"or search TSENASMixedProblem (docs/algorithms.md)"
            ) from None
        out.update(self.evaluate_checked(genome))
