import numpy as np
import pytest
import torch

from tsenas_pymoo import NetworkGenome
from tsenas_pymoo.export import genotype_dict, load_genotype, load_network, save_genotype, train_final
from tsenas_pymoo.operators.fine import mutate_fine, prune_fine


def test_genotype_round_trip_is_readable(tmp_path):
    rng = np.random.default_rng(0)
    genome = prune_fine(mutate_fine(NetworkGenome.from_cells([3, 7, 1, 5]).expand(), rng), rng)
    path = save_genotype(tmp_path / "g.json", genome, (1, 8, 8), 10, 4)
    loaded, meta = load_genotype(path)
    assert loaded == genome and meta["init_channels"] == 4
    d = genotype_dict(genome, (1, 8, 8), 10, 4)
    assert d["cells"][1]["cell"] == "DARTS reduction" and d["cells"][1]["type"] == "reduction"
    assert any(node is None for c in d["cells"] for node in c["nodes"])  # pruned node
    assert d["cells"][0]["nodes"][0]["ops"][0] in ("sep_conv_3x3",) or d["cells"][0]["modified"]


def test_train_final_exports_a_network_that_loads_back(tmp_path, digits_small):
    genome = NetworkGenome.from_cells([3, 7, 3])
    report = train_final(genome, digits_small, epochs=2, init_channels=4, device="cpu", out_dir=tmp_path)
    assert report["test_accuracy"] > 0.3 and report["params"] > 0 and report["flops"] > 0
    model = load_network(tmp_path / "genotype.json", tmp_path / "weights.safetensors").eval()
    x = digits_small.test_x[:8]
    from tsenas_pymoo import build_network
    reference = build_network(genome, (1, 8, 8), 10, 4)
    from safetensors.torch import load_file
    reference.load_state_dict(load_file(str(tmp_path / "weights.safetensors")))
    assert torch.allclose(model(x), reference.eval()(x))


def test_foreign_file_is_rejected(tmp_path):
    (tmp_path / "x.json").write_text('{"a": 1}')
    with pytest.raises(ValueError, match="format"):
        load_genotype(tmp_path / "x.json")
