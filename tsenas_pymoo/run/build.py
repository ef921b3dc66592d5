"""What a run builds from its config: the evaluator, the Dask runner and the algorithm
(TS-ENAS, or a stock pymoo algorithm on the same problem), fresh or from a checkpoint."""

from __future__ import annotations

from pathlib import Path

from pymoo.core.algorithm import Algorithm

from ..config import SearchConfig
from ..interface import RunEvaluator
from ..search.algorithm import TSENAS, accuracy_output
from ..search.options import tsenas_keywords
from ..search.problem import TSENASProblem
from ..search.stock import budget_termination
from ..threads import choose_policy, recorded_threads
from .directory import record_threads, saved_config


def generations_of(c: SearchConfig):
    """A stock algorithm's length without --budget: 1 + T0 + T1 generations of pop-size
    networks; regularized evolution, which makes pop-size / 10 a generation, runs the
    same number of evaluations."""
    gens = 1 + c.stage1_gens + c.stage2_gens
    return ("n_eval", c.pop_size * gens) if c.algorithm == "re" else ("n_gen", gens)


def problem_core(problem):
    """The problem that holds the evaluator (a mixed-variable problem wraps one)."""
    return problem.__dict__.get("base", problem)


def make_evaluator(c: SearchConfig, run_dir: Path) -> RunEvaluator:
    """The evaluator the config names, archiving into the run directory."""
    if c.evaluator == "surrogate":
        from ..bench import SurrogateEvaluator

        evaluator = SurrogateEvaluator(c.surrogate_table, seed=c.seed, archive=run_dir / "archive.sqlite")
        if not evaluator.n_min <= c.n_min <= c.n_max <= evaluator.n_max:
            raise ValueError(
                f"n_min={c.n_min}, n_max={c.n_max}; rule: within the surrogate table's "
                f"N {evaluator.n_min}-{evaluator.n_max} (--n-min, --n-max)"
            )
        return evaluator
    return c.torch_evaluator(store=run_dir / "store", archive=run_dir / "archive.sqlite")


def make_runner(c: SearchConfig, run_dir: Path):
    """(a Dask runner, its client) when the config asks for workers or a scheduler, else
    (None, None). A local cluster's thread policy is recorded in config.json."""
    if not (c.workers or c.workers_per_device or c.scheduler):
        return None, None
    try:
        from ..evaluation.distributed import DaskRunner, device_count, local_client
    except ImportError as err:
        raise ValueError(
            f'--workers/--scheduler need Dask ({err.name} is not installed); rule: pip install "tsenas_pymoo[dask]"'
        ) from None
    if c.scheduler:
        from distributed import Client

        client = Client(c.scheduler)
        return DaskRunner(client, threads=c.threads or 1), client
    workers = c.workers or c.workers_per_device * device_count(c.device)
    policy = choose_policy(recorded_threads(saved_config(run_dir, c), "workers"), c.wait_policy, processes=workers)
    client = local_client(workers, policy)
    record_threads(run_dir, c, workers=policy.to_dict())
    return DaskRunner(client, threads=policy.threads), client


def attach(algorithm: Algorithm, evaluator: RunEvaluator, runner) -> Algorithm:
    """A checkpointed algorithm with this process's evaluator and runner (neither is pickled)."""
    problem_core(algorithm.problem).evaluator = evaluator
    if runner is not None:
        algorithm.problem.elementwise_runner = runner
        if isinstance(algorithm, TSENAS):
            algorithm.fine_problem.elementwise_runner = runner
    return algorithm


def make_algorithm(c: SearchConfig, evaluator: RunEvaluator, runner, run_dir: Path, verbose: bool) -> Algorithm:
    """A new algorithm set up on its problem: TS-ENAS with the config's settings, or the
    stock algorithm it names, under the config's budget or length."""
    extra = {} if runner is None else {"elementwise_runner": runner}
    termination = budget_termination(c.budget_unit, c.budget, run_dir)
    if c.algorithm != "tsenas":
        from ..search.stock import GenerationLog, make_problem
        from ..search.stock import make_algorithm as stock_algorithm

        problem = make_problem(
            c.algorithm,
            evaluator,
            n_min=c.n_min,
            n_max=c.n_max,
            objectives=tuple(c.objectives.split(",")),
            **c.budget_kwargs(),
            **extra,
        )
        problem_core(problem).exclude_from_serialization = ["evaluator"]
        algorithm = accuracy_output(stock_algorithm(c.algorithm, c.pop_size), problem.n_obj)
        algorithm.setup(
            problem,
            termination=termination or generations_of(c),
            seed=c.seed,
            verbose=verbose,
            callback=GenerationLog(),
        )
        return algorithm
    problem = TSENASProblem(
        evaluator,
        n_min=c.n_min,
        n_max=c.n_max,
        exclude_from_serialization=["evaluator"],
        objectives=tuple(c.objectives.split(",")),
        **c.budget_kwargs(),
        **extra,
    )
    algorithm = TSENAS(
        **tsenas_keywords(
            pop_size=c.pop_size,
            fine_size=c.fine_size,
            stage1_gens=c.stage1_gens,
            stage2_gens=c.stage2_gens,
            alpha=c.alpha,
            update_every=c.update_every,
            reevaluate=c.reevaluate,
            fine_cells=c.fine_cells,
            mutate_offspring=c.mutate_offspring,
            carry_connections=c.carry_connections,
            remake_known=c.remake_known,
        )
    )
    algorithm.setup(
        problem, seed=c.seed, verbose=verbose, **({} if termination is None else {"termination": termination})
    )
    return algorithm
