"""The IDX file format of MNIST and Fashion-MNIST (the paper's data set, Sec. V-A), read
without torchvision, and where the four files are looked for.

An IDX file is a 4-byte magic number (two zero bytes, a dtype code, the number of
dimensions), one big-endian uint32 per dimension, then the values in C order. Files may
be gzip-compressed (detected by content, not by name). Every check names the file and
the rule it breaks.
"""

from __future__ import annotations

import gzip
import logging
import os
import zlib
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

#: IDX dtype codes (third magic byte) and the big-endian numpy dtypes they stand for.
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

#: The four files of an MNIST-format data set: (split, kind) -> base name (".gz" optional).
IDX_FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}

#: Where Debian's ``dataset-fashion-mnist`` package puts the files.
SYSTEM_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
#: Environment variable naming a data folder to look in after ``root``.
DATA_ENV = "TSENAS_DATA"


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f"IDX file {path}: gzip data is damaged or truncated ({err})") from err


def read_idx(path: str | Path) -> np.ndarray:
    """One IDX file (gzip or plain) as a numpy array of its own dtype and shape."""
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in IDX_DTYPES:
        raise ValueError(
            f"IDX file {path}: magic number {data[:4].hex() or 'missing'} is not an IDX header; "
            f"rule: 00 00, a dtype code in {sorted(hex(c) for c in IDX_DTYPES)}, a dimension count"
        )
    dtype, ndim = np.dtype(IDX_DTYPES[data[2]]), data[3]
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise ValueError(
            f"IDX file {path}: header declares {ndim} dimensions but the file ends at byte "
            f"{len(data)}; rule: at least one dimension, each a 4-byte size"
        )
    shape = tuple(int(v) for v in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(
            f"IDX file {path}: shape {shape} of {dtype.name} needs {expected} bytes of data but the "
            f"file holds {len(data) - header}; rule: a complete, untruncated file"
        )
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find(folder: Path, base: str) -> Path | None:
    for name in (base, base + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def idx_folder_files(folder: Path) -> dict[tuple[str, str], Path] | None:
    """The four files in ``folder`` (plain or ``.gz``), or None when any is missing."""
    found = {key: _find(folder, base) for key, base in IDX_FILES.items()}
    return found if all(found.values()) else None


def candidate_folders(root: str | Path | None, torchvision_name: str | None, system: Path | None) -> list[Path]:
    """Where to look, in order: ``root``, ``$TSENAS_DATA``, then the system folder. Under
    each of the first two: the folder itself, torchvision's ``NAME/raw/`` layout and a
    ``fashion-mnist``-style sub-folder named after the data set."""
    bases = [Path(p) for p in (root, os.environ.get(DATA_ENV)) if p]
    folders = []
    for base in bases:
        folders.append(base)
        if torchvision_name:
            folders.append(base / torchvision_name / "raw")
        if system is not None:
            folders.append(base / system.name)
    if system is not None:
        folders.append(system)
    return folders


def read_idx_dataset(files: dict[tuple[str, str], Path]) -> dict[str, np.ndarray]:
    """The four arrays, checked against each other (one label per image, 3-D images)."""
    log.info("reading IDX files from %s", sorted({str(p.parent) for p in files.values()}))
    arrays = {f"{split}_{kind}": read_idx(path) for (split, kind), path in files.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3:
            raise ValueError(f"IDX file {files[(split, 'images')]}: shape {images.shape}; rule: (N, H, W) images")
        if labels.ndim != 1 or len(labels) != len(images):
            raise ValueError(
                f"IDX file {files[(split, 'labels')]}: shape {labels.shape} for {len(images)} images; "
                f"rule: one label per image"
            )
    return arrays


__all__ = [
    "DATA_ENV",
    "IDX_FILES",
    "SYSTEM_FASHION_MNIST",
    "candidate_folders",
    "idx_folder_files",
    "read_idx",
    "read_idx_dataset",
]
