"""The IDX reader: small files the test writes (gzip and plain, broken ones) and the real
Fashion-MNIST files when the system package is installed."""

import gzip

import numpy as np
import pytest

from tsenas_pymoo.evaluation.data import load_dataset
from tsenas_pymoo.evaluation.idx import IDX_FILES, SYSTEM_FASHION_MNIST, idx_folder_files, read_idx

REAL = idx_folder_files(SYSTEM_FASHION_MNIST)


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_plain_and_gzip(tmp_path, compress, idx_files):
    arrays = idx_files.write(tmp_path, compress=compress)
    files = idx_folder_files(tmp_path)
    images = read_idx(files[("train", "images")])
    assert images.dtype == np.uint8 and images.shape == (100, 28, 28)
    assert np.array_equal(images, arrays[("train", "images")])
    assert np.array_equal(read_idx(files[("test", "labels")]), arrays[("test", "labels")])


def test_read_idx_other_dtypes(tmp_path, idx_files):
    values = np.arange(12, dtype=np.int32).reshape(3, 4) - 5
    (tmp_path / "a").write_bytes(idx_files.bytes(values, 0x0C))
    assert np.array_equal(read_idx(tmp_path / "a"), values)
    floats = np.linspace(0, 1, 6, dtype=np.float32)
    (tmp_path / "b").write_bytes(idx_files.bytes(floats, 0x0D))
    assert np.array_equal(read_idx(tmp_path / "b"), floats)


def test_bad_files_name_the_file_and_the_rule(tmp_path, idx_files):
    good = idx_files.bytes(np.zeros((4, 5, 5), np.uint8))
    cases = {
        "magic": b"\x08\x03" + good[2:],
        "dtype": good[:2] + b"\x07" + good[3:],
        "truncated": good[:-3],
        "long": good + b"\x00",
        "header": good[:9],
        "empty": b"",
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match=f"IDX file .*{name}"):
            read_idx(tmp_path / name)
    (tmp_path / "gz").write_bytes(gzip.compress(good)[:-10])
    with pytest.raises(ValueError, match="gzip data is damaged or truncated"):
        read_idx(tmp_path / "gz")
    with pytest.raises(ValueError, match="needs 100 bytes"):
        read_idx(tmp_path / "truncated")


def test_labels_must_match_images(tmp_path, idx_files):
    idx_files.write(tmp_path)
    (tmp_path / IDX_FILES[("test", "labels")]).write_bytes(idx_files.bytes(np.zeros(19, np.uint8)))
    with pytest.raises(ValueError, match="one label per image"):
        load_dataset("idx", root=tmp_path)


def test_search_order_root_layouts_then_env(tmp_path, monkeypatch, idx_files):
    idx_files.write(tmp_path / "flat", n_train=200)
    idx_files.write(tmp_path / "tv" / "FashionMNIST" / "raw", n_train=300, compress=True)
    assert len(load_dataset("fashion-mnist", root=tmp_path / "flat").train_y) == 180
    assert load_dataset("fashion-mnist", root=tmp_path / "tv").source.endswith("FashionMNIST/raw")
    monkeypatch.setenv("TSENAS_DATA", str(tmp_path / "tv"))
    assert len(load_dataset("fashion-mnist").train_y) == 270  # $TSENAS_DATA before the system
    assert len(load_dataset("fashion-mnist", root=tmp_path / "flat").train_y) == 180  # root before $TSENAS_DATA
    d = load_dataset("idx", root=tmp_path / "flat")
    assert d.name == "idx" and d.input_shape == (1, 28, 28) and d.num_classes == 10


def test_not_found_names_every_place_and_both_remedies(tmp_path, monkeypatch):
    import tsenas_pymoo.evaluation.data as data

    monkeypatch.setattr(data, "SYSTEM_FASHION_MNIST", tmp_path / "system")
    monkeypatch.setattr("tsenas_pymoo.evaluation.idx.SYSTEM_FASHION_MNIST", tmp_path / "system")
    monkeypatch.setenv("TSENAS_DATA", str(tmp_path / "env"))
    with pytest.raises(FileNotFoundError) as err:
        data.load_dataset("fashion-mnist", root=tmp_path / "mine")
    message = str(err.value)
    for part in (
        f"root={tmp_path / 'mine'}",
        f"$TSENAS_DATA={tmp_path / 'env'}",
        str(tmp_path / "system"),
        "apt-get install dataset-fashion-mnist",
        "--download",
    ):
        assert part in message
    assert "\n" not in message
    monkeypatch.delenv("TSENAS_DATA")
    with pytest.raises(ValueError, match="download=True needs root"):
        data.load_dataset("fashion-mnist", download=True)
    with pytest.raises(ValueError, match="pass root=FOLDER"):
        data.load_dataset("idx")


@pytest.mark.skipif(REAL is None, reason="dataset-fashion-mnist is not installed")
def test_real_fashion_mnist_matches_torchvision_reader(tmp_path):
    from torchvision.datasets.mnist import read_image_file, read_label_file

    images = read_idx(REAL[("train", "images")])
    labels = read_idx(REAL[("train", "labels")])
    assert images.shape == (60000, 28, 28) and labels.shape == (60000,)
    assert np.bincount(labels).tolist() == [6000] * 10
    test_images = read_idx(REAL[("test", "images")])
    assert (
        test_images.shape == (10000, 28, 28) and np.bincount(read_idx(REAL[("test", "labels")])).tolist() == [1000] * 10
    )
    for key, ours, reader in (
        (("test", "images"), test_images, read_image_file),
        (("train", "labels"), labels, read_label_file),
    ):
        plain = tmp_path / IDX_FILES[key]
        plain.write_bytes(gzip.decompress(REAL[key].read_bytes()))
        assert np.array_equal(reader(str(plain)).numpy(), ours)


@pytest.mark.skipif(REAL is None, reason="dataset-fashion-mnist is not installed")
def test_fashion_mnist_loads_with_no_argument():
    d = load_dataset("fashion-mnist")
    assert d.input_shape == (1, 28, 28) and (len(d.train_y), len(d.val_y), len(d.test_y)) == (54000, 6000, 10000)
    assert d.source == str(SYSTEM_FASHION_MNIST)
