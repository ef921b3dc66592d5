"""Datasets as in-memory tensors, with the seeded 10 % validation split (Sec. V-C).

``load_dataset`` reads scikit-learn's bundled 8x8 digits, Fashion-MNIST (the paper's set,
Sec. V-A: read from its IDX files, found offline in ``root``, ``$TSENAS_DATA`` or Debian's
``dataset-fashion-mnist`` package), MNIST or any MNIST-format IDX folder, CIFAR-10/100
(torchvision, downloading only when asked), or a folder of class sub-folders
(torchvision ``ImageFolder``); ``from_arrays`` wraps arrays a user already holds.
torchvision is optional (the ``vision`` extra): only CIFAR, image folders and downloads
need it.

Proxy settings, as NAS searches run on reduced data: ``train_subset`` keeps a seeded,
stratified subset of the training split (taken before the validation split) and
``resolution`` area-downsamples every split. The fitness set is a stratified, seeded
10 % of the training images, or, with ``val_size``, a *validation pool*: that many
training images the training subset does not use (drawn first, seeded and stratified,
so it is the same for every ``train_subset``), so a proxy can train on 2,400 images and
score on 10,000. The pool is ordered so that every prefix is stratified (``val_x[:k]`` is
a fair k-image validation set). The test set is only for the final report.
Normalization statistics come from the training split alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .idx import DATA_ENV, SYSTEM_FASHION_MNIST, candidate_folders, idx_folder_files, read_idx_dataset

#: Names ``load_dataset`` knows besides a folder path.
DATASETS = ("digits", "fashion-mnist", "mnist", "idx", "cifar10", "cifar100")
_FASHION = ("fashion-mnist", "fashion_mnist", "fashionmnist")


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
    train_subset: int | None = None
    resolution: int | None = None
    source: str = ""
    val_size: int | None = None

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.train_x.shape[1:])

    def search_tensors(self, device: str, channels_last: bool = False) -> dict[str, torch.Tensor]:
        """The training and validation split on ``device`` (images channels-last when asked)."""
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        return {
            "train_x": self.train_x.to(device, memory_format=fmt),
            "train_y": self.train_y.to(device),
            "val_x": self.val_x.to(device, memory_format=fmt),
            "val_y": self.val_y.to(device),
        }

    def normalization(self) -> dict[str, list[float]]:
        """The per-channel mean and std the images were normalized with."""
        return {"mean": [float(v) for v in self.mean], "std": [float(v) for v in self.std]}

    def settings(self) -> dict:
        """What was loaded and how: recorded in config, genotype and benchmark files."""
        return {
            "dataset": self.name,
            "train_subset": self.train_subset,
            "resolution": self.resolution,
            "val_size": self.val_size,
            "input_shape": list(self.input_shape),
            "train": len(self.train_y),
            "val": len(self.val_y),
            "test": len(self.test_y),
            "source": self.source,
            "mean": self.mean,
            "std": self.std,
            "splits": self.splits(),
        }

    def splits(self) -> dict:
        """Which images select and which report: recorded in every results file."""
        val = (
            f"validation pool: {len(self.val_y)} training images the training subset does not use"
            if self.val_size
            else f"{len(self.val_y)} images split off the training subset"
        )
        return {"selection": val, "report": f"test set: {len(self.test_y)} images no selection sees"}

    def full_train(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Train + validation, for the final training of the best network."""
        return torch.cat([self.train_x, self.val_x]), torch.cat([self.train_y, self.val_y])

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, input {self.input_shape}, {self.num_classes} classes, "
            f"train {len(self.train_y)}, val {len(self.val_y)}, test {len(self.test_y)})"
        )


def _as_nchw(images, what: str) -> np.ndarray:
    arr = np.asarray(images)
    if arr.ndim == 3:
        arr = arr[:, None]
    if arr.ndim != 4:
        raise ValueError(f"{what}: shape {arr.shape}; rule: (N, H, W) or (N, C, H, W)")
    if arr.shape[1] not in (1, 3, 4) and arr.shape[-1] in (1, 3, 4):
        raise ValueError(
            f"{what}: shape {arr.shape} looks channels-last; rule: (N, C, H, W), e.g. images.transpose(0, 3, 1, 2)"
        )
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / 255.0
    if not np.issubdtype(arr.dtype, np.number):
        raise ValueError(f"{what}: dtype {arr.dtype}; rule: uint8 or float images")
    return arr.astype(np.float32)


def _as_labels(labels, n_images: int, what: str) -> np.ndarray:
    arr = np.asarray(labels).reshape(-1)
    if len(arr) != n_images:
        raise ValueError(f"{what}: {len(arr)} labels for {n_images} images; rule: one label per image")
    if not np.issubdtype(arr.dtype, np.integer) and not np.all(np.mod(arr, 1) == 0):
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
        raise ValueError(
            f"{what}: class {rare} has a single image; rule: at least 2 images per class "
            f"for the stratified {fraction:.0%} split"
        )
    n_hold = max(int(round(fraction * len(labels))), len(present))
    return train_test_split(np.arange(len(labels)), test_size=n_hold, stratify=labels, random_state=seed)


def interleave_classes(indices: np.ndarray, labels: np.ndarray, seed: int) -> np.ndarray:
    """``indices`` reordered so that every prefix is stratified: each class's indices in a
    seeded random order, then taken round-robin over the classes (rarer classes run out
    first)."""
    rng = np.random.default_rng(seed)
    per_class = [rng.permutation(indices[labels[indices] == c]) for c in np.unique(labels[indices])]
    # position of each image inside its class, scaled to [0, 1): sorting by it interleaves
    rank = np.concatenate([np.arange(len(idx)) / len(idx) for idx in per_class])
    klass = np.concatenate([np.full(len(idx), k) for k, idx in enumerate(per_class)])
    order = np.lexsort((klass, rank))
    return np.concatenate(per_class)[order]


def _pool(labels: np.ndarray, size: int | None, seed: int, train_subset: int | None):
    """(validation pool indices in prefix-stratified order, the indices left for training);
    no pool when ``size`` is None."""
    everything = np.arange(len(labels))
    if size is None:
        return None, everything
    n_classes = len(np.flatnonzero(np.bincount(labels)))
    left = len(labels) - int(size)
    need = max(2 * n_classes, int(train_subset or 0))
    if not n_classes <= int(size) or left < need:
        raise ValueError(
            f"val_size={size}; rule: between {n_classes} (one image per class) and the "
            f"{len(labels)} training images less the {need} the training subset needs "
            f"(at most {len(labels) - need})"
        )
    from sklearn.model_selection import train_test_split

    rest, pool = train_test_split(everything, test_size=int(size), stratify=labels, random_state=seed)
    return interleave_classes(pool, labels, seed), np.sort(rest)


def _subset(labels: np.ndarray, size: int | None, seed: int) -> np.ndarray:
    """Indices of a seeded, stratified ``size``-image subset (all indices when None)."""
    if size is None:
        return np.arange(len(labels))
    n_classes = len(np.flatnonzero(np.bincount(labels)))
    if not 2 * n_classes <= int(size) <= len(labels):
        raise ValueError(
            f"train_subset={size}; rule: between {2 * n_classes} (two images per class) and the "
            f"{len(labels)} training images"
        )
    if int(size) == len(labels):
        return np.arange(len(labels))
    from sklearn.model_selection import train_test_split

    keep, _ = train_test_split(np.arange(len(labels)), train_size=int(size), stratify=labels, random_state=seed)
    return np.sort(keep)


def downsample(images: np.ndarray, resolution: int | None) -> np.ndarray:
    """Area downsampling of (N, C, H, W) float images so the shorter side is ``resolution``."""
    if resolution is None:
        return images
    h, w = images.shape[2:]
    if not 1 <= int(resolution) <= min(h, w):
        raise ValueError(f"resolution={resolution}; rule: between 1 and the image size {min(h, w)} (downsampling only)")
    size = (
        (int(resolution), max(1, round(w * resolution / h)))
        if h <= w
        else (max(1, round(h * resolution / w)), int(resolution))
    )
    if size == (h, w):
        return images
    out = torch.nn.functional.interpolate(torch.from_numpy(images), size=size, mode="area")
    return out.numpy()


def from_arrays(
    images,
    labels,
    test_images=None,
    test_labels=None,
    *,
    name: str = "arrays",
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
    seed: int = 0,
    train_subset: int | None = None,
    resolution: int | None = None,
    source: str = "",
    val_size: int | None = None,
) -> Dataset:
    """A :class:`Dataset` from arrays: images (N, H, W) or (N, C, H, W), uint8 (scaled to
    [0, 1]) or float. Without a test set, a seeded stratified ``test_fraction`` of the
    images is held out as one. ``train_subset`` keeps a seeded stratified subset of the
    training images before the validation split; ``resolution`` area-downsamples every
    split (the shorter side becomes ``resolution``). ``val_size``: the validation set is
    a pool of that many training images, drawn before the subset and never trained on
    (``val_fraction`` is then unused; the whole subset trains)."""
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
    pool, rest = _pool(y, val_size, seed, train_subset)
    keep = rest[_subset(y[rest], train_subset, seed)]
    if pool is None:
        x, y = downsample(x[keep], resolution), y[keep]
        train_idx, val_idx = _split(y, val_fraction, seed, "labels")
    else:  # the training subset first, then the pool
        both = np.concatenate([keep, pool])
        x, y = downsample(x[both], resolution), y[both]
        train_idx, val_idx = np.arange(len(keep)), np.arange(len(keep), len(y))
    x_test = downsample(x_test, resolution)
    mean = x[train_idx].mean(axis=(0, 2, 3))
    std = x[train_idx].std(axis=(0, 2, 3)) + 1e-8

    def norm(a):
        return torch.from_numpy((a - mean[None, :, None, None]) / std[None, :, None, None]).float().contiguous()

    num_classes = int(max(y.max(), y_test.max()) + 1)
    return Dataset(
        name,
        norm(x[train_idx]),
        torch.from_numpy(y[train_idx]),
        norm(x[val_idx]),
        torch.from_numpy(y[val_idx]),
        norm(x_test),
        torch.from_numpy(y_test),
        num_classes,
        mean.tolist(),
        std.tolist(),
        train_subset,
        resolution,
        source,
        val_size,
    )


def vision_datasets(what: str):
    """``torchvision.datasets`` (an optional dependency: ``pip install 'tsenas_pymoo[vision]'``),
    or one line saying what needs it."""
    try:
        from torchvision import datasets
    except ImportError:
        raise ImportError(
            f"{what} needs torchvision, which is not installed; rule: pip install 'tsenas_pymoo[vision]' "
            "(a torchvision built for your torch); Fashion-MNIST, MNIST, IDX folders and digits need none"
        ) from None
    return datasets


def _torchvision(cls, root, download: bool, name: str):
    if root is None:
        raise ValueError(f"dataset {name!r}: root is required; pass root=FOLDER (CLI: --root FOLDER)")
    try:
        train = cls(str(root), train=True, download=download)
        test = cls(str(root), train=False, download=download)
    except RuntimeError as err:
        raise FileNotFoundError(
            f"dataset {name!r} not found under {root}: {err} "
            f"Pass download=True (CLI: --download) to fetch it, or point root at it."
        ) from err
    return train, test


def _not_found(name: str, root, folders: list[Path]) -> FileNotFoundError:
    env = os.environ.get(DATA_ENV)
    places = [
        f"root={root}" if root else "root= (not given)",
        f"${DATA_ENV}={env}" if env else f"${DATA_ENV} (not set)",
    ]
    if name == "fashion-mnist":
        places.append(str(SYSTEM_FASHION_MNIST))
    remedies = ["`apt-get install dataset-fashion-mnist`"] if name == "fashion-mnist" else []
    if name != "idx":
        remedies.append("download=True with root=FOLDER (CLI: --download --root FOLDER)")
    return FileNotFoundError(
        f"dataset {name!r}: the four IDX files (train/t10k images and labels) are in none of: {'; '.join(places)} "
        f"(looked in {len(folders)} folders); remedy: {' or '.join(remedies) or 'point root at the folder'}"
    )


def _idx(name: str, root, download: bool, **kwargs) -> Dataset:
    """Fashion-MNIST, MNIST or any MNIST-format folder, read from its IDX files."""
    tv_name = {"fashion-mnist": "FashionMNIST", "mnist": "MNIST"}.get(name, "")
    system = SYSTEM_FASHION_MNIST if name == "fashion-mnist" else None
    if name == "idx" and not (root or os.environ.get(DATA_ENV)):
        raise ValueError(f"dataset 'idx': pass root=FOLDER holding the four IDX files (or set ${DATA_ENV})")
    folders = candidate_folders(root, tv_name or None, system)
    files = next((f for f in map(idx_folder_files, folders) if f is not None), None)
    if files is None and download and tv_name:
        target = root or os.environ.get(DATA_ENV)
        if not target:
            raise ValueError(f"dataset {name!r}: download=True needs root=FOLDER (CLI: --root FOLDER) to save into")
        getattr(vision_datasets(f"dataset {name!r} with download=True"), tv_name)(
            str(target), train=True, download=True
        )
        files = idx_folder_files(Path(target) / tv_name / "raw")
    if files is None:
        raise _not_found(name, root, folders)
    arrays = read_idx_dataset(files)
    return from_arrays(
        arrays["train_images"],
        arrays["train_labels"],
        arrays["test_images"],
        arrays["test_labels"],
        name=name,
        source=str(files[("train", "images")].parent),
        **kwargs,
    )


def _image(loader, path: str) -> np.ndarray:
    """One image of a folder; a file that is not an image, or one PIL refuses as a
    decompression bomb (a 20000x20000 picture), is one line naming it."""
    from PIL import Image

    try:
        return np.asarray(loader(path))
    except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ValueError(
            f"dataset image {path}: cannot be read ({type(err).__name__}); rule: an image file "
            f"of at most {Image.MAX_IMAGE_PIXELS:,} pixels"
        ) from None


def _image_folder(path: Path, **kwargs) -> Dataset:
    image_folder = vision_datasets(f"dataset folder {path}").ImageFolder

    def read(folder: Path):
        data = image_folder(str(folder))
        if not data.samples:
            raise ValueError(f"dataset folder {folder}: no images in its class sub-folders")
        images = [_image(data.loader, p) for p, _ in data.samples]
        shapes = {im.shape for im in images}
        if len(shapes) > 1:
            raise ValueError(
                f"dataset folder {folder}: images differ in size {sorted(shapes)[:3]}; "
                f"rule: one size (resize them first)"
            )
        arr = np.stack(images)
        arr = arr.transpose(0, 3, 1, 2) if arr.ndim == 4 else arr
        return arr, np.array(data.targets), data.classes

    if (path / "train").is_dir():
        x, y, _classes = read(path / "train")
        x_test, y_test = (read(path / "test")[:2]) if (path / "test").is_dir() else (None, None)
    else:
        (x, y, _classes), x_test, y_test = read(path), None, None
    return from_arrays(x, y, x_test, y_test, name=str(path), source=str(path), **kwargs)


def load_dataset(
    name: str = "digits",
    root: str | Path | None = None,
    *,
    download: bool = False,
    val_fraction: float = 0.1,
    seed: int = 0,
    train_subset: int | None = None,
    resolution: int | None = None,
    val_size: int | None = None,
) -> Dataset:
    """Load a data set by name:

    * ``"digits"``: scikit-learn's bundled 8x8 digits (offline).
    * ``"fashion-mnist"``: its IDX files, looked for in ``root`` (the four files, or
      torchvision's ``FashionMNIST/raw/``), then ``$TSENAS_DATA``, then
      ``/usr/share/datasets/fashion-mnist`` (``apt-get install dataset-fashion-mnist``);
      ``download=True`` fetches it into ``root`` through torchvision.
    * ``"mnist"``: the same for MNIST (no system package); ``"idx"``: any MNIST-format
      folder given as ``root``.
    * ``"cifar10"``, ``"cifar100"``: torchvision, from ``root``, downloaded only when asked.
    * a folder of class sub-folders (``name`` is the path, or ``"folder"`` with ``root``;
      ``train/`` and ``test/`` sub-folders are used when present).

    ``train_subset``, ``resolution`` and ``val_size`` (a validation pool) are the proxy
    settings (see the module doc).
    """
    key = str(name).lower()
    common = {
        "seed": seed,
        "val_fraction": val_fraction,
        "train_subset": train_subset,
        "resolution": resolution,
        "val_size": val_size,
    }
    if key == "digits":
        from sklearn.datasets import load_digits

        digits = load_digits()
        images = (digits.images / 16.0).astype(np.float32)
        return from_arrays(images, digits.target, name="digits", source="sklearn.datasets.load_digits", **common)
    if key in _FASHION or key in ("mnist", "idx"):
        return _idx("fashion-mnist" if key in _FASHION else key, root, download, **common)
    if key in ("cifar10", "cifar100"):
        datasets = vision_datasets(f"dataset {key!r}")
        train, test = _torchvision(datasets.CIFAR10 if key == "cifar10" else datasets.CIFAR100, root, download, name)
        return from_arrays(
            train.data.transpose(0, 3, 1, 2),
            train.targets,
            test.data.transpose(0, 3, 1, 2),
            test.targets,
            name=key,
            source=str(root),
            **common,
        )
    path = Path(root if key == "folder" else name)
    if key == "folder" and root is None:
        raise ValueError("dataset 'folder': pass root=FOLDER with one sub-folder per class")
    if not path.is_dir():
        raise FileNotFoundError(
            f"dataset {name!r}: not one of {', '.join(DATASETS)} and no folder {path} "
            f"exists; give a known name or a folder with one sub-folder per class"
        )
    return _image_folder(path, **common)


__all__ = ["DATASETS", "Dataset", "downsample", "from_arrays", "interleave_classes", "load_dataset"]
