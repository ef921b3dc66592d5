"""Datasets as in-memory tensors, with the seeded 10 % validation split (Sec. V-C).

``load_dataset`` reads scikit-learn's bundled 8x8 digits (the offline default),
Fashion-MNIST, CIFAR-10/100 (torchvision, downloading only when asked), or a folder of
class sub-folders (torchvision ``ImageFolder``); ``from_arrays`` wraps arrays a user
already holds. The fitness set is a stratified, seeded 10 % of the training images; the
test set is only for the final report. Normalization statistics come from the training
split alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


import numpy as np
import torch

#: Names ``load_dataset`` knows besides a folder path.
DATASETS = ("digits", "fashion-mnist", "cifar10", "cifar100")


@dataclass
class Dataset:
    """Normalized float32 tensors (N, C, H, W) and int64 labels for train / val / test."""

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    num_classes: int
    mean: list[float] = field(default_factory=list)
    std: list[float] = field(default_factory=list)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.train_x.shape[1:])

    def full_train(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Train + validation, for the final training of the best network."""
        return torch.cat([self.train_x, self.val_x]), torch.cat([self.train_y, self.val_y])

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}, input {self.input_shape}, {self.num_classes} classes, "
                f"train {len(self.train_y)}, val {len(self.val_y)}, test {len(self.test_y)})")


def _as_nchw(images, what: str) -> np.ndarray:
    arr = np.asarray(images)
    if arr.ndim == 3:
        arr = arr[:, None]
    if arr.ndim != 4:
        raise ValueError(f"{what}: shape {arr.shape}; rule: (N, H, W) or (N, C, H, W)")
    if arr.shape[1] not in (1, 3, 4) and arr.shape[-1] in (1, 3, 4):
        raise ValueError(f"{what}: shape {arr.shape} looks channels-last; rule: (N, C, H, W), "
                         f"e.g. images.transpose(0, 3, 1, 2)")
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / 255.0
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{what}: dtype {arr.dtype}; rule: uint8 or float images")
    return arr.astype(np.float32)


def _as_labels(labels, n_images: int, what: str) -> np.ndarray:
    arr = np.asarray(labels).reshape(-1)
    if len(arr) != n_images:
        raise ValueError(f"{what}: {len(arr)} labels for {n_images} images; rule: one label per image")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.mod(arr, 1) == 0):
            raise ValueError(f"{what}: labels must be integers 0..K-1")
    arr = arr.astype(np.int64)
    if arr.min() < 0:
        raise ValueError(f"{what}: label {arr.min()} is negative; rule: labels are 0..K-1")
    return arr


def _split(labels: np.ndarray, fraction: float, seed: int, what: str):
    from sklearn.model_selection import train_test_split

    counts = np.bincount(labels)
    present = np.flatnonzero(counts)
    if len(present) < 2:
        raise ValueError(f"{what}: only one class ({present.tolist()}); rule: at least 2 classes")
    if counts[present].min() < 2:
        rare = int(present[np.argmin(counts[present])])
        raise ValueError(f"{what}: class {rare} has a single image; rule: at least 2 images per class "
                         f"for the stratified {fraction:.0%} split")
    n_hold = max(int(round(fraction * len(labels))), len(present))
    return train_test_split(np.arange(len(labels)), test_size=n_hold, stratify=labels, random_state=seed)


def from_arrays(images, labels, test_images=None, test_labels=None, *, name: str = "arrays",
                val_fraction: float = 0.1, test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """A :class:`Dataset` from arrays: images (N, H, W) or (N, C, H, W), uint8 (scaled to
    [0, 1]) or float. Without a test set, a seeded stratified ``test_fraction`` of the
    images is held out as one."""
    x = _as_nchw(images, "images")
    y = _as_labels(labels, len(x), "labels")
    if (test_images is None) != (test_labels is None):
        raise ValueError("test_images and test_labels: give both or neither")
    if test_images is None:
        keep, hold = _split(y, test_fraction, seed, "labels")
        x_test, y_test, x, y = x[hold], y[hold], x[keep], y[keep]
    else:
        x_test = _as_nchw(test_images, "test_images")
        y_test = _as_labels(test_labels, len(x_test), "test_labels")
        if x_test.shape[1:] != x.shape[1:]:
            raise ValueError(f"test_images: shape {x_test.shape[1:]} differs from images {x.shape[1:]}")
    train_idx, val_idx = _split(y, val_fraction, seed, "labels")
    mean = x[train_idx].mean(axis=(0, 2, 3))
    std = x[train_idx].std(axis=(0, 2, 3)) + 1e-8

    def norm(a):
        return torch.from_numpy((a - mean[None, :, None, None]) / std[None, :, None, None]).float().contiguous()

    num_classes = int(max(y.max(), y_test.max()) + 1)
    return Dataset(name, norm(x[train_idx]), torch.from_numpy(y[train_idx]), norm(x[val_idx]),
                   torch.from_numpy(y[val_idx]), norm(x_test), torch.from_numpy(y_test), num_classes,
                   mean.tolist(), std.tolist())


def _torchvision(cls, root, download: bool, name: str):
    if root is None:
        raise ValueError(f"dataset {name!r}: root is required; pass root=FOLDER (CLI: --root FOLDER)")
    try:
        train = cls(str(root), train=True, download=download)
        test = cls(str(root), train=False, download=download)
    except RuntimeError as err:
        raise FileNotFoundError(f"dataset {name!r} not found under {root}: {err} "
                                f"Pass download=True (CLI: --download) to fetch it, or point root at it.") from err
    return train, test


def _image_folder(path: Path, seed: int, val_fraction: float) -> Dataset:
    from torchvision.datasets import ImageFolder

    def read(folder: Path):
        data = ImageFolder(str(folder))
        if not data.samples:
            raise ValueError(f"dataset folder {folder}: no images in its class sub-folders")
        images = [np.asarray(data.loader(p)) for p, _ in data.samples]
        shapes = {im.shape for im in images}
        if len(shapes) > 1:
            raise ValueError(f"dataset folder {folder}: images differ in size {sorted(shapes)[:3]}; "
                             f"rule: one size (resize them first)")
        arr = np.stack(images)
        arr = arr.transpose(0, 3, 1, 2) if arr.ndim == 4 else arr
        return arr, np.array(data.targets), data.classes

    if (path / "train").is_dir():
        x, y, classes = read(path / "train")
        x_test, y_test = (read(path / "test")[:2]) if (path / "test").is_dir() else (None, None)
    else:
        (x, y, classes), x_test, y_test = read(path), None, None
    return from_arrays(x, y, x_test, y_test, name=str(path), seed=seed, val_fraction=val_fraction)


def load_dataset(name: str = "digits", root: str | Path | None = None, *, download: bool = False,
                 val_fraction: float = 0.1, seed: int = 0) -> Dataset:
    """Load ``"digits"`` (offline), ``"fashion-mnist"``, ``"cifar10"``, ``"cifar100"`` (from
    ``root``, downloaded only with ``download=True``) or a folder of class sub-folders
    (``name`` is the path, or ``name="folder"`` with ``root``; ``train/`` and ``test/``
    sub-folders are used when present)."""
    key = str(name).lower()
    if key == "digits":
        from sklearn.datasets import load_digits

        digits = load_digits()
        images = (digits.images / 16.0).astype(np.float32)
        return from_arrays(images, digits.target, name="digits", seed=seed, val_fraction=val_fraction)
    if key in ("fashion-mnist", "fashion_mnist", "fashionmnist"):
        from torchvision.datasets import FashionMNIST

        train, test = _torchvision(FashionMNIST, root, download, name)
        return from_arrays(train.data.numpy(), train.targets.numpy(), test.data.numpy(), test.targets.numpy(),
                           name="fashion-mnist", seed=seed, val_fraction=val_fraction)
    if key in ("cifar10", "cifar100"):
        from torchvision.datasets import CIFAR10, CIFAR100

        train, test = _torchvision(CIFAR10 if key == "cifar10" else CIFAR100, root, download, name)
        return from_arrays(train.data.transpose(0, 3, 1, 2), train.targets, test.data.transpose(0, 3, 1, 2),
                           test.targets, name=key, seed=seed, val_fraction=val_fraction)
    path = Path(root if key == "folder" else name)
    if key == "folder" and root is None:
        raise ValueError("dataset 'folder': pass root=FOLDER with one sub-folder per class")
    if not path.is_dir():
        raise FileNotFoundError(f"dataset {name!r}: not one of {', '.join(DATASETS)} and no folder {path} "
                                f"exists; give a known name or a folder with one sub-folder per class")
    return _image_folder(path, seed, val_fraction)


__all__ = ["Dataset", "load_dataset", "from_arrays", "DATASETS"]
