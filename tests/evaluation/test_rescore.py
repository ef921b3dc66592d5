"""Re-scoring the final candidates: from fresh weights, R seeds each, best mean wins."""

import torch

from tsenas_pymoo import NetworkGenome
from tsenas_pymoo.evaluation.archive import Archive
from tsenas_pymoo.evaluation.evaluator import TorchEvaluator
from tsenas_pymoo.evaluation.rescore import rescore, rescore_key
from tsenas_pymoo.space.network import build_network


def _evaluator(digits, tmp_path):
    torch.set_num_threads(1)
    return TorchEvaluator(digits, epochs=1, init_channels=4, batch_size=64, store=tmp_path / "store", device="cpu")


def test_rescore_trains_each_candidate_from_fresh_weights_and_picks_the_best_mean(digits, tmp_path):
    evaluator = _evaluator(digits, tmp_path)
    good, bad = NetworkGenome.from_cells([3, 5, 3]), NetworkGenome.from_cells([6, 2, 4])
    # a trained state for `bad` in the store: re-scoring must not start from it
    model = build_network(bad, evaluator.input_shape, 10, 4)
    evaluator.store.save_trained(bad.key(), model)
    result = rescore([bad, good], evaluator, seeds=2, archive=tmp_path / "rescore.sqlite")
    assert result["trainings"] == 4 and result["network_epochs"] == 4
    rows = {r["key"]: r for r in result["candidates"]}
    assert result["pick"] == max(rows, key=lambda k: rows[k]["mean"])
    scratch = TorchEvaluator(digits, epochs=1, init_channels=4, batch_size=64, device="cpu", inheritance="none")
    alone = scratch.train_genome(bad, parents=(), key=rescore_key(bad, 1))
    assert rows[bad.key()]["accuracies"][1] == alone["accuracy"]
    assert rows[bad.key()]["accuracies"][0] != rows[bad.key()]["accuracies"][1]  # two seeds, two trainings


def test_rescore_resumes_from_its_archive_without_training_again(digits, tmp_path):
    evaluator = _evaluator(digits, tmp_path)
    genomes = [NetworkGenome.from_cells([1, 5, 2])]
    first = rescore(genomes, evaluator, seeds=2, archive=tmp_path / "r.sqlite")
    again = rescore(genomes, evaluator, seeds=2, archive=Archive(tmp_path / "r.sqlite"))
    assert again["trainings"] == 0 and again["network_epochs"] == 0
    assert again["candidates"] == first["candidates"]


def test_a_search_records_its_own_pick_and_the_rescored_pick(tmp_path):
    from tsenas_pymoo.config import SearchConfig
    from tsenas_pymoo.run import SearchRun
    from tsenas_pymoo.testing.tiny import search_settings

    config = SearchConfig(
        **search_settings(train_subset=None, stage1_gens=1, stage2_gens=1, supernet_epochs=0, seed=None),
        device="cpu",
        rescore_top=2,
        rescore_seeds=2,
    )
    summary = SearchRun(tmp_path / "run", config, progress=False).run()
    rescored = summary["rescore"]
    assert len(rescored["candidates"]) == 2 and rescored["trainings"] == 4
    assert summary["best_genome"] == rescored["pick"]
    assert summary["search_pick"] == rescored["candidates"][0]["key"]  # the search's own best comes first
    again = SearchRun.resume(tmp_path / "run", progress=False).run()
    assert again["rescore"]["trainings"] == 0 and again["best_genome"] == summary["best_genome"]


def test_a_finalist_round_trains_at_its_rung_on_the_searchs_pool_under_its_own_keys(tmp_path):
    from tsenas_pymoo.config import SearchConfig
    from tsenas_pymoo.run import SearchRun
    from tsenas_pymoo.testing.tiny import search_settings

    config = SearchConfig(
        **search_settings(stage1_gens=1, stage2_gens=0, supernet_epochs=0, val_size=200),
        device="cpu",
        rescore_top=2,
        rescore_seeds=1,
        rescore_subset=800,
        rescore_epochs=2,
    )
    summary = SearchRun(tmp_path / "run", config, progress=False).run()
    rescored = summary["rescore"]
    assert rescored["rung"] == "n800e2" and "2 epochs on 800 training images" in rescored["protocol"]
    rung, search = config.rung_data(), config.load_data()

    def raw(data):  # the images before each training subset's own normalization
        return data.val_x * torch.tensor(data.std)[None, :, None, None] + torch.tensor(data.mean)[None, :, None, None]

    assert len(rung.train_y) == 800 and rung.val_y.equal(search.val_y)  # the search's validation pool
    assert torch.allclose(raw(rung), raw(search), atol=1e-4)
    import sqlite3

    with sqlite3.connect(tmp_path / "run" / "rescore.sqlite") as conn:
        keys = [row[0] for row in conn.execute("SELECT key FROM evaluations")]
    assert len(keys) == 2 and all(key.endswith("@n800e2") for key in keys)
