import gzip
import struct

import numpy as np
import pytest
import torch

from tsenas_pymoo.evaluation.data import from_arrays, load_dataset


def test_digits_split_is_seeded_stratified_and_normalized_on_train():
    d = load_dataset("digits")
    assert d.input_shape == (1, 8, 8) and d.num_classes == 10
    n_train_val = len(d.train_y) + len(d.val_y)
    assert abs(len(d.val_y) - 0.1 * n_train_val) <= 10
    assert set(torch.bincount(d.val_y).tolist()) <= {14, 15}  # every class ~10 %
    assert abs(float(d.train_x.mean())) < 1e-4 and abs(float(d.train_x.std()) - 1) < 1e-3
    again = load_dataset("digits")
    assert torch.equal(again.val_y, d.val_y) and torch.equal(again.val_x, d.val_x)
    other = load_dataset("digits", seed=1)
    assert not torch.equal(other.val_x, d.val_x)


def test_from_arrays_uint8_nhw_and_float_nchw():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(200, 12, 12), dtype=np.uint8)
    labels = np.repeat(np.arange(4), 50)
    d = from_arrays(images, labels)
    assert d.input_shape == (1, 12, 12) and d.num_classes == 4
    assert len(d.train_y) + len(d.val_y) + len(d.test_y) == 200
    f = from_arrays(rng.random((60, 3, 6, 6)), np.tile([0, 1, 2], 20), rng.random((9, 3, 6, 6)), [0, 1, 2] * 3)
    assert f.input_shape == (3, 6, 6) and len(f.test_y) == 9


def test_clear_errors_for_bad_arrays():
    x = np.zeros((10, 8, 8), dtype=np.uint8)
    with pytest.raises(ValueError, match="9 labels for 10 images"):
        from_arrays(x, np.zeros(9))
    with pytest.raises(ValueError, match="only one class"):
        from_arrays(x, np.zeros(10))
    with pytest.raises(ValueError, match="channels-last"):
        from_arrays(np.zeros((10, 8, 8, 3), dtype=np.uint8), np.arange(10) % 2)


def test_image_folder(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    for split, n in (("train", 12), ("test", 3)):
        for cls in ("cat", "dog"):
            (tmp_path / split / cls).mkdir(parents=True)
            for i in range(n):
                Image.fromarray(rng.integers(0, 256, (10, 10, 3), dtype=np.uint8)).save(
                    tmp_path / split / cls / f"{i}.png")
    d = load_dataset(str(tmp_path))
    assert d.input_shape == (3, 10, 10) and d.num_classes == 2 and len(d.test_y) == 6
    assert load_dataset("folder", root=tmp_path).num_classes == 2


def test_missing_dataset_folder_says_how_to_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="no folder"):
        load_dataset(str(tmp_path / "nope"))
    with pytest.raises(FileNotFoundError, match="download=True"):
        load_dataset("fashion-mnist", root=tmp_path)
    with pytest.raises(ValueError, match="root is required"):
        load_dataset("cifar10")


def _idx(path, array, magic):
    with open(path, "wb") as f:
        f.write(struct.pack(">I", magic) + b"".join(struct.pack(">I", s) for s in array.shape) + array.tobytes())


def test_fashion_mnist_reads_the_real_file_format(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 100), ("t10k", 20)):
        _idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), 2051)
        _idx(raw / f"{prefix}-labels-idx1-ubyte", (np.arange(n) % 10).astype(np.uint8), 2049)
    d = load_dataset("fashion-mnist", root=tmp_path)
    assert d.input_shape == (1, 28, 28) and d.num_classes == 10 and len(d.test_y) == 20
