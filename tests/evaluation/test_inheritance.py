"""The inheritance service: living trained networks in memory give exactly what the
store's folder gives, and each is read from the folder at most once."""

from collections import Counter

from pymoo.optimize import minimize

from tsenas_pymoo import TSENAS, TSENASProblem
from tsenas_pymoo.evaluation import TorchEvaluator
from tsenas_pymoo.evaluation.inheritance import Inheritance
from tsenas_pymoo.evaluation.weights import WeightStore

LOAD_TRAINED = WeightStore.load_trained


def search(digits_small, folder, monkeypatch, in_memory: bool):
    reads = Counter()
    load = LOAD_TRAINED

    def counted(store, key):
        reads[key] += 1
        return load(store, key)

    monkeypatch.setattr(WeightStore, "load_trained", counted)
    ev = TorchEvaluator(
        digits_small, epochs=1, init_channels=4, device="cpu", store=folder / "store", archive=folder / "archive.sqlite"
    )
    ev.inheriting.in_memory = in_memory
    problem = TSENASProblem(ev, n_min=2, n_max=4)
    minimize(problem, TSENAS(pop_size=4, fine_size=2, stage1_gens=3, stage2_gens=2), seed=0)
    records = sorted((r["key"], r["accuracy"], r["sources"]["parent"]) for r in ev.archive.records())
    return records, reads, ev


def test_networks_in_memory_give_the_results_the_folder_gives(digits_small, tmp_path, monkeypatch):
    kept, reads_kept, ev = search(digits_small, tmp_path / "memory", monkeypatch, in_memory=True)
    read, reads_read, _ = search(digits_small, tmp_path / "folder", monkeypatch, in_memory=False)
    assert kept == read and len(kept) > 12
    assert any(share > 0 for _, _, share in kept)  # children did inherit from parents
    assert max(reads_kept.values(), default=0) <= 1 < max(reads_read.values())
    assert set(ev.inheriting.living) <= {k for k, *_ in kept}  # only what lives stays in memory
    assert len(ev.inheriting.living) <= 4


def test_a_worker_copy_keeps_nothing_in_memory_and_has_no_notes(tmp_path):
    store = WeightStore(tmp_path / "store")
    inheriting = Inheritance("lineage", store)
    inheriting.lineage.parents["x"] = ()
    worker = inheriting.worker_copy()
    assert worker.in_memory is False and worker.lineage.parents == {} and worker.store is store
    assert Inheritance("none", store).store is None


def test_memory_holds_at_most_its_bound_oldest_out_first(tmp_path, monkeypatch):
    from torch import nn

    from tsenas_pymoo.evaluation import inheritance

    monkeypatch.setattr(inheritance, "MAX_IN_MEMORY", 3)
    service = Inheritance("lineage", WeightStore(tmp_path / "store"))
    for k in "abcde":
        service.keep(k, nn.Linear(2, 2))
    assert list(service.living) == ["c", "d", "e"]
    saved = {p.name for p in (tmp_path / "store" / "trained").glob("*.safetensors")}
    assert saved == {service.store.trained_path(k).name for k in "abcde"}  # the folder keeps them all
