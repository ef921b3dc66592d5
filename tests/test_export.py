import numpy as np
import pytest
import torch

from tsenas_pymoo import CellGenome, NetworkGenome
from tsenas_pymoo.final import train_final
from tsenas_pymoo.genotype import genotype_dict, load_genotype, load_network, save_genotype
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
    edited = [c != CellGenome.published(c.code) for c in genome.cells]
    assert [c["modified"] for c in d["cells"]] == edited and any(edited)


def test_genotype_names_the_published_ops_and_inputs():
    d = genotype_dict(NetworkGenome.from_cells([3, 7]), (1, 8, 8), 10, 4)
    # DARTS normal as published (sep_conv_3x3,0) (sep_conv_3x3,1) / ... / (skip_connect,0) (dil_conv_3x3,2)
    first, last = d["cells"][0]["nodes"][0], d["cells"][0]["nodes"][3]
    assert first == {"inputs": [0, 1], "ops": ["sep_conv_3x3", "sep_conv_3x3"]}
    assert last == {"inputs": [0, 2], "ops": ["identity", "dil_conv_3x3"]}  # skip_connect is our identity
    assert [c["modified"] for c in d["cells"]] == [False, False] and d["cells"][0]["cell"] == "DARTS normal"


@pytest.fixture(scope="module")
def trained(tmp_path_factory, digits_small):
    out = tmp_path_factory.mktemp("final")
    genome = NetworkGenome.from_cells([3, 7, 3])
    report = train_final(genome, digits_small, epochs=2, init_channels=4, device="cpu", out_dir=out)
    return genome, report, out


def raw(data, x):
    """Images as the loaders give them before normalization (in [0, 1] for uint8 data)."""
    mean, std = (torch.tensor(v).view(1, -1, 1, 1) for v in (data.mean, data.std))
    return x * std + mean


def test_loaded_network_takes_raw_images_and_predicts_as_measured(trained, digits_small):
    _genome, report, out = trained
    assert report["test_accuracy"] > 0.3 and report["params"] > 0 and report["macs"] * 2 == report["flops"]
    model = load_network(out / "genotype.json", out / "weights.safetensors").eval()
    from tsenas_pymoo.genotype import Normalize

    assert isinstance(model[0], Normalize)
    correct = int((model(raw(digits_small, digits_small.test_x)).argmax(1) == digits_small.test_y).sum())
    accuracy = correct / len(digits_small.test_y)
    assert accuracy == pytest.approx(report["test_accuracy"], abs=1e-9)  # what the final training measured
    bare = load_network(out / "genotype.json", out / "weights.safetensors", normalize=False).eval()
    x = digits_small.test_x[:8]
    assert torch.allclose(model(raw(digits_small, x)), bare(x), atol=1e-5)


@pytest.mark.parametrize("fmt", ["torchscript", "pt2", "onnx"])
def test_export_round_trip_on_real_images(trained, digits_small, tmp_path, fmt):
    from tsenas_pymoo.export import check_export, export_model

    _, _, out = trained
    model = load_network(out / "genotype.json", out / "weights.safetensors").eval()
    path = export_model(model, (1, 8, 8), fmt, tmp_path / f"model.{fmt}")
    images = raw(digits_small, digits_small.test_x[:37])  # another batch size than the example's
    assert check_export(model, path, fmt, images) < 1e-4


def test_foreign_file_is_rejected(tmp_path):
    (tmp_path / "x.json").write_text('{"a": 1}')
    with pytest.raises(ValueError, match="format"):
        load_genotype(tmp_path / "x.json")


def test_the_old_import_paths_still_work_with_a_deprecation_warning():
    import importlib
    import sys

    from tsenas_pymoo import export, final, genotype

    with pytest.warns(DeprecationWarning, match=r"tsenas_pymoo.export.load_genotype moved to tsenas_pymoo.genotype"):
        assert export.load_genotype is genotype.load_genotype
    with pytest.warns(DeprecationWarning, match="moved to tsenas_pymoo.final"):
        assert export.train_final is final.train_final
    with pytest.warns(DeprecationWarning, match="GENOTYPE_FORMAT"):
        assert export.FORMAT == genotype.GENOTYPE_FORMAT
    with pytest.raises(AttributeError):
        export.no_such_name  # noqa: B018
    sys.modules.pop("tsenas_pymoo.formats", None)
    with pytest.warns(DeprecationWarning, match="tsenas_pymoo.formats moved to tsenas_pymoo.export"):
        formats = importlib.import_module("tsenas_pymoo.formats")
    assert formats.export_model is export.export_model
