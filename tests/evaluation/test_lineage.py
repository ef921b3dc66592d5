"""Lineage inheritance: a child carries exactly its parents' trained tensors where it
shares a unit with them, and nothing where it was changed."""

import numpy as np
import pytest
import torch
from pymoo.optimize import minimize

from tsenas_pymoo import TSENAS, NetworkGenome, TSENASProblem
from tsenas_pymoo.config import SearchConfig
from tsenas_pymoo.evaluation import TorchEvaluator
from tsenas_pymoo.evaluation.lineage import WarmStart, default_warm_counts
from tsenas_pymoo.operators.crossover import cross_cells
from tsenas_pymoo.operators.fine import mutate_fine, prune_fine
from tsenas_pymoo.operators.mutation import mutate_cells, mutate_connections
from tsenas_pymoo.operators.sampling import sample_genome

SHAPE = (1, 16, 16)


def evaluator(digits, tmp_path, **kw):
    return TorchEvaluator(digits, epochs=1, init_channels=4, device="cpu", store=tmp_path / "store", **kw)


def trained_parent(ev, genome, seed):
    """A parent with a distinctive 'trained' state, saved as the lineage keeps it."""
    model = ev.build(genome, seed=seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p))
    ev.store.save_trained(genome.key(), model)
    return model


def same(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return set(sa) == set(sb) and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_crossover_child_cells_carry_the_parent_cell_they_came_from(digits, tmp_path):
    ev = evaluator(digits, tmp_path)
    rng = np.random.default_rng(1)
    checked = 0
    for trial in range(12):
        a, b = (sample_genome(rng, 3, 6, digits.input_shape) for _ in range(2))
        if a.key() == b.key():
            continue
        models = {a.key(): trained_parent(ev, a, 2 * trial), b.key(): trained_parent(ev, b, 2 * trial + 1)}
        for child in cross_cells(a, b, rng):
            owner = a if child.free_inputs == a.free_inputs and child.n_cells == a.n_cells else b
            other = b if owner is a else a
            model = ev.build(child)
            shares = ev.inherit(model, [a, b])
            assert shares["parent"] > 0  # cells moved to another width have no parent source
            kind_rank = {}
            for i, code in enumerate(child.codes):
                kind = code in (5, 6, 7, 8)
                rank = kind_rank[kind] = kind_rank.get(kind, -1) + 1
                if owner.codes[i] == code:
                    source = models[owner.key()].cells[i]
                else:  # swapped in: the other parent's cell of the same type and rank
                    k = [j for j, c in enumerate(other.codes) if (c in (5, 6, 7, 8)) == kind][rank]
                    assert other.codes[k] == code
                    source = models[other.key()].cells[k]
                mine = model.cells[i]
                if source.channels == mine.channels:
                    assert all(same(mine.edges[n], source.edges[n]) for n in mine.edges)
                    assert same(mine.preprocess1, source.preprocess1)
                    checked += 1
    assert checked > 20


def test_mutated_cell_and_connection_are_not_inherited(digits, tmp_path):
    ev = evaluator(digits, tmp_path)
    rng = np.random.default_rng(3)
    parent = NetworkGenome.from_cells([1, 5, 2, 6, 3])
    pmodel = trained_parent(ev, parent, 0)
    for _ in range(5):
        child = mutate_cells(parent, rng, prob_var=0.0)  # exactly one point
        changed = [i for i in range(5) if child.codes[i] != parent.codes[i]]
        model = ev.build(child)
        fresh = ev.build(child)  # the same seeded initialization, nothing inherited
        ev.inherit(model, [parent])
        for i in range(5):
            weighted = [n for n in model.cells[i].edges if any(True for _ in model.cells[i].edges[n].parameters())]
            expected = fresh.cells[i] if i in changed else pmodel.cells[i]
            assert all(same(model.cells[i].edges[n], expected.edges[n]) for n in weighted), (i, changed)
    # all normal cells: every free input has the same shape, so only the rule keeps the
    # mutated connection's adapter from being inherited
    parent = NetworkGenome.from_cells([1, 2, 3, 4, 1])
    pmodel = trained_parent(ev, parent, 1)
    child = mutate_connections(parent, rng, prob_var=0.0)
    i = next(i for i in range(5) if child.free_inputs[i] != parent.free_inputs[i])
    model, fresh = ev.build(child), ev.build(child)
    ev.inherit(model, [parent])
    assert model.cells[i].preprocess0.op[1].weight.shape == pmodel.cells[i].preprocess0.op[1].weight.shape
    assert same(model.cells[i].preprocess0, fresh.cells[i].preprocess0)  # the mutated connection is new
    assert same(model.cells[i].preprocess1, pmodel.cells[i].preprocess1)
    assert all(same(model.cells[j].preprocess0, pmodel.cells[j].preprocess0) for j in range(5) if j != i)
    assert same(model.stem, pmodel.stem) and same(model.classifier, pmodel.classifier)


@pytest.mark.parametrize("edit", ["mutate", "prune"])
def test_stage2_child_equals_parent_except_the_edited_parts(digits, tmp_path, edit):
    ev = evaluator(digits, tmp_path)
    rng = np.random.default_rng(5)
    parent = NetworkGenome.from_cells([1, 5, 2, 6]).expand()
    pmodel = trained_parent(ev, parent, 0)
    for _ in range(4):
        child = mutate_fine(parent, rng) if edit == "mutate" else prune_fine(parent, rng)
        model, fresh = ev.build(child), ev.build(child)
        shares = ev.inherit(model, [parent])
        assert shares["parent"] > 0.3 and shares["store"] == 0.0
        for mine, theirs, new in zip(model.cells, pmodel.cells, fresh.cells):
            assert same(mine.preprocess0, theirs.preprocess0) and same(mine.preprocess1, theirs.preprocess1)
            for name, module in mine.edges.items():
                node_id, slot = int(name[4 : name.index("_")]), int(name[-1])
                kept = (
                    name in theirs.edges
                    and mine.cell.node(node_id)[slot] == theirs.cell.node(node_id)[slot]
                    and mine.cell.node(node_id)[2 + slot] == theirs.cell.node(node_id)[2 + slot]
                )
                assert same(module, theirs.edges[name] if kept else new.edges[name]), name


def test_sources_fall_back_to_store_then_fresh_and_are_recorded(digits, tmp_path):
    ev = evaluator(digits, tmp_path, archive=tmp_path / "a.sqlite")
    parent = NetworkGenome.from_cells([1, 5, 2])
    trained_parent(ev, parent, 0)
    ev.note_parents({NetworkGenome.from_cells([1, 5, 3]).key(): [parent]})
    r = ev(NetworkGenome.from_cells([1, 5, 3]))
    assert r["sources"]["parent"] > 0.5 and r["sources"]["store"] == 0.0
    assert abs(sum(r["sources"].values()) - 1) < 1e-9
    assert ev.archive.get(NetworkGenome.from_cells([1, 5, 3]).key())["sources"] == r["sources"]
    store_only = evaluator(digits, tmp_path, inheritance="store")
    assert store_only.inherit(store_only.build(NetworkGenome.from_cells([1, 5, 3])), [parent])["parent"] == 0.0
    assert evaluator(digits, tmp_path, inheritance="none").store is None
    with pytest.raises(ValueError, match="inheritance="):
        evaluator(digits, tmp_path, inheritance="both")


def test_warm_start_schedule_applies_to_inherited_networks_only(digits, tmp_path):
    ev = evaluator(digits, tmp_path, warm_start=WarmStart(lr_scale=0.3, warmup=0.1))
    parent = NetworkGenome.from_cells([1, 5, 2])
    assert ev.train_genome(parent)["lr"] == pytest.approx(0.1)  # nothing to inherit: the normal schedule
    r = ev.train_genome(NetworkGenome.from_cells([1, 5, 3]), parents=[parent])
    assert r["lr"] == pytest.approx(0.03) and r["warmup"] == 0.1 and r["sources"]["parent"] > 0.5
    with pytest.raises(ValueError, match="lr_scale"):
        WarmStart(lr_scale=0)


def test_warm_start_counting_parents_only_leaves_a_supernet_start_on_the_full_schedule(digits, tmp_path):
    first, child, parent = (NetworkGenome.from_cells(c) for c in ([1, 5, 3], [1, 5, 4], [1, 5, 2]))
    runs = {}
    for counts in ("inherited", "parents"):
        ev = evaluator(digits, tmp_path / counts, warm_start=WarmStart(lr_scale=0.3, warmup=0.1, counts=counts))
        ev.train_supernet(epochs=1)
        trained_parent(ev, parent, 0)
        runs[counts] = (ev.train_genome(first, parents=()), ev.train_genome(child, parents=[parent]))
    (store_start, _), (cold_start, _) = runs["inherited"], runs["parents"]
    assert store_start["sources"] == cold_start["sources"] and store_start["sources"]["store"] >= 0.5
    assert store_start["lr"] == pytest.approx(0.03) and cold_start["lr"] == pytest.approx(0.1)
    assert cold_start["warmup"] == 0.0
    for _, with_parent in runs.values():  # a child of a trained parent warm-starts under both
        assert with_parent["lr"] == pytest.approx(0.03) and with_parent["sources"]["parent"] >= 0.5
    with pytest.raises(ValueError, match="counts"):
        WarmStart(counts="store")


def test_default_warm_start_counts_parents_under_lineage_and_everything_under_store(digits, tmp_path):
    """0.6.0: a SuperNet start trains on scratch's schedule under lineage (the search's
    default); the store keeps 0.5.0's counting. Both entry points choose alike."""
    first = NetworkGenome.from_cells([1, 5, 3])
    lrs = {}
    for mode in ("lineage", "store"):
        ev = evaluator(digits, tmp_path / mode, inheritance=mode)
        assert ev.warm_start.counts == default_warm_counts(mode) == SearchConfig(inheritance=mode).warm_start().counts
        ev.train_supernet(epochs=1)
        lrs[mode] = ev.train_genome(first, parents=())["lr"]
    assert lrs == {"lineage": pytest.approx(0.1), "store": pytest.approx(0.03)}
    assert SearchConfig().warm_start().counts == "parents"
    assert SearchConfig(inherit_warm_counts="inherited").warm_start().counts == "inherited"


def test_store_of_trained_states_stays_bounded_by_the_population(digits_small, tmp_path):
    ev = TorchEvaluator(
        digits_small,
        epochs=1,
        init_channels=4,
        device="cpu",
        store=tmp_path / "store",
        archive=tmp_path / "archive.sqlite",
    )
    problem = TSENASProblem(ev, n_min=2, n_max=4)
    minimize(problem, TSENAS(pop_size=4, fine_size=2, stage1_gens=6, stage2_gens=2), seed=0)
    assert ev.trained > 12
    assert len(list((tmp_path / "store" / "trained").glob("*.safetensors"))) <= 4
    shares = [r["sources"]["parent"] for r in ev.archive.records() if r["generation"] > 1]
    # every offspring, not one: each took part of its parents' trained state (what it trains
    # from is checked tensor by tensor in test_training_starts_from_the_parents_saved_tensors)
    assert len(shares) >= 20 and min(shares) > 0, shares


def test_s_evaluated_again_continues_from_its_own_state(digits, tmp_path):
    """Alg. 4 line 7 with lineage: s trains on from its own state under a new key (its
    own row, seed and state file); p1 still inherits the state s had; the winner's new
    state becomes s's state at selection."""
    ev = evaluator(digits, tmp_path, archive=tmp_path / "a.sqlite")
    s = NetworkGenome.from_cells([1, 5, 2]).expand()
    ev.note_parents({s.key(): [s]})
    first = ev(s)
    before = ev.store.load_trained(s.key())
    ev.retain([s])
    p1 = mutate_fine(s, np.random.default_rng(0))
    ev.note_parents({s.key(): [s], p1.key(): [s]})
    ev.note_repeats({s.key(): 7})
    again = ev(s)
    assert not again["archived"] and again["sources"]["parent"] == pytest.approx(1.0)
    assert ev.archive.get(f"{s.key()}@7")["accuracy"] == again["accuracy"]
    assert ev.archive.get(s.key())["accuracy"] == first["accuracy"]  # the first row stays
    assert all(torch.equal(before[k], v) for k, v in ev.store.load_trained(s.key()).items())  # not yet replaced
    model = ev.build(p1)
    ev.inherit(model, [s])
    assert torch.equal(model.stem[0].weight, before["stem.0.weight"])  # p1 inherits what s had
    assert ev.lookup(s)["accuracy"] == again["accuracy"]  # a resumed run is answered from the archive
    new_state = ev.store.load_trained(f"{s.key()}@7")
    ev.retain([s])
    kept = ev.store.load_trained(s.key())
    assert all(torch.equal(new_state[k], kept[k]) for k in kept) and not torch.equal(
        kept["stem.0.weight"], before["stem.0.weight"]
    )
    assert ev.lookup(s)["accuracy"] == first["accuracy"]  # the note is done with


def test_s_evaluated_again_without_inheritance_uses_a_new_seed(digits, tmp_path, monkeypatch):
    import tsenas_pymoo.evaluation.evaluator as module

    seen = []
    real = module.train_model

    def spy(model, *args, **kwargs):
        seen.append((model.stem[0].weight.detach().clone(), kwargs["seed"]))
        return real(model, *args, **kwargs)

    monkeypatch.setattr(module, "train_model", spy)
    ev = evaluator(digits, tmp_path, inheritance="none")
    s = NetworkGenome.from_cells([1, 5, 2]).expand()
    ev.train_genome(s)
    ev.note_repeats({s.key(): 3})
    again = ev.train_genome(s)
    assert again["sources"]["fresh"] == 1.0
    (w0, seed0), (w1, seed1) = seen
    assert seed0 == module.genome_seed(0, s.key()) and seed1 == module.genome_seed(0, f"{s.key()}@3")
    assert not torch.equal(w0, w1)  # another initialization too


def _starting_states(monkeypatch):
    """Capture the state every training starts from (what train_model receives)."""
    import tsenas_pymoo.evaluation.evaluator as evaluator_module

    real, starts = evaluator_module.train_model, []

    def capture(model, *args, **kwargs):
        starts.append({k: v.detach().clone() for k, v in model.state_dict().items()})
        return real(model, *args, **kwargs)

    monkeypatch.setattr(evaluator_module, "train_model", capture)
    return starts


def _parent_share_at_start(start: dict, parent_state: dict) -> float:
    """The share of the parameters whose starting tensor is the parent's saved tensor."""
    total = sum(v.numel() for k, v in start.items() if v.is_floating_point() and "running" not in k)
    equal = sum(
        v.numel()
        for k, v in start.items()
        if v.is_floating_point()
        and "running" not in k
        and k in parent_state
        and parent_state[k].shape == v.shape
        and torch.equal(parent_state[k], v)
    )
    return equal / total


def test_training_starts_from_the_parents_saved_tensors(digits, tmp_path, monkeypatch):
    """Fails when a child reported as inherited trains from anything else (a fresh model,
    the store, another parent): the state training starts from is compared, tensor by
    tensor, with what the parent's training saved."""
    ev = evaluator(digits, tmp_path)
    parent = NetworkGenome.from_cells([1, 5, 2, 6]).expand()
    ev.train_genome(parent)  # a real training; its state is saved under the parent's key
    saved = ev.store.load_trained(parent.key())
    starts = _starting_states(monkeypatch)
    rng = np.random.default_rng(11)
    child = prune_fine(mutate_fine(parent, rng), rng)  # both kinds of edit
    ev.note_parents({child.key(): [parent]})
    result = ev(child)
    reported = result["sources"]["parent"]
    assert reported > 0.3 and len(starts) == 1
    assert _parent_share_at_start(starts[0], saved) == pytest.approx(reported, abs=0.02)
