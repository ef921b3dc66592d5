"""A tiny search on a local Dask cluster of 2 processes equals the serial run; a worker
that dies costs only its evaluation."""

import os

import pytest
import torch
from pymoo.optimize import minimize

from tsenas_pymoo import TSENAS, NetworkGenome, TorchEvaluator, TSENASProblem
from tsenas_pymoo.evaluation.distributed import DaskRunner, local_client


@pytest.fixture(scope="module")
def client():
    c = local_client(2)
    yield c
    c.close()


def test_closing_the_local_client_ends_its_worker_processes():
    import time

    c = local_client(1)
    pids = list(c.run(os.getpid).values())
    c.close()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pids and not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def run(digits_small, tmp_path, runner=None):
    ev = TorchEvaluator(
        digits_small,
        epochs=1,
        init_channels=4,
        device="cpu",
        store=tmp_path / "store",
        archive=tmp_path / "archive.sqlite",
    )
    extra = {} if runner is None else {"elementwise_runner": runner}
    problem = TSENASProblem(ev, n_min=2, n_max=4, **extra)
    res = minimize(problem, TSENAS(pop_size=4, fine_size=2, stage1_gens=2, stage2_gens=1), seed=0)
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

    def train_genome(self, genome, epochs=None, parents=None, key=None):
        if genome.key() == self.doomed and os.environ.get("DASK_WORKER_NAME", "x") != "driver":
            os._exit(1)
        return super().train_genome(genome, epochs, parents, key)


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


def test_worker_device_spreads_k_workers_per_gpu():
    from tsenas_pymoo.evaluation.distributed import device_count, worker_device

    assert [worker_device("cuda", k, 2) for k in range(4)] == ["cuda:0", "cuda:1", "cuda:0", "cuda:1"]
    assert worker_device("cuda", "tcp://a:1", 2) == "cuda:0"  # a worker that is not one of ours
    assert worker_device("cuda:1", 0, 4) == "cuda:1"  # an explicit GPU stays
    assert worker_device("cpu", 3, 0) == "cpu"
    assert device_count("cpu") == 1 and device_count("cuda:1") == 1


def test_workers_per_device_runs_k_processes_on_cpu(digits_small, tmp_path, monkeypatch):
    import json

    from tsenas_pymoo.config import SearchConfig
    from tsenas_pymoo.run import SearchRun

    monkeypatch.setattr("tsenas_pymoo.evaluation.data.load_dataset", lambda *a, **k: digits_small)
    config = SearchConfig(
        device="cpu",
        workers_per_device=2,
        pop_size=4,
        fine_size=2,
        stage1_gens=2,
        stage2_gens=1,
        epochs=1,
        init_channels=4,
        supernet_epochs=0,
        final_epochs=1,
        n_min=2,
        n_max=3,
    )
    summary = SearchRun(tmp_path / "run", config, progress=False).run()
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["workers_per_device"] == 2
    assert saved["thread_policy"]["workers"]["processes"] == 2
    assert summary["best_val_accuracy"] > 0.3


@pytest.mark.parametrize("other", [{"workers": 2}, {"scheduler": "tcp://x:1"}])
def test_workers_per_device_excludes_other_cluster_options(other):
    from tsenas_pymoo.config import SearchConfig

    with pytest.raises(ValueError, match="workers_per_device=2; rule: give one of"):
        SearchConfig(workers_per_device=2, **other).validate()
