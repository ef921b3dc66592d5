"""Scale-out: evaluations on Dask workers (processes, GPUs or a cluster).

``DaskRunner(client)`` is a pymoo elementwise runner. For a ``TorchEvaluator`` the driver
answers archive hits itself, sends each new genome to a worker (the evaluator is scattered
to the workers once, without its archive), and writes every result into the archive: the
archive has one writer. Workers share the weight store through its folder (atomic writes
under a file lock); each task carries the parents the algorithm noted for its genome. A
task whose worker dies is retried once; if it dies again, the genome is recorded as
failed (accuracy 0, status ``failed``) and the search goes on. Every evaluation is
seeded per genome, so the results equal a serial run's that uses the same
number of torch threads per training (``threads``, default 1; CPU float sums depend on it).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import dask

from ..interface import WorkerEvaluator, search_evaluator

log = logging.getLogger(__name__)


def worker_device(device: str, worker_name, gpus: int) -> str:
    """The device a worker trains on: worker k of a local cluster takes ``cuda:(k mod
    gpus)`` when the search asked for "cuda" (so K workers per device share each GPU);
    an explicit ``cuda:i`` and the CPU stay as given."""
    if device != "cuda" or gpus < 1:
        return device
    name = str(worker_name)
    return f"cuda:{int(name) % gpus if name.isdigit() else 0}"


def device_count(device: str | None) -> int:
    """How many devices a search on ``device`` spreads over: every visible GPU for "cuda"
    (or None with CUDA present), else one (the CPU, or one named GPU)."""
    import torch

    if device not in (None, "auto", "cuda"):
        return 1
    return max(1, torch.cuda.device_count())


def _train_on_worker(evaluator, genome, threads: int, parents=(), eval_key=None) -> dict[str, Any]:
    import torch

    from .allocator import keeping_freed_memory

    # a search stopped by Ctrl-C or SIGTERM cancels the trainings in flight, which Dask's
    # worker would note one warning line each for (real task errors still reach the runner)
    logging.getLogger("distributed.worker.state_machine").setLevel(logging.ERROR)
    torch.set_num_threads(threads)
    if str(evaluator.device).startswith("cuda"):
        from distributed import get_worker

        device = worker_device(str(evaluator.device), get_worker().name, torch.cuda.device_count())
        if evaluator.device != device:  # pin this worker's copy of the evaluator to its GPU
            evaluator.device, evaluator._device_data = device, None
    # Dask's workers start with a malloc setting that doubles a training's CPU time, and a
    # long search's worker should hold what it uses, not all it ever freed
    return keeping_freed_memory(functools.partial(evaluator.train_genome, genome, parents=parents, key=eval_key))


def _plan(evaluator, genome) -> dict:
    """What the algorithm noted for ``genome`` on the driver (the workers' copies of the
    evaluator were scattered before the notes were made): its parents and the key it is
    evaluated under (not ``key``: that keyword is Dask's own task key)."""
    return search_evaluator(evaluator).plan(genome)


class DaskRunner:
    """pymoo ``elementwise_runner`` over a ``distributed.Client``."""

    def __init__(self, client, retries: int = 1, threads: int = 1):
        self.client = client
        self.retries = retries
        self.threads = threads
        self._scattered = None

    def __getstate__(self):  # checkpoints keep the settings, not the connection
        return {"client": None, "retries": self.retries, "threads": self.threads, "_scattered": None}

    def _remote(self, evaluator):
        if self._scattered is None or self._scattered[0] is not evaluator:
            self._scattered = (evaluator, self.client.scatter(evaluator.worker_copy(), broadcast=True, hash=False))
        return self._scattered[1]

    def _result(self, evaluator, genome, future) -> dict[str, Any]:
        """A worker's result, the task retried ``retries`` times when it fails (re-sending
        the evaluator: a dead worker may have taken the scattered copy with it); the last
        error is raised for the evaluator to record as a failure."""
        for _ in range(self.retries):
            try:
                return future.result()
            except Exception as err:
                log.warning("%s: failed on a worker (%s); retried", genome.key(), err)
            self._scattered = None
            future = self.client.submit(
                _train_on_worker, self._remote(evaluator), genome, self.threads, pure=False, **_plan(evaluator, genome)
            )
        return future.result()

    def __call__(self, f, X):
        if self.client is None:
            raise RuntimeError("DaskRunner has no client (after a checkpoint load, attach a new one)")
        problem = f.problem
        evaluator = getattr(problem, "evaluator", None)
        if not isinstance(evaluator, WorkerEvaluator):  # the declared split; else the whole problem goes
            from .allocator import keeping_freed_memory

            futures = [self.client.submit(keeping_freed_memory, f, x, pure=False) for x in X]
            return [future.result() for future in futures]
        genomes, over = [], []
        for x in X:  # what the problem answers without training: an invalid or over-budget genome
            try:
                genomes.append(problem.decode(x))
                over.append(problem.over_budget(genomes[-1]))
            except ValueError:
                genomes.append(None)
                over.append(f(x))
        records = [None if over[i] else evaluator.lookup(g) for i, g in enumerate(genomes)]
        remote = self._remote(evaluator)
        # the largest networks first (by MACs, the problem's own count), so that no worker is left with a big one
        costs = {i: problem.cost(g)["macs"] for i, g in enumerate(genomes) if records[i] is None and not over[i]}
        futures = {
            i: self.client.submit(
                _train_on_worker,
                remote,
                genomes[i],
                self.threads,
                pure=False,
                priority=int(costs[i]),
                **_plan(evaluator, genomes[i]),
            )
            for i in sorted(costs, key=lambda i: -costs[i])
        }
        for i, future in futures.items():  # the evaluator's own steps, with the training done remotely
            records[i] = evaluator.settle(genomes[i], functools.partial(self._result, evaluator, genomes[i], future))
        return [over[i] or problem.outputs(problem.check_result(g, records[i]), g) for i, g in enumerate(genomes)]


def local_client(n_workers: int, policy=None):
    """A local Dask cluster of ``n_workers`` worker processes, each running one task at a
    time, that only this process can talk to (TLS with temporary credentials, on loopback;
    Dask's status page on loopback too, at a free port). ``policy`` (a
    :class:`~tsenas_pymoo.threads.ThreadPolicy`) goes into each worker's environment at
    spawn, before torch loads there (torch threads and OpenMP wait policy); without it,
    Dask's default of one OpenMP thread per worker holds. On a multi-GPU machine worker k
    trains on ``cuda:k`` (modulo the GPU count), so ``n_workers = K x GPUs`` puts K
    workers on each GPU (``--workers-per-device K``). The scheduler gives up on a task
    after its worker died once; the runner retries it once more. The client owns its
    cluster: ``client.close()`` ends the worker processes too."""
    from distributed import Client

    extra = {} if policy is None else {"env": policy.env()}
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        # built by the Client (no address): closing it closes the cluster; Client(LocalCluster(...)) would leave
        # the workers running until the process ends. security=True: the scheduler and workers talk TLS with
        # temporary credentials only this process holds, so another local user cannot connect and run code in a
        # worker; everything, the HTTP status server included, on loopback only (Dask starts that server always)
        return Client(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            security=True,
            **extra,
        )
