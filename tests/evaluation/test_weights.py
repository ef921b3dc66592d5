import logging
import multiprocessing as mp

import pytest
import torch

from tsenas_pymoo import NetworkGenome, build_network
from tsenas_pymoo.evaluation.weights import WeightStore, update_from_ranked, weight_units

SHAPE = (1, 8, 8)


def net(codes, seed=0, free=None):
    torch.manual_seed(seed)
    return build_network(NetworkGenome.from_cells(codes, free), SHAPE, 10, 4)


def same(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_networks_built_twice_from_the_store_are_identical(tmp_path):
    store = WeightStore(tmp_path)
    store.write_units(net([3, 7, 3], seed=1))
    a, b = net([3, 7, 3], seed=2), net([3, 7, 3], seed=3)
    assert store.inherit(a) == 1.0 and store.inherit(b) == 1.0
    assert same(a, b) and same(a, net([3, 7, 3], seed=1))


def test_inherited_units_land_in_the_right_modules(tmp_path):
    store = WeightStore(tmp_path)
    donor = net([3, 7, 3], seed=1)
    store.write_units(donor)
    child = net([3, 7, 2], seed=2)  # cells 1, 2 and stem match; cell 3 is a new cell
    fraction = store.inherit(child)
    assert 0 < fraction < 1
    assert same(child.cells[0], donor.cells[0]) and same(child.cells[1], donor.cells[1])
    fresh = net([3, 7, 2], seed=2)
    assert same(child.cells[2], fresh.cells[2])  # nothing stored for NASNet normal: untouched


def test_trained_weights_of_other_shapes_are_treated_as_absent_and_reported_once(tmp_path, caplog):
    store = WeightStore(tmp_path)
    narrow = net([3, 7, 3], seed=1)
    state = narrow.state_dict()
    wide = build_network(NetworkGenome.from_cells([3, 7, 3]), SHAPE, 10, 8)
    before = {k: v.clone() for k, v in wide.state_dict().items()}
    with caplog.at_level(logging.WARNING):
        assert not store.load_into("g", wide, state) and not store.load_into("g", wide, state)
    assert all(torch.equal(before[k], v) for k, v in wide.state_dict().items())
    assert sum("do not fit" in r.message for r in caplog.records) == 1
    other = net([3, 7, 3], seed=2)
    assert store.load_into("g", other, state) and same(other, narrow)


def test_corrupt_store_file_is_detected_reported_once_and_rebuilt(tmp_path, caplog):
    store = WeightStore(tmp_path)
    donor = net([3, 7, 3], seed=1)
    store.write_units(donor)
    key = sorted(k for k in store.keys() if k.startswith("cell3_w4_node2_in0"))[0]  # noqa: SIM118
    path = store.unit_path(key)
    raw = bytearray(path.read_bytes())
    raw[-3] ^= 0xFF  # flip a data byte: the header still parses
    path.write_bytes(bytes(raw))
    other = store.unit_path(sorted(store.keys())[-1])
    other.write_bytes(other.read_bytes()[:20])  # truncated
    child = net([3, 7, 3], seed=2)
    with caplog.at_level(logging.WARNING):
        store.inherit(child)
        store.inherit(net([3, 7, 3], seed=2))
    assert sum("corrupt" in r.message for r in caplog.records) == 2  # once each
    assert not path.exists()
    # the corrupt unit was not loaded: cell 1's node-2 op keeps its fresh initialization
    unit = dict(weight_units(child))[key][0]
    assert same(unit, dict(weight_units(net([3, 7, 3], seed=2)))[key][0])
    update_from_ranked(store, [donor])  # the next update rebuilds it
    assert store.get(key) is not None


def test_update_walks_from_the_best_down(tmp_path):
    store = WeightStore(tmp_path)
    best, second = net([3, 7, 3], seed=1), net([3, 7, 2], seed=2)
    written = update_from_ranked(store, [best, second])
    assert len(written) == len(set(written))
    probe = net([3, 7, 2], seed=9)
    store.inherit(probe)
    assert same(probe.cells[0], best.cells[0])  # shared key: the better network's weights
    assert same(probe.cells[2], second.cells[2])  # only in the second: filled from it


def _writer(path, seed, rounds):
    store = WeightStore(path)
    for r in range(rounds):
        store.write_units(net([3, 7, 3, 5, 1], seed=seed * 100 + r))


def test_two_processes_writing_at_once_leave_every_file_loadable(tmp_path):
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), s, 6)) for s in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    store = WeightStore(tmp_path)
    assert store.keys() and not list(store.units_dir.glob(".*tmp"))
    for key in store.keys():  # noqa: SIM118 - a WeightStore, not a dict
        assert store.get(key) is not None, key


def test_a_file_replaced_while_read_is_not_deleted(tmp_path, monkeypatch):
    from safetensors import SafetensorError

    import tsenas_pymoo.evaluation.weights as weights

    store = WeightStore(tmp_path)
    a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    store.put("k", a)
    real_load = weights.load

    def replaced_meanwhile(raw):  # another process replaces the file after this one read it
        monkeypatch.setattr(weights, "load", real_load)
        store.put("k", b)
        raise SafetensorError("simulated torn read")

    monkeypatch.setattr(weights, "load", replaced_meanwhile)
    assert store.get("k") is None  # this read failed ...
    state = store.get("k")  # ... but the new, valid file is still there
    assert state is not None and torch.equal(state["weight"], b.weight)


def test_a_lock_held_too_long_is_one_clear_error(tmp_path):
    from filelock import FileLock

    store = WeightStore(tmp_path)
    store._lock.timeout = 0.2
    with FileLock(str(tmp_path / ".lock")), pytest.raises(OSError, match="lock was held by another process"):
        store.put("k", torch.nn.Linear(2, 2))
    assert not list(tmp_path.rglob("*.tmp"))
