import time

import numpy as np
import pytest
import torch
from pymoo.algorithms.soo.nonconvex.ga import GA
from pymoo.optimize import minimize

from tsenas_pymoo import (
    CellCrossover,
    CellMutation,
    GenomeDuplicateElimination,
    NetworkGenome,
    TSENASProblem,
    TSENASSampling,
)
from tsenas_pymoo.evaluation import Archive, TorchEvaluator
from tsenas_pymoo.evaluation.supernet import SuperNet
from tsenas_pymoo.evaluation.weights import weight_units
from tsenas_pymoo.space.genome import readable
from tsenas_pymoo.space.network import build_network

G = NetworkGenome.from_cells([3, 7, 3])


def make(digits, tmp_path, **kw):
    kw = {
        "epochs": 2,
        "init_channels": 4,
        "device": "cpu",
        "store": tmp_path / "store",
        "archive": tmp_path / "archive.sqlite",
        **kw,
    }
    return TorchEvaluator(digits, **kw)


def test_evaluator_reports_every_field(digits, tmp_path):
    r = make(digits, tmp_path)(G)
    assert set(r) >= {"accuracy", "params", "flops", "seconds", "epochs", "inherited_fraction", "status"}
    assert r["status"] == "ok" and r["accuracy"] > 0.3 and r["epochs"] == 2 and r["inherited_fraction"] == 0.0
    assert r["params"] == sum(p.numel() for p in build_network(G, (1, 8, 8), 10, 4).parameters())


def test_each_network_trained_is_one_info_line_by_its_cells(digits, tmp_path, caplog):
    import logging

    ev = make(digits, tmp_path, epochs=1)
    with caplog.at_level(logging.INFO, logger="tsenas_pymoo.evaluation"):
        first = ev(G)
        ev(G)  # answered by the archive: not trained, no line
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("trained ")]
    assert lines == [f"trained {readable(G)}: accuracy {first['accuracy']:.4f}, {first['seconds']:.1f} s, ok"]


def test_same_genome_seed_and_store_same_accuracy(digits, tmp_path):
    a = make(digits, tmp_path / "a", archive=None).train_genome(G)
    b = make(digits, tmp_path / "b", archive=None).train_genome(G)
    assert a["accuracy"] == b["accuracy"]


def test_archived_genome_is_not_retrained(digits, tmp_path, monkeypatch):
    ev = make(digits, tmp_path)
    first = ev(G)
    calls = []
    monkeypatch.setattr(ev, "train_genome", lambda g: calls.append(g))
    start = time.perf_counter()
    again = ev(G)
    assert time.perf_counter() - start < 0.05
    assert calls == [] and again["archived"] and again["accuracy"] == first["accuracy"]
    # a new evaluator on the same run directory answers from the archive too
    ev2 = make(digits, tmp_path)
    monkeypatch.setattr(ev2, "train_genome", lambda g: calls.append(g))
    assert ev2(G)["accuracy"] == first["accuracy"] and calls == []


def test_forced_nan_gives_accuracy_zero_and_is_recorded(digits, tmp_path):
    ev = make(digits, tmp_path, lr=1e30)
    r = ev(G)
    assert r["accuracy"] == 0.0 and r["status"] == "nan" and "loss became" in r["reason"]
    rec = Archive(tmp_path / "archive.sqlite").get(G.key())
    assert rec["status"] == "nan" and rec["accuracy"] == 0.0


def _supernet_store(digits, tmp_path, **kwargs):
    from tsenas_pymoo.evaluation.trainer import train_model
    from tsenas_pymoo.evaluation.weights import WeightStore

    torch.manual_seed(0)
    net = SuperNet(digits.input_shape, 10, 4, **kwargs)
    train_model(net, digits.train_x, digits.train_y, epochs=2, device="cpu")
    store = WeightStore(tmp_path)
    return net, store, net.export(store)


def _missing_units(store, input_shape, n=60):
    from tsenas_pymoo.operators.sampling import sample_genome

    rng = np.random.default_rng(0)
    missing = set()
    for _ in range(n):
        model = build_network(sample_genome(rng, 3, 8, input_shape), input_shape, 10, 4)
        missing |= {key for key in weight_units(model) if key not in store}
    return missing


def test_covering_supernet_trains_every_unit_of_decoded_networks(digits, tmp_path):
    _, store, _ = _supernet_store(digits, tmp_path)
    # everything but the classifiers of networks with fewer reductions than the most
    assert {k for k in _missing_units(store, digits.input_shape) if not k.startswith("classifier")} == set()


def test_supernet_without_cover_misses_free_input_adapters(digits, tmp_path):
    _, store, _keys = _supernet_store(digits, tmp_path, cover=False)
    missing = _missing_units(store, digits.input_shape)
    assert missing and all("_pre0_" in k or k.startswith("classifier") for k in missing)


def test_untrained_units_are_not_exported(digits, tmp_path):
    from tsenas_pymoo.evaluation.weights import WeightStore

    net = SuperNet(digits.input_shape, 10, 4, mode="single-path", n_reductions=1)
    net.train()
    with torch.no_grad():
        net(digits.train_x[:8])  # one step: one candidate per slot, one adapter per cell
    keys = net.export(WeightStore(tmp_path))
    assert set(keys) == set(net.trained_units())
    ran = {(j, code) for kind, j, code, *_ in net.used if kind == "cell"}
    assert len(ran) == len(net.slots)  # one candidate per slot ran ...
    for j, slot in enumerate(net.slots):
        for code in slot:
            ops = [k for k in keys if k.startswith(f"cell{code}_w{slot[code].channels}_node")]
            assert bool(ops) == ((j, code) in ran)  # ... and only its units were exported


def test_supernet_training_then_inheritance(digits, tmp_path):
    ev = make(digits, tmp_path, epochs=1)
    info = ev.train_supernet(epochs=1)
    assert info["status"] == "ok" and info["units"] > 50
    r = ev(NetworkGenome.from_cells([1, 5, 2, 6, 3]))
    assert r["inherited_fraction"] > 0.8


def test_update_store_writes_from_population(digits, tmp_path):
    ev = make(digits, tmp_path, epochs=1)
    other = NetworkGenome.from_cells([2, 8, 4])
    pop = [(g, ev(g)["accuracy"]) for g in (G, other)]
    written = ev.update_store(pop)
    assert any(k.startswith("cell8_") for k in written) and any(k.startswith("cell7_") for k in written)
    assert ev(NetworkGenome.from_cells([3, 8, 4]))["inherited_fraction"] > 0.8


def test_real_minimize_run_with_torch_evaluator(digits, tmp_path):
    ev = make(digits, tmp_path, epochs=1)
    problem = TSENASProblem(ev, n_min=2, n_max=4, input_shape=digits.input_shape, init_channels=4)
    algorithm = GA(
        pop_size=4,
        sampling=TSENASSampling(),
        crossover=CellCrossover(),
        mutation=CellMutation(),
        eliminate_duplicates=GenomeDuplicateElimination(problem.decode),
    )
    res = minimize(problem, algorithm, ("n_gen", 2), seed=0)
    assert 0.1 < 1 - res.F[0] <= 1 and len(ev.archive) == ev.trained >= 4
    assert np.all(np.isfinite(res.pop.get("flops")))
    assert {r["generation"] for r in ev.archive.records()} == {1, 2}  # the archive knows the generation


def test_evaluator_is_shared_not_copied_by_deepcopy(digits, tmp_path):
    import copy

    ev = make(digits, tmp_path)
    assert copy.deepcopy(ev) is ev


def test_bad_settings(digits, tmp_path):
    with pytest.raises(ValueError, match="epochs=0"):
        make(digits, tmp_path, epochs=0)
    assert make(digits, tmp_path, store=None).update_store([(NetworkGenome.from_cells([3, 7, 3]), 0.9)]) == []


@pytest.mark.parametrize("mode", ["mean", "single-path"])
def test_supernet_modes_train(digits, mode):
    from tsenas_pymoo.evaluation.trainer import train_model

    torch.manual_seed(0)
    net = (
        SuperNet(digits.input_shape, 10, 8, mode=mode)
        if mode == "mean"
        else SuperNet(digits.input_shape, 10, 4, mode=mode, n_reductions=1)
    )
    result = train_model(net, digits.train_x, digits.train_y, epochs=3, device="cpu")
    assert result.ok
    if mode == "mean":
        assert result.losses[-1] < 0.5 * result.losses[0]
    with pytest.raises(ValueError, match="mode="):
        SuperNet(digits.input_shape, 10, 4, mode="both")


def test_failed_supernet_stops_before_exporting_anything(digits, tmp_path):
    ev = make(digits, tmp_path, lr=1e12)
    with pytest.raises(ValueError, match=r"SuperNet training ended with status nan.*nothing was exported"):
        ev.train_supernet(epochs=3)
    assert ev.store.keys() == []


@pytest.mark.parametrize(
    "error, status", [(RuntimeError("boom"), "failed"), (torch.cuda.OutOfMemoryError("injected"), "oom")]
)
def test_an_evaluation_that_raises_is_recorded_and_retried_later(digits, tmp_path, monkeypatch, error, status):
    ev = make(digits, tmp_path, epochs=1)
    real = ev.train_genome

    def faulty(genome, *args, **kwargs):
        raise error

    monkeypatch.setattr(ev, "train_genome", faulty)
    r = ev(G)
    assert r["status"] == status and r["accuracy"] == 0.0 and type(error).__name__ in r["reason"]
    assert ev.archive.get(G.key())["status"] == status
    monkeypatch.setattr(ev, "train_genome", real)
    again = ev(G)  # not answered from the archive: trained again, and the row replaced
    assert again["status"] == "ok" and again["archived"] is False
    assert ev.archive.get(G.key())["status"] == "ok"


def test_a_pickled_evaluator_keeps_its_archive_and_a_worker_copy_has_none(digits, tmp_path):
    import pickle

    ev = make(digits, tmp_path, epochs=1)
    clone = pickle.loads(pickle.dumps(ev))  # as pymoo's StarmapParallelization ships it
    assert clone.archive is not None and clone.archive.path == ev.archive.path
    clone(G)
    assert ev.archive.get(G.key()) is not None  # what the other process trained is archived
    ev.note_parents({G.key(): [G]})
    worker = ev.worker_copy()
    assert worker.archive is None and worker.plan(G) == {"parents": (), "eval_key": G.key()}
    assert ev.archive is not None and ev.plan(G)["parents"] == (G,)  # the driver keeps its notes


def test_the_archive_records_each_networks_parents_and_test_scores_stay_out_of_it(digits, tmp_path):
    child = NetworkGenome.from_cells([3, 7, 7])
    ev = make(digits, tmp_path, epochs=1, score_test=True)
    parent = ev(G)
    assert 0.0 < parent["test_accuracy"] <= 1.0
    ev.note_parents({child.key(): [G]})
    ev(child)
    archived = ev.archive.get(child.key())
    assert archived["parents"] == [G.key()] and ev.archive.get(G.key())["parents"] == []
    assert "test_accuracy" not in archived
    # a search's evaluator scores no test images
    assert "test_accuracy" not in make(digits, tmp_path / "plain", epochs=1, archive=None).train_genome(G)


def test_test_accuracy_is_the_trained_models_score_on_the_test_images(digits, tmp_path, monkeypatch):
    ev = make(digits, tmp_path, epochs=1, archive=None, score_test=True)
    seen = []
    original = ev.test_accuracy
    monkeypatch.setattr(ev, "test_accuracy", lambda model: seen.append(model) or original(model))
    result = ev.train_genome(G)
    (model,) = seen
    # the model scored on test is the trained one: the state saved for its children
    saved = ev.store.load_trained(G.key())
    assert all(torch.equal(saved[k], v) for k, v in model.state_dict().items())
    assert result["test_accuracy"] == original(model)
