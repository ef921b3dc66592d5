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
                    tmp_path / split / cls / f"{i}.png"
                )
    d = load_dataset(str(tmp_path))
    assert d.input_shape == (3, 10, 10) and d.num_classes == 2 and len(d.test_y) == 6
    assert load_dataset("folder", root=tmp_path).num_classes == 2


def test_missing_dataset_folder_says_how_to_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="no folder"):
        load_dataset(str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="root is required"):
        load_dataset("cifar10")


def test_train_subset_is_stratified_seeded_and_taken_before_the_val_split():
    full = load_dataset("digits")
    d = load_dataset("digits", train_subset=500)
    assert len(d.train_y) + len(d.val_y) == 500 and len(d.val_y) == 50
    counts = torch.bincount(torch.cat([d.train_y, d.val_y])).numpy()
    source = torch.bincount(torch.cat([full.train_y, full.val_y])).numpy()
    assert np.abs(counts - 500 * source / source.sum()).max() <= 1  # stratified: each class in proportion
    assert len(d.test_y) == len(full.test_y)  # the test split is untouched
    assert d.settings()["train_subset"] == 500
    again = load_dataset("digits", train_subset=500)
    assert torch.equal(again.train_x, d.train_x) and torch.equal(again.val_y, d.val_y)
    other = load_dataset("digits", train_subset=500, seed=1)
    assert not torch.equal(other.train_x, d.train_x)
    with pytest.raises(ValueError, match="train_subset=5000; rule: between 20"):
        load_dataset("digits", train_subset=5000)


def test_resolution_downsamples_every_split_by_area():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(120, 12, 12), dtype=np.uint8)
    labels = np.arange(120) % 3
    d = from_arrays(images, labels, images[:30], labels[:30], resolution=6)
    assert d.input_shape == (1, 6, 6) and d.val_x.shape[1:] == d.test_x.shape[1:] == (1, 6, 6)
    # area downsampling: each pixel is the mean of its 2x2 block (up to the normalization)
    block = images[:30].reshape(30, 6, 2, 6, 2).mean(axis=(2, 4)) / 255.0
    expected = (block - d.mean[0]) / d.std[0]
    assert np.allclose(d.test_x[:, 0].numpy(), expected, atol=1e-5)
    assert from_arrays(images, labels, resolution=12).input_shape == (1, 12, 12)
    with pytest.raises(ValueError, match="resolution=13; rule: between 1 and the image size 12"):
        from_arrays(images, labels, resolution=13)


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


def _unique_images(n, classes=5, seed=0):
    """Images whose pixel 0 is their index (so a set of images names its sources)."""
    rng = np.random.default_rng(seed)
    images = rng.random((n, 1, 6, 6)).astype(np.float32)
    images[:, 0, 0, 0] = np.arange(n)
    return images, np.arange(n) % classes


def _sources(x, mean, std):
    return set(np.rint(x[:, 0, 0, 0].numpy() * std[0] + mean[0]).astype(int).tolist())


def test_validation_pool_never_overlaps_the_training_subset_or_the_test_set():
    images, labels = _unique_images(1000)
    d = from_arrays(images, labels, train_subset=200, val_size=300, seed=3)  # test: a held-out fifth
    train, val, test = (_sources(x, d.mean, d.std) for x in (d.train_x, d.val_x, d.test_x))
    assert (len(train), len(val), len(test)) == (200, 300, 200)
    assert not train & val and not val & test and not train & test
    assert d.settings()["val_size"] == 300 and "pool" in d.settings()["splits"]["selection"]


def test_validation_pool_is_seeded_stratified_in_every_prefix_and_independent_of_the_subset():
    images, labels = _unique_images(2000)
    d = from_arrays(images, labels, train_subset=300, val_size=500, seed=1)
    for k in (10, 50, 125, 500):
        counts = np.bincount(d.val_y[:k].numpy(), minlength=5)
        assert counts.max() - counts.min() <= 1, (k, counts)
    same = from_arrays(images, labels, train_subset=300, val_size=500, seed=1)
    assert torch.equal(same.val_x, d.val_x) and torch.equal(same.train_x, d.train_x)
    bigger = from_arrays(images, labels, train_subset=900, val_size=500, seed=1)
    assert _sources(bigger.val_x, bigger.mean, bigger.std) == _sources(d.val_x, d.mean, d.std)
    other = from_arrays(images, labels, train_subset=300, val_size=500, seed=2)
    assert _sources(other.val_x, other.mean, other.std) != _sources(d.val_x, d.mean, d.std)


def test_validation_pool_larger_than_the_images_left_is_one_clear_error():
    images, labels = _unique_images(500)  # 400 training images after the test fifth
    with pytest.raises(ValueError, match=r"val_size=300; rule: .*at most 200"):
        from_arrays(images, labels, train_subset=200, val_size=300)
    assert len(from_arrays(images, labels, train_subset=200, val_size=200).val_y) == 200


def test_without_torchvision_only_what_needs_it_is_refused_in_one_line(monkeypatch, tmp_path):
    import sys

    from tsenas_pymoo.evaluation.data import load_dataset

    monkeypatch.setitem(sys.modules, "torchvision", None)  # import torchvision now raises ImportError
    assert load_dataset("digits").name == "digits"
    with pytest.raises(
        ImportError, match=r"^dataset 'cifar10' needs torchvision, .*rule: pip install 'tsenas_pymoo\[vision\]'"
    ):
        load_dataset("cifar10", root=tmp_path)
    (tmp_path / "a").mkdir()
    with pytest.raises(ImportError, match=r"^dataset folder .* needs torchvision"):
        load_dataset(str(tmp_path))
