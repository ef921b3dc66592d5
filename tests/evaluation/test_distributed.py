"""A tiny search on a local Dask cluster of 2 processes equals the serial run; a worker
that dies costs only its evaluation."""

import os

import pytest
import torch
from pymoo.optimize import minimize

from tsenas_pymoo import TSENAS, NetworkGenome, TSENASProblem, TorchEvaluator
from tsenas_pymoo.evaluation.distributed import DaskRunner, local_client


@pytest.fixture(scope="module")
def client():
    c = local_client(2)
    yield c
    c.close()


def run(digits_small, tmp_path, runner=None):
    ev = TorchEvaluator(digits_small, epochs=1, init_channels=4, device="cpu", store=tmp_path / "store",
                        archive=tmp_path / "archive.sqlite")
    extra = {} if runner is None else {"elementwise_runner": runner}
    problem = TSENASProblem(ev, n_min=2, n_max=4, **extra)
    res = minimize(problem, TSENAS(pop_size=4, n_fine=2, stage1_gens=2, stage2_gens=1), seed=0)
    return res, ev


def test_dask_search_equals_serial(digits_small, tmp_path, client):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the workers train single-threaded; CPU sums depend on it
    try:
        serial, ev_serial = run(digits_small, tmp_path / "serial")
    finally:
        torch.set_num_threads(threads)
    dask_res, ev_dask = run(digits_small, tmp_path / "dask", DaskRunner(client))
    assert dask_res.X.tolist() == serial.X.tolist() and dask_res.F.tolist() == serial.F.tolist()
    rows = {r["key"]: r["accuracy"] for r in ev_serial.archive.records()}
    assert {r["key"]: r["accuracy"] for r in ev_dask.archive.records()} == rows
    assert ev_dask.trained == len(rows)  # the driver wrote every row
    sources = {r["key"]: r["sources"] for r in ev_serial.archive.records()}
    assert {r["key"]: r["sources"] for r in ev_dask.archive.records()} == sources  # the same lineage
    assert any(s["parent"] > 0 for s in sources.values())  # offspring started from their parents' weights


class DyingEvaluator(TorchEvaluator):
    """Kills its worker process when asked to train one particular genome."""

    doomed = NetworkGenome.from_cells([3, 7]).key()

    def train_genome(self, genome, epochs=None, parents=None):
        if genome.key() == self.doomed and os.environ.get("DASK_WORKER_NAME", "x") != "driver":
            os._exit(1)
        return super().train_genome(genome, epochs, parents)


def test_dead_worker_costs_only_its_evaluation(digits_small, tmp_path, client):
    ev = DyingEvaluator(digits_small, epochs=1, init_channels=4, device="cpu", archive=tmp_path / "a.sqlite")
    problem = TSENASProblem(ev, n_min=2, n_max=3, elementwise_runner=DaskRunner(client))
    genomes = [NetworkGenome.from_cells([3, 7]), NetworkGenome.from_cells([2, 6])]
    import numpy as np
    out = problem.evaluate(np.array([g.to_vector(3) for g in genomes]), return_as_dictionary=True)
    assert out["accuracy"][0] == 0.0 and out["accuracy"][1] > 0.1
    assert ev.archive.get(genomes[0].key())["status"] == "failed"
    assert ev.lookup(genomes[0]) is None and ev.lookup(genomes[1]) is not None  # a resume retries the failed one
    client.wait_for_workers(2, timeout=60)  # the nanny restarts the worker


def test_pymoos_dask_parallelization_is_accepted_and_the_driver_archives(digits_small, tmp_path, client):
    import numpy as np
    from pymoo.parallelization.dask import DaskParallelization

    ev = TorchEvaluator(digits_small, epochs=1, init_channels=4, device="cpu", archive=tmp_path / "a.sqlite")
    problem = TSENASProblem(ev, n_min=2, n_max=3, elementwise_runner=DaskParallelization(client))
    genomes = [NetworkGenome.from_cells([3, 7]), NetworkGenome.from_cells([2, 6])]
    out = problem.evaluate(np.array([g.to_vector(3) for g in genomes]), return_as_dictionary=True)
    assert np.all(out["accuracy"] > 0.1)
    assert isinstance(problem.elementwise_runner, DaskRunner) and len(ev.archive) == 2


def test_thread_policy_reaches_the_worker_processes():
    from tsenas_pymoo.threads import ThreadPolicy

    policy = ThreadPolicy(threads=2, wait="passive", cores=2, processes=2, busy_cores=1.0, reason="test")
    c = local_client(2, policy)
    try:
        def read_back():
            import os

            import torch

            return os.environ.get("OMP_WAIT_POLICY"), os.environ.get("OMP_NUM_THREADS"), torch.get_num_threads()

        seen = c.run(read_back)
        assert len(seen) == 2 and set(seen.values()) == {("PASSIVE", "2", 2)}  # Dask's own default is 1 thread
    finally:
        c.close()
